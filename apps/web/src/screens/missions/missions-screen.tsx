import { useEffect } from 'react';
import type { Mission } from '@playloop/contracts';
import { Empty, Loading, ProgressBar, fmtDate, useRewardText } from '../../components/common';
import { useApp, useT } from '../../hooks';

/** Daily and weekly missions of the current period, with claim. */
export function MissionsScreen() {
  const t = useT();
  const lang = useApp((s) => s.ui.lang);
  const missions = useApp((s) => s.events.missions);
  const fetched = useApp((s) => s.events.missionsFetched);
  const claiming = useApp((s) => s.events.claiming);
  const fetchMissions = useApp((s) => s.fetchMissions);
  const claimMission = useApp((s) => s.claimMission);
  const rt = useRewardText();
  useEffect(() => {
    void fetchMissions();
  }, [fetchMissions]);

  const list = (items: Mission[]) =>
    items.length === 0 ? (
      <Empty />
    ) : (
      items.map((m) => (
        <article key={m.id} className="card" data-testid={`mission-${m.key}`}>
          <h3>{m.title}</h3>
          <p className="muted">
            {t('events.reward', { reward: rt.bundle(m.reward_bundle) })} · {t('missions.resets', { date: fmtDate(m.resets_at, lang) })}
          </p>
          <ProgressBar value={m.progress} max={m.target} label={t('events.progress', { progress: m.progress, target: m.target })} />
          {m.status === 'claimable' && (
            <button type="button" className="primary" disabled={claiming[m.id]} onClick={() => void claimMission(m.id)}>
              {t('events.claim')}
            </button>
          )}
          {m.status === 'claimed' && <span className="badge">{t('events.claimed')}</span>}
        </article>
      ))
    );
  // Until the first answer there is nothing to say about either period: not "nothing here".
  if (!fetched) return <Loading />;
  return (
    <div className="stack">
      <h1>{t('missions.title')}</h1>
      <h2>{t('missions.daily')}</h2>
      {list(missions.daily)}
      <h2>{t('missions.weekly')}</h2>
      {list(missions.weekly)}
    </div>
  );
}
