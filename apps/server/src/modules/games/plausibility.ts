import { DomainError } from '../../lib/domain-error.ts';
import type { ClientScoredGame, GameTypeDef } from './registry.ts';

/** Slack between the duration a client reports and the wall time the server saw (clock skew, latency). */
export const WALL_TIME_ALLOWANCE_S = 2;

/** What the client reported, and how long the server saw the session open. */
export interface ReportedPlay {
  score: number | undefined;
  durationS: number;
  /** Seconds from the session's start to now, by the server's clock. */
  wallS: number;
}

export type Verdict = { ok: true } | { ok: false; code: 'IMPLAUSIBLE_RESULT' | 'VALIDATION_FAILED'; detail: string };

/** The highest score a client-scored game accepts for a play this long. */
export const maxScoreFor = (def: ClientScoredGame, durationS: number) =>
  Math.floor(def.maxScorePerSecond * durationS) + def.scoreAllowance;

const implausible = (detail: string): Verdict => ({ ok: false, code: 'IMPLAUSIBLE_RESULT', detail });

/**
 * Whether a reported play could have happened: the duration within the type's limits and no
 * longer than the wall time since start plus 2 s; a client score within rate × duration plus the
 * allowance; a server-scored game carrying no score of its own (absent or 0).
 */
export function judgePlay(def: GameTypeDef, play: ReportedPlay): Verdict {
  if (play.durationS > play.wallS + WALL_TIME_ALLOWANCE_S) {
    return implausible(`duration ${play.durationS}s exceeds the ${Math.floor(play.wallS)}s since the session started`);
  }
  if (play.durationS > def.maxDurationS) return implausible(`${def.gameType} lasts at most ${def.maxDurationS}s`);
  if (play.durationS < def.minDurationS) return implausible(`${def.gameType} lasts at least ${def.minDurationS}s`);
  if (def.scoring === 'server') {
    return play.score === undefined || play.score === 0
      ? { ok: true }
      : implausible(`${def.gameType} is scored by the server; send no score`);
  }
  if (play.score === undefined) return { ok: false, code: 'VALIDATION_FAILED', detail: `${def.gameType} needs a score` };
  const bound = maxScoreFor(def, play.durationS);
  if (play.score > bound) return implausible(`a score of ${play.score} in ${play.durationS}s is above the bound of ${bound}`);
  return { ok: true };
}

/** Throws 422 IMPLAUSIBLE_RESULT (or 400 for a missing client score) unless `judgePlay` accepts. */
export function assertPlausible(def: GameTypeDef, play: ReportedPlay): void {
  const verdict = judgePlay(def, play);
  if (verdict.ok) return;
  if (verdict.code === 'VALIDATION_FAILED') {
    throw new DomainError('VALIDATION_FAILED', 'the request is not valid', [{ field: 'body.score', message: verdict.detail }]);
  }
  throw new DomainError('IMPLAUSIBLE_RESULT', verdict.detail);
}
