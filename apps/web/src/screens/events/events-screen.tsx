import { useEffect } from 'react';
import { Empty, Loading, ProgressBar, fmtDate, useRewardText } from '../../components/common';
import { useApp, useT } from '../../hooks';

/** Events: join, progress bar, claim; client-reportable events take a +1 report. */
export function EventsScreen() {
  const t = useT();
  const lang = useApp((s) => s.ui.lang);
  const ev = useApp((s) => s.events);
  const fetchEvents = useApp((s) => s.fetchEvents);
  const participate = useApp((s) => s.participate);
  const claimEvent = useApp((s) => s.claimEvent);
  const reportProgress = useApp((s) => s.reportProgress);
  const rt = useRewardText();
  useEffect(() => {
    void fetchEvents();
  }, [fetchEvents]);

  if (ev.loading) return <Loading />;
  return (
    <div className="stack">
      <h1>{t('events.title')}</h1>
      {ev.list.length === 0 && <Empty />}
      {ev.list.map((e) => {
        const p = ev.participationsById[e.id] ?? null;
        return (
          <article key={e.id} className="card" data-testid={`event-${e.key}`}>
            <h2>{e.title}</h2>
            {e.description && <p>{e.description}</p>}
            <p className="muted">
              {t('events.ends', { date: fmtDate(e.ends_at, lang) })} · {t('events.reward', { reward: rt.bundle(e.reward_bundle) })}
            </p>
            {p ? (
              <>
                <ProgressBar value={p.progress} max={p.target} label={t('events.progress', { progress: p.progress, target: p.target })} />
                <div className="row">
                  {e.rules.client_reportable && p.status === 'active' && (
                    // One report at a time: it waits for the answer to the one out.
                    <button type="button" disabled={p.pending} onClick={() => void reportProgress(e.id, 1)}>
                      {t('events.report')}
                    </button>
                  )}
                  {/* Only the server's word makes an event claimable, never a guess still pending. */}
                  {p.status === 'claimable' && !p.pending && (
                    <button type="button" className="primary" disabled={ev.claiming[e.id]} onClick={() => void claimEvent(e.id)}>
                      {t('events.claim')}
                    </button>
                  )}
                  {p.status === 'claimed' && <span className="badge">{t('events.claimed')}</span>}
                  {p.status === 'expired' && <span className="badge">{t('events.expired')}</span>}
                </div>
              </>
            ) : (
              <button type="button" className="primary" disabled={e.status !== 'active'} onClick={() => void participate(e.id)}>
                {t('events.join')}
              </button>
            )}
          </article>
        );
      })}
    </div>
  );
}
