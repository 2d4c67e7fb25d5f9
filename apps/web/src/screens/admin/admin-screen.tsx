import { useCallback, useEffect, useMemo, useState } from 'react';
import {
  CreateEventBodySchema,
  CreateItemBodySchema,
  CreateMissionBodySchema,
  CreateSkuBodySchema,
  DistributeBodySchema,
  MetricSchema,
  UpdateEventBodySchema,
  type AdminEvent,
  type AdminMission,
  type AdminSku,
  type Item,
  type Kpis,
  type PipelineStatus,
} from '@playloop/contracts';
import { newIdempotencyKey } from '../../api/client';
import { Empty, Loading, Section, fmtDate, useRewardText } from '../../components/common';
import { useApp, useAppStore, useT } from '../../hooks';
import { SchemaForm, bundleOf, isoOf, localOf, num } from './form';
import { KpiChart } from './kpi-chart';

type Tab = 'events' | 'missions' | 'skus' | 'items' | 'kpis' | 'pipeline' | 'distribute';
const TABS: Tab[] = ['events', 'missions', 'skus', 'items', 'kpis', 'pipeline', 'distribute'];
const METRICS = MetricSchema.options;
const day = (d: Date) => d.toISOString().slice(0, 10);

/** The operator console (role admin): live ops content, KPI charts and pipeline health. */
export default function AdminScreen() {
  const t = useT();
  const [tab, setTab] = useState<Tab>('events');
  return (
    <div className="stack" data-testid="admin">
      <h1>{t('admin.title')}</h1>
      <div role="tablist" className="tabs row wrap" aria-label={t('admin.title')}>
        {TABS.map((k) => (
          <button key={k} type="button" role="tab" aria-selected={tab === k} className={tab === k ? 'active' : ''} onClick={() => setTab(k)} data-testid={`admin-tab-${k}`}>
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

function useSave() {
  const { toast, toastError } = useApp((s) => s);
  return async (run: () => Promise<unknown>) => {
    try {
      await run();
      toast('success', 'admin.saved');
      return true;
    } catch (err) {
      toastError(err);
      return false;
    }
  };
}

const rewardFields = (t: (k: string) => string) => [
  { name: 'reward_soft', label: t('admin.rewardSoft'), type: 'number' as const },
  { name: 'reward_premium', label: t('admin.rewardPremium'), type: 'number' as const },
  { name: 'reward_exp', label: t('admin.rewardExp'), type: 'number' as const },
  { name: 'reward_item', label: t('admin.bundleItem') },
];

function EventsAdmin() {
  const t = useT();
  const lang = useApp((s) => s.ui.lang);
  const { api } = useAppStore().deps;
  const save = useSave();
  const rt = useRewardText();
  const { items, reload } = useList<AdminEvent>(api.admin.events);
  const [editing, setEditing] = useState<AdminEvent | null>(null);
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
        onSubmit={(body) => save(() => api.admin.createEvent(body, newIdempotencyKey())).then((ok) => (ok && reload(), ok))}
      />
      {editing && (
        <SchemaForm
          key={editing.id}
          title={`${t('common.edit')}: ${editing.key}`}
          testId="event-edit-form"
          schema={UpdateEventBodySchema}
          initial={{ title: editing.title, ends_at: localOf(new Date(editing.ends_at)), target: String(editing.rules.target) }}
          fields={[
            { name: 'title', label: t('admin.titleField') },
            { name: 'ends_at', label: t('admin.endsAt'), type: 'datetime-local' },
            { name: 'target', label: t('admin.target'), type: 'number' },
          ]}
          toBody={(v) => ({ title: v.title, ends_at: isoOf(v.ends_at), rules: { ...editing.rules, target: num(v.target) } })}
          onSubmit={(body) =>
            save(() => api.admin.updateEvent(editing.id, body)).then((ok) => {
              if (ok) {
                setEditing(null);
                reload();
              }
              return ok;
            })
          }
        >
          <button type="button" onClick={() => setEditing(null)}>
            {t('common.cancel')}
          </button>
        </SchemaForm>
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
                <button type="button" onClick={() => setEditing(e)}>
                  {t('common.edit')}
                </button>
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
        onSubmit={(body) => save(() => api.admin.createMission(body, newIdempotencyKey())).then((ok) => (ok && reload(), ok))}
      />
      <Section title={t('admin.missions')}>
        {!items ? <Loading /> : items.length === 0 ? <Empty /> : (
          <ul className="list">
            {items.map((m) => (
              <li key={m.id}>
                <strong>{m.title}</strong> <span className="badge">{m.period}</span> <small>{m.rules.metric} ≥ {m.rules.target} · {rt.bundle(m.reward_bundle)}</small>
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
        onSubmit={(body) => save(() => api.admin.createSku(body, newIdempotencyKey())).then((ok) => (ok && reload(), ok))}
      />
      <Section title={t('admin.skus')}>
        {!items ? <Loading /> : items.length === 0 ? <Empty /> : (
          <div className="table-wrap">
            <table className="table">
              <tbody>
                {items.map((s) => (
                  <tr key={s.sku_id}>
                    <td>{s.name}</td>
                    <td>{s.price} {s.currency_type}</td>
                    <td>{s.segment}</td>
                    <td>{s.stock_remaining ?? '∞'} / {s.stock ?? '∞'}</td>
                    <td>{s.sold_count}</td>
                    <td>{rt.bundle(s.bundle)}</td>
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
  return (
    <div className="stack">
      <SchemaForm
        title={`${t('common.create')}: ${t('admin.items')}`}
        testId="item-form"
        schema={CreateItemBodySchema}
        initial={{ item_id: '', name: '', kind: 'consumable', reward_soft: '50', reward_exp: '' }}
        fields={[
          { name: 'item_id', label: t('admin.itemId') },
          { name: 'name', label: t('admin.name') },
          { name: 'kind', label: t('admin.kind'), type: 'select', options: ['consumable', 'cosmetic'] },
          { name: 'reward_soft', label: t('admin.opensSoft'), type: 'number' },
          { name: 'reward_exp', label: t('admin.opensExp'), type: 'number' },
        ]}
        toBody={(v) => ({
          item_id: v.item_id,
          name: v.name,
          kind: v.kind,
          ...(v.kind === 'consumable' ? { opens: { bundle: bundleOf(v) } } : {}),
        })}
        onSubmit={(body) => save(() => api.admin.createItem(body, newIdempotencyKey())).then((ok) => (ok && reload(), ok))}
      />
      <Section title={t('admin.items')}>
        {!items ? <Loading /> : items.length === 0 ? <Empty /> : (
          <ul className="list">
            {items.map((i) => (
              <li key={i.item_id}>
                <strong>{i.name}</strong> <code>{i.item_id}</code> <span className="badge">{i.kind}</span>
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
