import { randomUUID } from 'node:crypto';
import { appendOutbox } from '../outbox/service.ts';
import type { GameSession, GameType, StartSessionResponse } from '@playloop/contracts';
import type { Db } from '../../db/database.ts';
import type { Clock } from '../../lib/clock.ts';
import { DomainError, notFound } from '../../lib/domain-error.ts';
import { newSeed, seedCommitment } from './chance.ts';
import { describeGameType, gameTypes, getGameType, type GameTypeDef } from './registry.ts';
import {
  abandonSessionStartedBefore,
  insertActiveSession,
  listActiveSessions,
  listEndedSessions,
  toGameSession,
  type GameSessionRow,
} from './repo.ts';

export interface GamesDeps {
  db: Db;
  clock: Clock;
  /** Where server-scored games draw their seeds; the CSPRNG unless a test picks one. */
  newSeed?: () => string;
}

/**
 * How long past its type's max duration an untouched active session is kept before the next
 * start of that type closes it as abandoned (a reload or a lost connection should not lock the
 * player out, but a session being played must not be taken away).
 */
export const ABANDON_GRACE_S = 300;

/** Whether a session of `def` started at `startedAt` outlived its max duration and grace by `now`. */
export const isOverdue = (def: GameTypeDef, startedAt: Date, now: Date) =>
  now.getTime() - startedAt.getTime() > (def.maxDurationS + ABANDON_GRACE_S) * 1000;

/** Exp every ended play earns. */
export const BASE_PLAY_EXP = 10;
/** Most exp a score can add on top; with the base, a play earns at most 50 exp. */
export const MAX_SCORE_EXP = 40;

/** Exp for one ended play: the base plus one per `scorePerBonusExp` of score, capped. */
export const expForPlay = (def: GameTypeDef, score: number) =>
  BASE_PLAY_EXP + Math.min(MAX_SCORE_EXP, Math.floor(score / def.scorePerBonusExp));

/** Every game type, in registry order. */
export const listGameTypes = (): GameType[] => [...gameTypes.values()].map(describeGameType);

/**
 * Starts a session of a game type for a player. A server-scored type draws its seed and rolls
 * its result now, before the client does anything; the client sees only the seed's commitment.
 * An active session of the same type that outlived max duration + grace is first closed as
 * abandoned; any other active one makes this 409 SESSION_ALREADY_ACTIVE (decided by the
 * insert, so of concurrent starts exactly one succeeds). An unknown type is 404 NOT_FOUND.
 */
export async function startGameSession(deps: GamesDeps, input: { userId: string; gameType: string; traceId?: string | undefined }): Promise<StartSessionResponse> {
  const def = getGameType(input.gameType);
  if (!def) throw notFound(`game type ${input.gameType}`);
  const now = deps.clock.now();
  const seed = def.scoring === 'server' ? (deps.newSeed ?? newSeed)() : null;
  const play = seed !== null && def.scoring === 'server' ? def.play(seed) : null;
  const overdue = new Date(now.getTime() - (def.maxDurationS + ABANDON_GRACE_S) * 1000);

  const row = await deps.db.transaction().execute(async (trx) => {
    await abandonSessionStartedBefore(trx, input.userId, def.gameType, overdue, now);
    const started = await insertActiveSession(trx, {
      id: randomUUID(),
      userId: input.userId,
      gameType: def.gameType,
      startedAt: now,
      seed,
      seedCommitment: seed === null ? null : seedCommitment(seed),
      serverScore: play?.score ?? null,
      serverResult: play?.outcome ?? null,
    });
    if (started) {
      await appendOutbox(trx, {
        eventType: 'game.session.start',
        userId: input.userId,
        payload: { session_id: started.id, game_type: started.game_type },
        now,
        traceId: input.traceId,
      });
    }
    return started;
  });
  if (!row) throw new DomainError('SESSION_ALREADY_ACTIVE', `a ${def.gameType} session is already active`);
  return {
    session_id: row.id,
    game_type: row.game_type,
    started_at: row.started_at.toISOString(),
    status: 'active',
    seed_commitment: row.seed_commitment,
  };
}

/** The player's most recently ended sessions, newest first. */
export async function listRecentSessions(db: Db, userId: string, limit: number): Promise<GameSession[]> {
  return (await listEndedSessions(db, userId, limit)).map(toGameSession);
}

/**
 * The player's active sessions that can still be ended, to resume after a reload. One past its
 * type's max duration and grace is left out: ending it is refused, and the next start of its type
 * closes it.
 */
export async function listActive(deps: GamesDeps, userId: string): Promise<GameSession[]> {
  const now = deps.clock.now();
  const endable = (row: GameSessionRow) => {
    const def = getGameType(row.game_type);
    return def !== undefined && !isOverdue(def, row.started_at, now);
  };
  return (await listActiveSessions(deps.db, userId)).filter(endable).map(toGameSession);
}
