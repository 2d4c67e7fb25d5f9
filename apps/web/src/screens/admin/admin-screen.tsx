import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import {
  CreateEventBodySchema,
  CreateItemBodySchema,
  CreateMissionBodySchema,
  CreateSkuBodySchema,
  DistributeBodySchema,
  MetricSchema,
  UpdateEventBodySchema,
  UpdateItemBodySchema,
  UpdateMissionBodySchema,
  UpdateSkuBodySchema,
  type AdminEvent,
  type AdminMission,
  type AdminSku,
  type Item,
  type Kpis,
  type PipelineStatus,
} from '@playloop/contracts';
import { ApiError, newIdempotencyKey } from '../../api/client';
import { Empty, Loading, Section, fmtDate, useRewardText } from '../../components/common';
import { useApp, useAppStore, useT } from '../../hooks';
import { SchemaForm, bundleOf, bundleValues, isoOf, localOf, num, type FieldSpec, type SubmitResult } from './form';
import { KpiChart } from './kpi-chart';
import { OPENS_MODES, opensOf, opensValues, tableErrorKey, tableValues, withOpensMode } from './loot-table';
import { LootTableEditor } from './loot-table-editor';

type Tab = 'events' | 'missions' | 'skus' | 'items' | 'kpis' | 'pipeline' | 'distribute';
const TABS: Tab[] = ['events', 'missions', 'skus', 'items', 'kpis', 'pipeline', 'distribute'];
const METRICS = MetricSchema.options;
const day = (d: Date) => d.toISOString().slice(0, 10);

/** The operator console (role admin): live ops content, KPI charts and pipeline health. */
export default function AdminScreen() {
  const t = useT();
  const closeModal = useApp((s) => s.closeModal);
  const [tab, setTab] = useState<Tab>('events');
  // An edit dialog belongs to its tab: leaving the tab or the console closes it.
  useEffect(() => closeModal, [closeModal]);
  const choose = (k: Tab) => {
    closeModal();
    setTab(k);
  };
  return (
    <div className="stack" data-testid="admin">
      <h1>{t('admin.title')}</h1>
      <div role="tablist" className="tabs row wrap" aria-label={t('admin.title')}>
        {TABS.map((k) => (
          <button key={k} type="button" role="tab" aria-selected={tab === k} className={tab === k ? 'active' : ''} onClick={() => choose(k)} data-testid={`admin-tab-${k}`}>
            {t(`admin.${k}`)}
          </button>
        ))}
      </div>
      <div role="tabpanel">
        {tab === 'events' && <EventsAdmin />}
        {tab === 'missions' && <MissionsAdmin />}
        {tab === 'skus' && <SkusAdmin />}
        {tab === 'items' && <ItemsAdmin />}
        {tab === 'kpis' && <KpisAdmin />}
        {tab === 'pipeline' && <PipelineAdmin />}
        {tab === 'distribute' && <DistributeAdmin />}
      </div>
    </div>
  );
}

/** Loads a list through the store's client; reload() after a save. */
function useList<T>(load: () => Promise<{ data: { items: T[] } }>) {
  const toastError = useApp((s) => s.toastError);
  const [items, setItems] = useState<T[] | null>(null);
  const reload = useCallback(() => {
    load().then(
      (r) => setItems(r.data.items),
      (err: unknown) => {
        setItems([]);
        toastError(err);
      },
    );
  }, [load, toastError]);
  useEffect(reload, [reload]);
  return { items, reload };
}

/** Runs a save: a toast either way, and a refusal handed back to the form to show beside its fields. */
function useSave() {
  const t = useT();
  const toast = useApp((s) => s.toast);
  const toastError = useApp((s) => s.toastError);
  return async (run: () => Promise<unknown>): Promise<SubmitResult> => {
    try {
      await run();
      toast('success', 'admin.saved');
      return true;
    } catch (err) {
      toastError(err);
      const code = err instanceof ApiError ? err.code : 'NETWORK';
      const fields = err instanceof ApiError ? err.fields : [];
      return { message: t(`errors.${code}`, { field: fields[0] ? ` (${fields[0].field})` : '' }), fields };
    }
  };
}

/** Saves, then on success closes the edit dialog and reloads the list. */
function useSaveEdit(reload: () => void) {
  const save = useSave();
  const closeModal = useApp((s) => s.closeModal);
  return async (run: () => Promise<unknown>): Promise<SubmitResult> => {
    const result = await save(run);
    if (result === true) {
      closeModal();
      reload();
    }
    return result;
  };
}

