import { useMemo } from 'react';
import { CreateEventBodySchema, EventTypeSchema, UpdateEventBodySchema, type AdminEvent } from '@playloop/contracts';
import { newIdempotencyKey } from '../../api/client';
import { Empty, Loading, Section, fmtDate, useRewardText } from '../../components/common';
import { useApp, useAppStore, useT } from '../../hooks';
import { SchemaForm, bundleOf, bundleValues, isoOf, localOf, num } from './form';
import { CancelEdit, EditButton, EditDialog, metricField, rewardEditFields, rewardFields, ruleText, useEditing, useList, useSave, useSaveEdit } from './admin-shared';

/** Events: every event with its counts, new events and changes to their window, rules and reward. */
export function EventsAdmin() {
  const t = useT();
  const lang = useApp((s) => s.ui.lang);
  const { api } = useAppStore().deps;
  const save = useSave();
  const rt = useRewardText();
  const { items, reload } = useList<AdminEvent>(api.admin.events);
  const saveEdit = useSaveEdit(reload);
  const editing = useEditing('event', items, (e) => e.id);
  const now = useMemo(() => new Date(), []);

  return (
    <div className="stack">
      <SchemaForm
        title={`${t('common.create')}: ${t('admin.events')}`}
        testId="event-form"
        schema={CreateEventBodySchema}
        initial={{ key: '', title: '', description: '', type: 'limited', starts_at: localOf(now), ends_at: localOf(new Date(now.getTime() + 7 * 86_400_000)), metric: 'games_played', target: '1', game_type: '', reward_soft: '100', reward_premium: '', reward_exp: '', reward_item: '' }}
        fields={[
          { name: 'key', label: t('admin.key'), required: true },
          { name: 'title', label: t('admin.titleField'), required: true },
          { name: 'description', label: t('admin.description') },
          { name: 'type', label: t('admin.type'), type: 'select', options: EventTypeSchema.options, optionLabel: (o) => t(`admin.eventType.${o}`) },
          { name: 'starts_at', label: t('admin.startsAt'), type: 'datetime-local' },
          { name: 'ends_at', label: t('admin.endsAt'), type: 'datetime-local' },
          metricField(t),
          { name: 'target', label: t('admin.target'), type: 'number', required: true },
          { name: 'game_type', label: t('admin.gameType') },
          ...rewardFields(t),
        ]}
        toBody={(v) => ({
          key: v.key,
          title: v.title,
          description: v.description,
          type: v.type,
          starts_at: isoOf(v.starts_at),
          ends_at: isoOf(v.ends_at),
          rules: { metric: v.metric, target: num(v.target), ...(v.game_type ? { game_type: v.game_type } : {}) },
          reward_bundle: bundleOf(v),
        })}
        onSubmit={(body) => save(() => api.admin.createEvent(body, newIdempotencyKey())).then((ok) => (ok === true && reload(), ok))}
      />
      {editing && (
        <EditDialog label={`${t('common.edit')}: ${editing.key}`} testId="event-edit-dialog">
          <SchemaForm
            key={editing.id}
            title={`${t('common.edit')}: ${editing.key}`}
            testId="event-edit-form"
            schema={UpdateEventBodySchema}
            partial
            initial={{ title: editing.title, description: editing.description, ends_at: localOf(new Date(editing.ends_at)), target: String(editing.rules.target), ...bundleValues(editing.reward_bundle) }}
            fields={[
              { name: 'title', label: t('admin.titleField') },
              { name: 'description', label: t('admin.description') },
              { name: 'ends_at', label: t('admin.endsAt'), type: 'datetime-local' },
              { name: 'target', label: t('admin.target'), type: 'number' },
              ...rewardEditFields(t),
            ]}
            toBody={(v) => ({
              title: v.title,
              description: v.description,
              ends_at: isoOf(v.ends_at),
              rules: { ...editing.rules, target: num(v.target) },
              reward_bundle: bundleOf(v, editing.reward_bundle.items?.slice(1)),
            })}
            onSubmit={(body) => saveEdit(() => api.admin.updateEvent(editing.id, body))}
          >
            <CancelEdit />
          </SchemaForm>
        </EditDialog>
      )}
      <Section title={t('admin.events')}>
        {!items ? (
          <Loading />
        ) : items.length === 0 ? (
          <Empty />
        ) : (
          <ul className="list">
            {items.map((e) => (
              <li key={e.id} className="row spread wrap" data-testid={`admin-event-${e.key}`}>
                <span>
                  <strong>{e.title}</strong> <span className="badge">{t(`admin.status.${e.status}`)}</span>
                  <br />
                  <small>
                    {ruleText(t, e.rules)} · {rt.bundle(e.reward_bundle)} · {fmtDate(e.ends_at, lang)} · {t('admin.participants', { n: e.participants, c: e.claims })}
                  </small>
                </span>
                <EditButton kind="event" id={e.id} name={e.title} />
              </li>
            ))}
          </ul>
        )}
      </Section>
    </div>
  );
}
