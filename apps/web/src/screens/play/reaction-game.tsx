import { useCallback, useEffect, useRef, useState } from 'react';
import { useT } from '../../hooks';

export const REACTION_SECONDS = 15;
const TARGET_LIFETIME_MS = 1200;

/**
 * The client-scored skill game: a target appears at a random spot; a hit scores 10 plus up to 10
 * for speed (the server's bound is 100 a second), a miss lets it jump. Ends when time is up or on
 * Finish; the score earned is handed to `onEnd`.
 */
export function ReactionGame({ onEnd }: { onEnd: (score: number, hits: number) => void }) {
  const t = useT();
  const [score, setScore] = useState(0);
  const [hits, setHits] = useState(0);
  const [left, setLeft] = useState(REACTION_SECONDS);
  const [target, setTarget] = useState({ x: 50, y: 50, shownAt: performance.now(), n: 0 });
  const ended = useRef(false);
  const totals = useRef({ score: 0, hits: 0 });

  const finish = useCallback(() => {
    if (ended.current) return;
    ended.current = true;
    onEnd(totals.current.score, totals.current.hits);
  }, [onEnd]);

  const move = useCallback(() => {
    setTarget((p) => ({ x: 10 + Math.random() * 80, y: 10 + Math.random() * 80, shownAt: performance.now(), n: p.n + 1 }));
  }, []);

  useEffect(() => {
    const start = performance.now();
    const tick = setInterval(() => {
      const remaining = Math.max(0, REACTION_SECONDS - Math.floor((performance.now() - start) / 1000));
      setLeft(remaining);
      if (remaining === 0) finish();
    }, 250);
    return () => clearInterval(tick);
  }, [finish]);

  useEffect(() => {
    const timer = setTimeout(move, TARGET_LIFETIME_MS);
    return () => clearTimeout(timer);
  }, [target.n, move]);

  const hit = () => {
    if (ended.current) return;
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
        <span aria-live="off">{t('play.time', { s: left })}</span>
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
