import { useEffect } from 'react';
import { Empty, Loading, Section, useRewardText } from '../../components/common';
import { navigate, useApp, useT } from '../../hooks';
import { GrantLine } from './grant-line';

/** Pending rewards (to claim on their event or mission) and the grant history. */
export function RewardsScreen() {
  const t = useT();
  const rewards = useApp((s) => s.rewards);
  const fetchRewards = useApp((s) => s.fetchRewards);
  const fetchMoreHistory = useApp((s) => s.fetchMoreHistory);
  const rt = useRewardText();
  useEffect(() => {
    void fetchRewards();
  }, [fetchRewards]);

  if (rewards.loading && rewards.history.length === 0) return <Loading />;
  return (
    <div className="stack">
      <h1>{t('rewards.title')}</h1>
      <Section title={t('rewards.pending')} testId="rewards-pending">
        {rewards.pending.length === 0 ? (
          <Empty />
        ) : (
          <ul className="list">
            {rewards.pending.map((p) => (
              <li key={`${p.source}:${p.source_id}`}>
                <button type="button" className="link" onClick={() => navigate(p.source === 'mission' ? '/missions' : '/events')}>
                  {p.title}
                </button>{' '}
                <small>{rt.bundle(p.reward_bundle)}</small>
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title={t('rewards.history')} testId="rewards-history">
        {rewards.history.length === 0 ? (
          <Empty />
        ) : (
          <ul className="list">
            {rewards.history.map((g) => (
              <GrantLine key={g.grant_id} grant={g} />
            ))}
          </ul>
        )}
        {rewards.historyNext && (
          <button type="button" disabled={rewards.loading} onClick={() => void fetchMoreHistory()} data-testid="history-more">
            {t('rewards.more')}
          </button>
        )}
      </Section>
    </div>
  );
}
