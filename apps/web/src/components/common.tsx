import { useCallback, useEffect, type ReactNode } from 'react';
import { useApp, useT } from '../hooks';
import { gameNameIn } from './game-name';
import { rewardText } from './reward-text';

export function ProgressBar({ value, max, label }: { value: number; max: number; label: string }) {
  const pct = max > 0 ? Math.min(100, Math.round((value / max) * 100)) : 0;
  return (
    <div className="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={max} aria-valuenow={Math.min(value, max)}>
      <div className="progress-fill" style={{ width: `${pct}%` }} />
      <span className="progress-text">{label}</span>
    </div>
  );
}

/** A reward bundle or granted reward items, in words (`rewardText` in the UI's language and item names). */
export function useRewardText() {
  const t = useT();
  const names = useApp((s) => s.shop.itemNames);
  return rewardText(t, names);
}

/**
 * A game type's name in the UI's language (`gameNameIn`); the server's name (GET /api/game/types,
 * fetched once if not yet) for a type the UI does not know, its id until then.
 */
export function useGameName() {
  const types = useApp((s) => s.game.types);
  const fetchGameTypes = useApp((s) => s.fetchGameTypes);
  useEffect(() => {
    if (types.length === 0) void fetchGameTypes();
  }, [types.length, fetchGameTypes]);
  const t = useT();
  return useCallback((gameType: string) => gameNameIn(t, gameType, types.find((g) => g.game_type === gameType)?.name ?? gameType), [types, t]);
}

export function Loading() {
  const t = useT();
  return (
    <p className="muted" role="status">
      {t('common.loading')}
    </p>
  );
}

export function Empty() {
  const t = useT();
  return <p className="muted">{t('common.empty')}</p>;
}

export function Section({ title, children, testId }: { title: string; children: ReactNode; testId?: string }) {
  return (
    <section className="card" data-testid={testId}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

export function Toasts() {
  const toasts = useApp((s) => s.ui.toasts);
  const dismiss = useApp((s) => s.dismissToast);
  const t = useT();
  return (
    <div className="toasts" aria-live="polite">
      {toasts.map((x) => (
        <div key={x.id} className={`toast toast-${x.kind}`} role={x.kind === 'error' ? 'alert' : 'status'} data-testid={`toast-${x.kind}`}>
          <span>{t(x.key, x.vars)}</span>
          <button type="button" className="link" aria-label={t('common.close')} onClick={() => dismiss(x.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}

export const fmtDate = (iso: string, lang: string) =>
  new Date(iso).toLocaleString(lang === 'ko' ? 'ko-KR' : 'en-US', { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