/** The item of `items` the store's ui.modal names for editing (`edit-<kind>`, vars.id), if any. */
function useEditing<T>(kind: string, items: T[] | null, idOf: (item: T) => string): T | undefined {
  const modal = useApp((s) => s.ui.modal);
  if (modal?.key !== `edit-${kind}`) return undefined;
  return items?.find((item) => idOf(item) === modal.vars?.id);
}

/**
 * The edit dialog: a native modal <dialog>, so the page behind is inert, Tab stays inside, Escape
 * closes it (through the store, which owns ui.modal) and focus returns to the button that opened it.
 */
function EditDialog({ label, testId, children }: { label: string; testId: string; children: ReactNode }) {
  const closeModal = useApp((s) => s.closeModal);
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (dialog && !dialog.open) dialog.showModal();
    return () => {
      if (dialog?.open) dialog.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      className="modal"
      aria-label={label}
      data-testid={testId}
      onCancel={(e) => {
        e.preventDefault();
        closeModal();
      }}
    >
      {children}
    </dialog>
  );
}

/** The Cancel button of an edit form. */
function CancelEdit() {
  const t = useT();
  const closeModal = useApp((s) => s.closeModal);
  return (
    <button type="button" onClick={closeModal}>
      {t('common.cancel')}
    </button>
  );
}

/** The Edit button of a list row; it names what it edits for screen readers. */
function EditButton({ kind, id, name }: { kind: string; id: string; name: string }) {
  const t = useT();
  const openModal = useApp((s) => s.openModal);
  return (
    <button type="button" aria-label={`${t('common.edit')}: ${name}`} data-testid={`edit-${kind}-${id}`} onClick={() => openModal(`edit-${kind}`, { id })}>
      {t('common.edit')}
    </button>
  );
}

const rewardFields = (t: (k: string) => string) => [
  { name: 'reward_soft', label: t('admin.rewardSoft'), type: 'number' as const },
  { name: 'reward_premium', label: t('admin.rewardPremium'), type: 'number' as const },
  { name: 'reward_exp', label: t('admin.rewardExp'), type: 'number' as const },
  { name: 'reward_item', label: t('admin.bundleItem') },
];
/** What a consumable opens, a fixed bundle or a weighted table (create and edit forms). */
const opensModeField = (t: (k: string) => string): FieldSpec => ({
  name: 'opens_mode',
  label: t('admin.opensMode'),
  type: 'select',
  options: OPENS_MODES,
  optionLabel: (o) => t(`admin.opensMode.${o}`),
});
/** An edit form also shows the quantity of the bundle's item. */
const rewardEditFields = (t: (k: string) => string) => [...rewardFields(t), { name: 'reward_item_qty', label: t('admin.rewardItemQty'), type: 'number' as const }];

/** Rules from a form: the stored rules with the form's metric, target and game type (min_score etc. kept). */
function rulesOf<R extends { metric: string; target: number; game_type?: string | undefined }>(stored: R, v: Record<string, string>) {
  const { game_type: _gameType, ...rest } = stored;
  return { ...rest, metric: v.metric, target: num(v.target), ...(v.game_type?.trim() ? { game_type: v.game_type.trim() } : {}) };
}

