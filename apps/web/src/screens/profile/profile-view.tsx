import type { Profile } from '@playloop/contracts';
import { Empty, ProgressBar, Section, fmtDate, useRewardText } from '../../components/common';
import { gameNameIn } from '../../components/game-name';
import { useApp, useT } from '../../hooks';
import { describeActivity } from './activity-text';

/**
 * A profile as GET /api/profile answers it: progression, currencies, lifetime stats, inventory and
 * activity. The player's own screen and the operator's player page both show it.
 */
export function ProfileView({ profile: p }: { profile: Profile }) {
  const t = useT();
  const rt = useRewardText();
  const lang = useApp((s) => s.ui.lang);
  const s = p.stats;
  return (
    <>
      <section className="card hero">
        <h1>{p.user.nickname}</h1>
        <p>
          @{p.user.site_id} · {t('profile.tier', { tier: t(`tier.${p.user.tier}`) })} · <span data-testid="profile-level">{t('dash.level', { level: p.progression.level })}</span>
        </p>
        <ProgressBar value={p.progression.exp} max={p.progression.exp + p.progression.exp_to_next_level} label={t('dash.exp', { exp: p.progression.exp, next: p.progression.exp + p.progression.exp_to_next_level })} />
        <p className="balances">
          <span data-testid="profile-soft">🪙 {p.currencies.soft}</span> <span data-testid="profile-premium">💎 {p.currencies.premium}</span>
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
            {t('profile.topScores')}: {s.top_scores.map((x) => `${gameNameIn(t, x.game_type, x.game_name)} ${x.score}`).join(', ')}
          </p>
        )}
      </Section>
      <Section title={t('nav.inventory')}>
        {p.inventory.length === 0 && <Empty />}
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
    </>
  );
}
