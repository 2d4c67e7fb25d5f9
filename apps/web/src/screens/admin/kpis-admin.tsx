import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Kpis } from '@playloop/contracts';
import { ApiError } from '../../api/client';
import { Empty, Loading, Section, useGameName } from '../../components/common';
import { useAppStore, useT } from '../../hooks';
import { KpiChart } from './kpi-chart';

/** The longest range the server answers, in days (both ends included). */
const MAX_KPI_DAYS = 366;

/** A date as the `YYYY-MM-DD` day the KPI range speaks. */
const day = (d: Date) => d.toISOString().slice(0, 10);

/** KPI charts over a range of days, from the analytics store. */
export function KpisAdmin() {
  const t = useT();
  const { api } = useAppStore().deps;
  const [to, setTo] = useState(day(new Date()));
  const [from, setFrom] = useState(day(new Date(Date.now() - 6 * 86_400_000)));
  const [kpis, setKpis] = useState<Kpis | null>(null);
  // Why the range in the inputs has no figures: said in the tab for as long as it holds.
  const [error, setError] = useState<ApiError['code'] | null>(null);
  const [loading, setLoading] = useState(false);
  // Only the answer to the latest request counts: an earlier range's answering late is dropped.
  const latest = useRef(0);
  const load = useCallback(() => {
    const request = ++latest.current;
    setLoading(true);
    api.admin.kpis(from, to).then(
      (r) => {
        if (request !== latest.current) return;
        setKpis(r.data);
        setError(null);
        setLoading(false);
      },
      (err: unknown) => {
        if (request !== latest.current) return;
        // The figures held are another range's: shown under these dates they would pass for them.
        setKpis(null);
        setError(err instanceof ApiError ? err.code : 'NETWORK');
        setLoading(false);
      },
    );
  }, [api, from, to]);
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
      {error && (
        <p className="field-error" role="alert" data-testid="kpi-error">
          {t('admin.kpisRefused', { from, to })}{' '}
          {t(error === 'VALIDATION_FAILED' ? 'admin.kpisRange' : `errors.${error}`, { field: '', max: MAX_KPI_DAYS })}
        </p>
      )}
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
            <KpiChart kpis={kpis} labels={labels} dateLabel={t('kpi.date')} label={t('kpi.chart', { from: kpis.from, to: kpis.to })} />
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