function EventsAdmin() {
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
          { name: 'type', label: t('admin.type'), type: 'select', options: ['daily', 'limited', 'progression'] },
          { name: 'starts_at', label: t('admin.startsAt'), type: 'datetime-local' },
          { name: 'ends_at', label: t('admin.endsAt'), type: 'datetime-local' },
          { name: 'metric', label: t('admin.metric'), type: 'select', options: METRICS },
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
                  <strong>{e.title}</strong> <span className="badge">{e.status}</span>
                  <br />
                  <small>
                    {e.rules.metric} ≥ {e.rules.target} · {rt.bundle(e.reward_bundle)} · {fmtDate(e.ends_at, lang)} · {t('admin.participants', { n: e.participants, c: e.claims })}
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

function MissionsAdmin() {
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
          { name: 'period', label: t('admin.period'), type: 'select', options: ['daily', 'weekly'] },
          { name: 'metric', label: t('admin.metric'), type: 'select', options: METRICS },
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
              { name: 'metric', label: t('admin.metric'), type: 'select', options: METRICS },
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
                  <strong>{m.title}</strong> <span className="badge">{m.period}</span>
                  {!m.active && <span className="badge">{t('admin.inactive')}</span>}
                  <br />
                  <small>{m.rules.metric} ≥ {m.rules.target} · {rt.bundle(m.reward_bundle)}</small>
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

function SkusAdmin() {
  const t = useT();
  const { api } = useAppStore().deps;
  const save = useSave();
  const rt = useRewardText();
  const { items, reload } = useList<AdminSku>(api.admin.skus);
  const saveEdit = useSaveEdit(reload);
  const editing = useEditing('sku', items, (s) => s.sku_id);
  const optional = (s: string | undefined) => (s === undefined || s.trim() === '' ? null : num(s));
  const optionalDate = (s: string | undefined) => (s ? isoOf(s) : null);
  return (
    <div className="stack">
      <SchemaForm
        title={`${t('common.create')}: ${t('admin.skus')}`}
        testId="sku-form"
        schema={CreateSkuBodySchema}
        initial={{ sku_id: '', name: '', price: '100', currency_type: 'soft', segment: 'regular', stock: '', per_user_limit: '', reward_soft: '', reward_premium: '', reward_exp: '', reward_item: '' }}
        fields={[
          { name: 'sku_id', label: t('admin.skuId') },
          { name: 'name', label: t('admin.name') },
          { name: 'price', label: t('admin.price'), type: 'number' },
          { name: 'currency_type', label: t('admin.currency'), type: 'select', options: ['soft', 'premium'] },
          { name: 'segment', label: t('admin.segment'), type: 'select', options: ['regular', 'limited'] },
          { name: 'stock', label: t('admin.stock'), type: 'number' },
          { name: 'per_user_limit', label: t('admin.perUserLimit'), type: 'number' },
          ...rewardFields(t),
        ]}
        toBody={(v) => ({
          sku_id: v.sku_id,
          name: v.name,
          price: num(v.price),
          currency_type: v.currency_type,
          segment: v.segment,
          ...(num(v.stock) !== undefined ? { stock: num(v.stock) } : {}),
          ...(num(v.per_user_limit) !== undefined ? { per_user_limit: num(v.per_user_limit) } : {}),
          bundle: bundleOf(v),
        })}
        onSubmit={(body) => save(() => api.admin.createSku(body, newIdempotencyKey())).then((ok) => (ok === true && reload(), ok))}
      />
      {editing && (
        <EditDialog label={`${t('common.edit')}: ${editing.name}`} testId="sku-edit-dialog">
          <SchemaForm
            key={editing.sku_id}
            title={`${t('common.edit')}: ${editing.name}`}
            testId="sku-edit-form"
            schema={UpdateSkuBodySchema}
            partial
            initial={{
              name: editing.name,
              description: editing.description,
              price: String(editing.price),
              currency_type: editing.currency_type,
              segment: editing.segment,
              stock: editing.stock === null ? '' : String(editing.stock),
              per_user_limit: editing.per_user_limit === null ? '' : String(editing.per_user_limit),
              available_from: editing.available_from ? localOf(new Date(editing.available_from)) : '',
              available_until: editing.available_until ? localOf(new Date(editing.available_until)) : '',
              ...bundleValues(editing.bundle),
              active: String(editing.active),
            }}
            fields={[
              { name: 'name', label: t('admin.name') },
              { name: 'description', label: t('admin.description') },
              { name: 'price', label: t('admin.price'), type: 'number' },
              { name: 'currency_type', label: t('admin.currency'), type: 'select', options: ['soft', 'premium'] },
              { name: 'segment', label: t('admin.segment'), type: 'select', options: ['regular', 'limited'] },
              { name: 'stock', label: t('admin.stockTotal'), type: 'number' },
              { name: 'per_user_limit', label: t('admin.perUserLimit'), type: 'number' },
              { name: 'available_from', label: t('admin.availableFrom'), type: 'datetime-local' },
              { name: 'available_until', label: t('admin.availableUntil'), type: 'datetime-local' },
              ...rewardEditFields(t),
              { name: 'active', label: t('admin.active'), type: 'checkbox' },
            ]}
            toBody={(v) => ({
              name: v.name,
              description: v.description,
              price: num(v.price),
              currency_type: v.currency_type,
              segment: v.segment,
              stock: optional(v.stock),
              per_user_limit: optional(v.per_user_limit),
              available_from: optionalDate(v.available_from),
              available_until: optionalDate(v.available_until),
              bundle: bundleOf(v, editing.bundle.items?.slice(1)),
              active: v.active === 'true',
            })}
            onSubmit={(body) => saveEdit(() => api.admin.updateSku(editing.sku_id, body))}
          >
            <p className="muted">{t('admin.soldNote', { n: editing.sold_count })}</p>
            <CancelEdit />
          </SchemaForm>
        </EditDialog>
      )}
      <Section title={t('admin.skus')}>
        {!items ? <Loading /> : items.length === 0 ? <Empty /> : (
          <div className="table-wrap">
            <table className="table">
              <tbody>
                {items.map((s) => (
                  <tr key={s.sku_id} data-testid={`admin-sku-${s.sku_id}`}>
                    <td>
                      {s.name}
                      {!s.active && <span className="badge">{t('admin.inactive')}</span>}
                    </td>
                    <td>{s.price} {s.currency_type}</td>
                    <td>{s.segment}</td>
                    <td>{s.stock_remaining ?? '∞'} / {s.stock ?? '∞'}</td>
                    <td>{s.sold_count}</td>
                    <td>{rt.bundle(s.bundle)}</td>
                    <td>
                      <EditButton kind="sku" id={s.sku_id} name={s.name} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
    </div>
  );
}

function ItemsAdmin() {
  const t = useT();
  const { api } = useAppStore().deps;
  const save = useSave();
  const { items, reload } = useList<Item>(api.admin.items);
  const saveEdit = useSaveEdit(reload);
  const editing = useEditing('item', items, (i) => i.item_id);
  // A consumable's edit may switch between a fixed bundle and a table; a cosmetic opens nothing
  // (the server refuses contents for one), so its edit has no contents at all.
  const opens = editing?.kind === 'consumable' ? editing.opens : null;
  return (
    <div className="stack">
      <SchemaForm
        title={`${t('common.create')}: ${t('admin.items')}`}
        testId="item-form"
        schema={CreateItemBodySchema}
        initial={{ item_id: '', name: '', kind: 'consumable', opens_mode: 'bundle', reward_soft: '50', reward_exp: '', ...tableValues([{ weight: 1, bundle: { currencies: { soft: 50 } } }]) }}
        fields={(v) => [
          { name: 'item_id', label: t('admin.itemId') },
          { name: 'name', label: t('admin.name') },
          { name: 'kind', label: t('admin.kind'), type: 'select', options: ['consumable', 'cosmetic'], optionLabel: (o) => t(`admin.kind.${o}`) },
          // A consumable opens a fixed bundle or a weighted table; a cosmetic opens nothing.
          ...(v.kind === 'consumable' ? [opensModeField(t)] : []),
          ...(v.kind === 'consumable' && v.opens_mode === 'bundle'
            ? [
                { name: 'reward_soft', label: t('admin.opensSoft'), type: 'number' as const },
                { name: 'reward_exp', label: t('admin.opensExp'), type: 'number' as const },
              ]
            : []),
        ]}
        section={(form) => form.values.kind === 'consumable' && form.values.opens_mode === 'table' && <LootTableEditor form={form} />}
        errorKeyOf={tableErrorKey}
        toBody={(v) => ({
          item_id: v.item_id,
          name: v.name,
          kind: v.kind,
          ...(v.kind === 'consumable' ? { opens: opensOf(v) } : {}),
        })}
        onSubmit={(body) => save(() => api.admin.createItem(body, newIdempotencyKey())).then((ok) => (ok === true && reload(), ok))}
      />
      {editing && (
        <EditDialog label={`${t('common.edit')}: ${editing.name}`} testId="item-edit-dialog">
          <SchemaForm
            key={editing.item_id}
            title={`${t('common.edit')}: ${editing.name}`}
            testId="item-edit-form"
            schema={UpdateItemBodySchema}
            partial
            initial={{ name: editing.name, ...(opens ? opensValues(opens) : {}) }}
            fields={(v) => [
              { name: 'name', label: t('admin.name') },
              ...(opens ? [{ ...opensModeField(t), change: withOpensMode }] : []),
              ...(opens && v.opens_mode === 'bundle' ? rewardEditFields(t) : []),
            ]}
            section={(form) => opens && form.values.opens_mode === 'table' && <LootTableEditor form={form} />}
            errorKeyOf={tableErrorKey}
            toBody={(v) => ({ name: v.name, ...(opens ? { opens: opensOf(v) } : {}) })}
            onSubmit={(body) => saveEdit(() => api.admin.updateItem(editing.item_id, body))}
          >
            <CancelEdit />
          </SchemaForm>
        </EditDialog>
      )}
      <Section title={t('admin.items')}>
        {!items ? <Loading /> : items.length === 0 ? <Empty /> : (
          <ul className="list">
            {items.map((i) => (
              <li key={i.item_id} className="row spread wrap" data-testid={`admin-item-${i.item_id}`}>
                <span>
                  <strong>{i.name}</strong> <code>{i.item_id}</code> <span className="badge">{t(`admin.kind.${i.kind}`)}</span>
                </span>
                <EditButton kind="item" id={i.item_id} name={i.name} />
              </li>
            ))}
          </ul>
        )}
      </Section>
    </div>
  );
}

function KpisAdmin() {
  const t = useT();
  const { api } = useAppStore().deps;
  const toastError = useApp((s) => s.toastError);
  const [to, setTo] = useState(day(new Date()));
  const [from, setFrom] = useState(day(new Date(Date.now() - 6 * 86_400_000)));
  const [kpis, setKpis] = useState<Kpis | null>(null);
  const [loading, setLoading] = useState(false);
  const load = useCallback(() => {
    setLoading(true);
    api.admin.kpis(from, to).then(
      (r) => {
        setKpis(r.data);
        setLoading(false);
      },
      (err: unknown) => {
        setLoading(false);
        toastError(err);
      },
    );
  }, [api, from, to, toastError]);
  useEffect(load, [load]);
  const labels = useMemo(
    () => Object.fromEntries(['active_users', 'signups', 'sessions', 'claims', 'purchases'].map((k) => [k, t(`kpi.${k}`)])),
    [t],
  );
  const maxFunnel = Math.max(1, ...(kpis?.funnel.map((f) => f.users) ?? [1]));
  return (
    <div className="stack">
      <div className="row wrap">
        <label>
          {t('admin.from')} <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
        </label>
        <label>
          {t('admin.to')} <input type="date" value={to} onChange={(e) => setTo(e.target.value)} />
        </label>
        <button type="button" onClick={load}>
          {t('common.refresh')}
        </button>
      </div>
      {loading && !kpis && <Loading />}
      {kpis && (
        <>
          <Section title={t('admin.totals')} testId="kpi-totals">
            <dl className="stats">
              {(['active_users', 'signups', 'sessions', 'claims', 'purchases'] as const).map((k) => (
                <span key={k} style={{ display: 'contents' }}>
                  <dt>{t(`kpi.${k}`)}</dt>
                  <dd>{kpis.totals[k]}</dd>
                </span>
              ))}
              <dt>{t('kpi.revenue')}</dt>
              <dd>{kpis.totals.revenue.soft}</dd>
            </dl>
          </Section>
          <Section title={t('admin.daily')}>
            <KpiChart kpis={kpis} labels={labels} />
          </Section>
          <Section title={t('admin.funnel')}>
            <ul className="list">
              {kpis.funnel.map((f) => (
                <li key={f.step}>
                  <div className="progress" aria-label={`${f.step} ${f.users}`}>
                    <div className="progress-fill" style={{ width: `${Math.round((f.users / maxFunnel) * 100)}%` }} />
                    <span className="progress-text">
                      {f.step}: {f.users}
                    </span>
                  </div>
                </li>
              ))}
            </ul>
          </Section>
          <Section title={t('admin.byGame')}>
            <ul className="list">
              {kpis.sessions_by_game.map((g) => (
                <li key={g.game_type}>
                  {g.game_type}: {g.sessions} / {g.players}
                </li>
              ))}
            </ul>
          </Section>
        </>
      )}
    </div>
  );
}

function PipelineAdmin() {
  const t = useT();
  const { api } = useAppStore().deps;
  const toastError = useApp((s) => s.toastError);
  const [status, setStatus] = useState<PipelineStatus | null>(null);
  useEffect(() => {
    const load = () => api.admin.pipeline().then((r) => setStatus(r.data), toastError);
    void load();
    const timer = setInterval(() => void load(), 5000);
    return () => clearInterval(timer);
  }, [api, toastError]);
  if (!status) return <Loading />;
  return (
    <Section title={t('admin.pipeline')} testId="pipeline">
      <p>{t('admin.outboxPending', { n: status.outbox.pending })}</p>
      <p>{t('admin.oldest', { s: Math.round(status.outbox.oldest_pending_age_s) })}</p>
      <p>{t('admin.published', { n: status.outbox.published_total })}</p>
      <p>
        {t('admin.relay', { state: `${status.relay.running ? 'running' : 'stopped'} (${status.relay.publisher})` })}
        {status.relay.consecutive_failures > 0 && <span className="badge">⚠ {status.relay.consecutive_failures}</span>}
      </p>
      {status.relay.last_error && <p className="field-error">{status.relay.last_error}</p>}
      <h3>{t('admin.sink')}</h3>
      <pre style={{ whiteSpace: 'pre-wrap' }}>{JSON.stringify(status.sink, null, 2)}</pre>
    </Section>
  );
}

function DistributeAdmin() {
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
