import { useEffect } from 'react';
import { Loading, ProgressBar, Section, fmtDate, useRewardText } from '../../components/common';
import { useApp, useT } from '../../hooks';
import { describeActivity } from './activity-text';

/** GET /api/profile: progression, currencies, lifetime stats, inventory and activity. */
export function ProfileScreen() {
  const t = useT();
  const rt = useRewardText();
  const lang = useApp((s) => s.ui.lang);
  const profile = useApp((s) => s.profile);
  const fetchProfile = useApp((s) => s.fetchProfile);
  useEffect(() => {
    void fetchProfile();
  }, [fetchProfile]);

  const p = profile.data;
  if (!p) return <Loading />;
  const s = p.stats;
  return (
    <div className="stack" data-testid="profile">
      <section className="card hero">
        <h1>{p.user.nickname}</h1>
        <p>
          @{p.user.site_id} · {t('profile.tier', { tier: t(`tier.${p.user.tier}`) })} · <span data-testid="profile-level">{t('dash.level', { level: p.progression.level })}</span>
        </p>
        <ProgressBar value={p.progression.exp} max={p.progression.exp + p.progression.exp_to_next_level} label={t('dash.exp', { exp: p.progression.exp, next: p.progression.exp + p.progression.exp_to_next_level })} />
        <p className="balances">
          <span data-testid="profile-soft">🪙 {p.currencies.soft}</span> <span>💎 {p.currencies.premium}</span>
        </p>
      </section>
      <Section title={t('profile.stats')}>
        <dl className="stats">
          <dt>{t('profile.gamesPlayed')}</dt>
          <dd data-testid="stat-games">{s.games_played}</dd>
          <dt>{t('profile.totalScore')}</dt>
          <dd>{s.total_score}</dd>
          <dt>{t('profile.playSeconds')}</dt>
          <dd>{s.play_seconds}</dd>
          <dt>{t('profile.eventsJoined')}</dt>
          <dd>{s.events_joined}</dd>
          <dt>{t('profile.eventsClaimed')}</dt>
          <dd data-testid="stat-claimed">{s.events_claimed}</dd>
          <dt>{t('profile.purchases')}</dt>
          <dd data-testid="stat-purchases">{s.purchases}</dd>
        </dl>
        {s.top_scores.length > 0 && (
          <p>
            {t('profile.topScores')}: {s.top_scores.map((x) => `${x.game_name} ${x.score}`).join(', ')}
          </p>
        )}
      </Section>
      <Section title={t('nav.inventory')}>
        <ul className="list">
          {p.inventory.map((i) => (
            <li key={i.item_id}>
              {i.name} × {i.quantity}
            </li>
          ))}
        </ul>
      </Section>
      <Section title={t('profile.activity')} testId="activity">
        <ul className="list">
          {p.recent_activity.map((a, i) => (
            <li key={i}>
              <small className="muted">{fmtDate(a.at, lang)}</small> {describeActivity(a, t, rt.items)}
            </li>
          ))}
        </ul>
      </Section>
    </div>
  );
}
