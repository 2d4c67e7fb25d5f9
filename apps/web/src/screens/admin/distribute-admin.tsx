import { DistributeBodySchema } from '@playloop/contracts';
import { newIdempotencyKey } from '../../api/client';
import { useAppStore, useT } from '../../hooks';
import { SchemaForm, bundleOf } from './form';
import { rewardFields, useSave } from './admin-shared';

/** A reward sent to one player by an operator. */
export function DistributeAdmin() {
  const t = useT();
  const { api } = useAppStore().deps;
  const save = useSave();
  return (
    <SchemaForm
      title={t('admin.distribute')}
      testId="distribute-form"
      schema={DistributeBodySchema}
      initial={{ user_id: '', reason: '', reward_soft: '100', reward_premium: '', reward_exp: '', reward_item: '' }}
      fields={[{ name: 'user_id', label: t('admin.userId') }, { name: 'reason', label: t('admin.reason') }, ...rewardFields(t)]}
      toBody={(v) => ({ user_id: (v.user_id ?? "").trim(), reason: v.reason, bundle: bundleOf(v) })}
      onSubmit={(body) => save(() => api.admin.distribute(body, newIdempotencyKey()))}
    />
  );
}
