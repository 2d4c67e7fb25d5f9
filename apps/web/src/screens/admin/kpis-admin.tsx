import { useCallback, useEffect, useMemo, useState } from 'react';
import type { Kpis } from '@playloop/contracts';
import { Empty, Loading, Section, useGameName } from '../../components/common';
import { useApp, useAppStore, useT } from '../../hooks';
import { KpiChart } from './kpi-chart';

/** A date as the `YYYY-MM-DD` day the KPI range speaks. */
const day = (d: Date) => d.toISOString().slice(0, 10);

/** KPI charts over a range of days, from the analytics store. */
export function KpisAdmin() {
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
  const gameName = useGameName();
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
              <dt>{t('kpi.revenuePremium')}</dt>
              <dd>{kpis.totals.revenue.premium}</dd>
            </dl>
          </Section>
          <Section title={t('admin.daily')}>
            <KpiChart kpis={kpis} labels={labels} dateLabel={t('kpi.date')} />
          </Section>
          <Section title={t('admin.funnel')} testId="kpi-funnel">
            <ul className="list">
              {kpis.funnel.map((f) => (
                <li key={f.step}>
                  <div className="progress" aria-label={`${t(`kpi.funnel.${f.step}`)} ${f.users}`}>
                    <div className="progress-fill" style={{ width: `${Math.round((f.users / maxFunnel) * 100)}%` }} />
                    <span className="progress-text">
                      {t(`kpi.funnel.${f.step}`)}: {f.users}
                    </span>
                  </div>
                </li>
              ))}
            </ul>
          </Section>
          <Section title={t('admin.byGame')} testId="kpi-by-game">
            {kpis.sessions_by_game.length === 0 && <Empty />}
            <ul className="list">
              {kpis.sessions_by_game.map((g) => (
                <li key={g.game_type}>
                  {t('kpi.byGameLine', { game: gameName(g.game_type), sessions: g.sessions, players: g.players })}
                </li>
              ))}
            </ul>
          </Section>
        </>
      )}
    </div>
  );
}
