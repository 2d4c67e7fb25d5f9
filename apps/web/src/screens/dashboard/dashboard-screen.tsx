import { useEffect } from 'react';
import { Empty, Loading, ProgressBar, Section, useGameName, useRewardText } from '../../components/common';
import { navigate, useApp, useT } from '../../hooks';

/** The main screen: one GET /api/dashboard, revalidated with its ETag and kept current by the stream. */
export function DashboardScreen() {
  const t = useT();
  const gameName = useGameName();
  const d = useApp((s) => s.dashboard);
  const fetchDashboard = useApp((s) => s.fetchDashboard);
  const rt = useRewardText();
  useEffect(() => {
    void fetchDashboard();
  }, [fetchDashboard]);

  if (!d.profile || !d.currencies) return <Loading />;
  const p = d.profile;
  return (
    <div className="stack" data-testid="dashboard">
      <section className="card hero">
        <h1>{t('dash.welcome', { name: p.nickname })}</h1>
        <p>
          <span data-testid="dash-level">{t('dash.level', { level: p.level })}</span> · {t('profile.tier', { tier: t(`tier.${p.tier}`) })} · {t('dash.streak', { days: p.streak_days })}
        </p>
        <ProgressBar value={p.exp} max={p.exp + p.exp_to_next_level} label={t('dash.exp', { exp: p.exp, next: p.exp + p.exp_to_next_level })} />
        <div className="balances">
          <span data-testid="balance-soft">🪙 {t('dash.soft')} {d.currencies.soft}</span>
          <span data-testid="balance-premium">💎 {t('dash.premium')} {d.currencies.premium}</span>
        </div>
        <button type="button" className="link" onClick={() => navigate('/rewards')} data-testid="dash-pending">
          {t('dash.pending', { count: d.pendingRewardsCount })}
        </button>
        {d.todayRewards && <p className="muted">{t('dash.today', d.todayRewards)}</p>}
        {d.last24h && <p className="muted">{t('dash.last24h', { games: d.last24h.games, missions: d.last24h.missions_completed })}</p>}
      </section>
      <Section title={t('dash.events')}>
        {d.eventsSummary.length === 0 ? (
          <Empty />
        ) : (
          <ul className="list">
            {d.eventsSummary.map((e) => (
              <li key={e.id}>
                <button type="button" className="link" onClick={() => navigate('/events')}>
                  {e.title}
                </button>
                {e.participation?.status === 'claimable' && (
                  <>
                    {' '}
                    <button type="button" className="badge" onClick={() => navigate('/events')} data-testid={`dash-claimable-${e.key}`}>
                      {t('events.readyToClaim')}
                    </button>
                  </>
                )}
                {e.participation?.status === 'claimed' && <span className="badge"> {t('events.claimed')}</span>}
                {e.participation ? (
                  <ProgressBar value={e.participation.progress} max={e.participation.target} label={t('events.progress', { progress: e.participation.progress, target: e.participation.target })} />
                ) : (
                  <small className="muted"> {t('events.notJoined')}</small>
                )}
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title={t('dash.shop')}>
        {d.shopHighlights.length === 0 ? (
          <Empty />
        ) : (
          <ul className="list">
            {d.shopHighlights.map((s) => (
              <li key={s.sku_id}>
                <button type="button" className="link" onClick={() => navigate('/shop')}>
                  {s.name}
                </button>{' '}
                <small>
                  {s.price} {t(s.currency_type === 'soft' ? 'dash.soft' : 'dash.premium')} · {rt.bundle(s.bundle)}
                </small>
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title={t('dash.recent')}>
        {d.recentSessions.length === 0 ? (
          <Empty />
        ) : (
          <ul className="list">
            {d.recentSessions.map((s) => (
              <li key={s.session_id}>
                {gameName(s.game_type)}: {s.score === null ? '–' : t('play.score', { score: s.score })}
              </li>
            ))}
          </ul>
        )}
      </Section>
    </div>
  );
}
