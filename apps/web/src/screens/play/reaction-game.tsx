import { useCallback, useEffect, useRef, useState } from 'react';
import type { EndSessionResponse } from '@playloop/contracts';
import { useT } from '../../hooks';

export const REACTION_SECONDS = 15;
const TARGET_LIFETIME_MS = 1200;

/**
 * The client-scored skill game: a target appears at a random spot; a hit scores 10 plus up to 10
 * for speed (the server's bound is 100 a second), a miss lets it jump. Ends when time is up or on
 * Finish; the score earned is handed to `onEnd`, whose answer says whether the game ended (null:
 * it did not, and Finish works again).
 */
export function ReactionGame({ onEnd }: { onEnd: (score: number, hits: number) => Promise<EndSessionResponse | null> }) {
  const t = useT();
  const [score, setScore] = useState(0);
  const [hits, setHits] = useState(0);
  const [left, setLeft] = useState(REACTION_SECONDS);
  const [target, setTarget] = useState(() => ({ x: 50, y: 50, shownAt: performance.now(), n: 0 }));
  // The clock starts once, at mount: a parent re-rendering (a toast, a live update) must not restart it.
  const startedAt = useRef<number | null>(null);
  const ended = useRef(false);
  const totals = useRef({ score: 0, hits: 0 });
  // The latest onEnd, read when the game ends, so the timer below never restarts for a new one.
  const onEndRef = useRef(onEnd);
  useEffect(() => {
    onEndRef.current = onEnd;
  }, [onEnd]);

  const finish = useCallback(() => {
    if (ended.current) return;
    ended.current = true;
    void onEndRef.current(totals.current.score, totals.current.hits).then(
      (result) => {
        if (result === null) ended.current = false;
      },
      () => {
        ended.current = false;
      },
    );
  }, []);

  const move = useCallback(() => {
    setTarget((p) => ({ x: 10 + Math.random() * 80, y: 10 + Math.random() * 80, shownAt: performance.now(), n: p.n + 1 }));
  }, []);

  useEffect(() => {
    startedAt.current ??= performance.now();
    const start = startedAt.current;
    const tick = setInterval(() => {
      const remaining = Math.max(0, REACTION_SECONDS - Math.floor((performance.now() - start) / 1000));
      setLeft(remaining);
      if (remaining > 0) return;
      // Time is up: one end, not one per tick; if it fails, Finish is there to try again.
      clearInterval(tick);
      finish();
    }, 250);
    return () => clearInterval(tick);
  }, [finish]);

  useEffect(() => {
    const timer = setTimeout(move, TARGET_LIFETIME_MS);
    return () => clearTimeout(timer);
  }, [target.n, move]);

  const hit = () => {
    // Time up is time up, even while an end that failed waits for Finish again.
    if (ended.current || left === 0) return;
    const reactionMs = performance.now() - target.shownAt;
    const gained = 10 + Math.max(0, Math.round(10 * (1 - reactionMs / TARGET_LIFETIME_MS)));
    totals.current = { score: totals.current.score + gained, hits: totals.current.hits + 1 };
    setScore(totals.current.score);
    setHits(totals.current.hits);
    move();
  };

  return (
    <div className="game">
      <div className="row spread">
        <strong data-testid="reaction-score">{t('play.score', { score })}</strong>
        <span aria-live="off" data-testid="reaction-left">
          {t('play.time', { s: left })}
        </span>
        <span className="muted">{hits}</span>
      </div>
      <div className="arena" data-testid="arena">
        <button
          key={target.n}
          type="button"
          className="target"
          data-testid="target"
          aria-label={t('play.hitTarget')}
          style={{ left: `${target.x}%`, top: `${target.y}%` }}
          onClick={hit}
        />
      </div>
      {/* The server refuses a play shorter than a second; Finish opens after it. */}
      <button type="button" onClick={finish} data-testid="finish" disabled={left > REACTION_SECONDS - 1}>
        {t('play.finish')}
      </button>
    </div>
  );
}
