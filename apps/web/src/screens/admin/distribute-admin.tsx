import { DistributeBodySchema } from '@playloop/contracts';
import { newIdempotencyKey } from '../../api/client';
import { useAppStore, useT } from '../../hooks';
import { SchemaForm, bundleOf } from './form';
import { rewardFields, useSave } from './admin-shared';

/** A reward sent by an operator to the player `userId` (from the player's page in the console). */
export function DistributeAdmin({ userId, onSent }: { userId: string; onSent?: () => void }) {
  const t = useT();
  const { api } = useAppStore().deps;
  const save = useSave();
  return (
    <SchemaForm
      title={t('admin.sendReward')}
      testId="distribute-form"
      schema={DistributeBodySchema}
      initial={{ reason: '', reward_soft: '100', reward_premium: '', reward_exp: '', reward_item: '' }}
      fields={[{ name: 'reason', label: t('admin.reason') }, ...rewardFields(t)]}
      submitLabel={t('admin.send')}
      toBody={(v) => ({ user_id: userId, reason: v.reason, bundle: bundleOf(v) })}
      onSubmit={async (body) => {
        const result = await save(() => api.admin.distribute(body, newIdempotencyKey()));
        if (result === true) onSent?.();
        return result;
      }}
    />
  );
}
