import { CreateMissionBodySchema, MissionPeriodSchema, UpdateMissionBodySchema, type AdminMission } from '@playloop/contracts';
import { newIdempotencyKey } from '../../api/client';
import { Empty, Loading, Section, useRewardText } from '../../components/common';
import { useAppStore, useT } from '../../hooks';
import { SchemaForm, bundleOf, bundleValues, num } from './form';
import { CancelEdit, EditButton, EditDialog, metricField, rewardEditFields, rewardFields, ruleText, rulesOf, useEditing, useList, useSave, useSaveEdit } from './admin-shared';

/** Missions: daily and weekly missions, new ones and changes to them. */
export function MissionsAdmin() {
  const t = useT();
  const { api } = useAppStore().deps;
  const save = useSave();
  const rt = useRewardText();
  const { items, reload } = useList<AdminMission>(api.admin.missions);
  const saveEdit = useSaveEdit(reload);
  const editing = useEditing('mission', items, (m) => m.id);
  return (
    <div className="stack">
      <SchemaForm
        title={`${t('common.create')}: ${t('admin.missions')}`}
        testId="mission-form"
        schema={CreateMissionBodySchema}
        initial={{ key: '', title: '', period: 'daily', metric: 'games_played', target: '1', game_type: '', reward_soft: '50', reward_premium: '', reward_exp: '', reward_item: '' }}
        fields={[
          { name: 'key', label: t('admin.key') },
          { name: 'title', label: t('admin.titleField') },
          { name: 'period', label: t('admin.period'), type: 'select', options: MissionPeriodSchema.options, optionLabel: (o) => t(`admin.period.${o}`) },
          metricField(t),
          { name: 'target', label: t('admin.target'), type: 'number' },
          { name: 'game_type', label: t('admin.gameType') },
          ...rewardFields(t),
        ]}
        toBody={(v) => ({
          key: v.key,
          title: v.title,
          period: v.period,
          rules: { metric: v.metric, target: num(v.target), ...(v.game_type ? { game_type: v.game_type } : {}) },
          reward_bundle: bundleOf(v),
        })}
        onSubmit={(body) => save(() => api.admin.createMission(body, newIdempotencyKey())).then((ok) => (ok === true && reload(), ok))}
      />
      {editing && (
        <EditDialog label={`${t('common.edit')}: ${editing.title}`} testId="mission-edit-dialog">
          <SchemaForm
            key={editing.id}
            title={`${t('common.edit')}: ${editing.title}`}
            testId="mission-edit-form"
            schema={UpdateMissionBodySchema}
            partial
            initial={{
              title: editing.title,
              description: editing.description,
              metric: editing.rules.metric,
              target: String(editing.rules.target),
              game_type: editing.rules.game_type ?? '',
              ...bundleValues(editing.reward_bundle),
              active: String(editing.active),
            }}
            fields={[
              { name: 'title', label: t('admin.titleField') },
              { name: 'description', label: t('admin.description') },
              metricField(t),
              { name: 'target', label: t('admin.target'), type: 'number' },
              { name: 'game_type', label: t('admin.gameType') },
              ...rewardEditFields(t),
              { name: 'active', label: t('admin.active'), type: 'checkbox' },
            ]}
            toBody={(v) => ({
              title: v.title,
              description: v.description,
              rules: rulesOf(editing.rules, v),
              reward_bundle: bundleOf(v, editing.reward_bundle.items?.slice(1)),
              active: v.active === 'true',
            })}
            onSubmit={(body) => saveEdit(() => api.admin.updateMission(editing.id, body))}
          >
            <CancelEdit />
          </SchemaForm>
        </EditDialog>
      )}
      <Section title={t('admin.missions')}>
        {!items ? <Loading /> : items.length === 0 ? <Empty /> : (
          <ul className="list">
            {items.map((m) => (
              <li key={m.id} className="row spread wrap" data-testid={`admin-mission-${m.key}`}>
                <span>
                  <strong>{m.title}</strong> <span className="badge">{t(`admin.period.${m.period}`)}</span>
                  {!m.active && <span className="badge">{t('admin.inactive')}</span>}
                  <br />
                  <small>{ruleText(t, m.rules)} · {rt.bundle(m.reward_bundle)}</small>
                </span>
                <EditButton kind="mission" id={m.id} name={m.title} />
              </li>
            ))}
          </ul>
        )}
      </Section>
    </div>
  );
}
