import type { EndSessionResponse, EnvelopeEventType, RewardItem } from '@playloop/contracts';
import type { Db } from '../db/database.ts';
import type { Clock } from '../lib/clock.ts';
import { DomainError, notFound } from '../lib/domain-error.ts';
import { advanceProgressForPlay } from '../modules/events/progress.ts';
import { assertPlausible } from '../modules/games/plausibility.ts';
import { getGameType } from '../modules/games/registry.ts';
import {
  abandonSession,
  claimSessionEnd,
  countPaidPlays,
  findSessionForRetry,
  keepEndResponse,
  toGameSession,
  type EndKey,
} from '../modules/games/repo.ts';
import { periodOf } from '../modules/missions/period.ts';
import { underKey, type OutboxEvent } from '../modules/outbox/service.ts';
import { lockPlayerAccounts } from '../modules/wallet/ledger.ts';
import { expForPlay, isOverdue } from '../modules/games/service.ts';
import { assertTransition } from '../modules/games/state.ts';
import { localDateOf, recordPlayDay } from '../modules/games/streak.ts';
import { addExp, grantReward } from '../modules/rewards/service.ts';

export interface EndGameSessionDeps {
  db: Db;
  clock: Clock;
  /** RESET_TIMEZONE: the play streak counts days in this zone. */
  resetTimezone: string;
}

export interface EndGameSessionInput {
  userId: string;
  sessionId: string;
  /** The client's score; required for client-scored games, absent or 0 for server-scored ones. */
  score?: number | undefined;
  durationS: number;
  meta?: Record<string, unknown> | undefined;
  /** The request's trace, carried by every analytics event of the end. */
  traceId?: string | undefined;
  /**
   * The X-Idempotency-Key the end runs under, if any: the end keeps its answer for a retry, and
   * every analytics event of the end carries the key.
   */
  endKey?: EndKey | undefined;
}

/** An end's answer; `replayed` when it is the answer of an earlier end under the same key. */
export interface EndGameSessionOutcome {
  response: EndSessionResponse;
  replayed: boolean;
}

/** Thrown inside the transaction when the session outlived its time: rolled back, then abandoned. */
class SessionOverdue extends Error {}

/**
 * Ends a player's game session in one transaction: ends the session (the conditional update
 * decides, so a session ends once), checks the result is plausible, advances the player's
 * matching events and missions, adds the play's exp (level, tier), counts the day toward the
 * play streak and pays a server-scored game's payout through the reward service (grant key
 * `game:{session_id}`). Any refusal rolls everything back: the session stays active and nothing
 * changed. Everything a session end changes happens here — the outbox events belong here too.
 *
 * A session that outlived its type's max duration plus the grace a new start allows is not
 * ended but closed as abandoned: 409 SESSION_NOT_ACTIVE, and the play counts toward nothing (it
 * would otherwise count toward whatever later day it was reported on). A keyed end keeps its
 * answer on the session (decisions §17): a retry under the key, its first answer lost, is
 * answered with it, replayed; the key with another body is 422 IDEMPOTENCY_KEY_REUSED.
 */
export async function endGameSession(deps: EndGameSessionDeps, input: EndGameSessionInput): Promise<EndGameSessionOutcome> {
  const now = deps.clock.now();
  try {
    return await deps.db.transaction().execute((trx) => endInTransaction(trx, deps, input, now));
  } catch (err) {
    if (!(err instanceof SessionOverdue)) throw err;
    await abandonSession(deps.db, input.sessionId, now);
    throw new DomainError('SESSION_NOT_ACTIVE', 'the session outlived its time and was abandoned');
  }
}

/** An end that did not claim the session: its replay under the same key, or why it cannot end. */
async function answerUnclaimed(trx: Db, input: EndGameSessionInput): Promise<EndGameSessionOutcome> {
  // Another player's session is reported as missing, not forbidden, so ids reveal nothing.
  const session = await findSessionForRetry(trx, input.sessionId, input.userId);
  if (!session) throw notFound('game session');
  if (session.status === 'ended' && input.endKey && session.end_idempotency_key === input.endKey.key) {
    if (session.end_fingerprint !== input.endKey.fingerprint) {
      throw new DomainError('IDEMPOTENCY_KEY_REUSED', 'this idempotency key was used with a different request');
    }
    return { response: session.end_response as EndSessionResponse, replayed: true };
  }
  assertTransition(session.status, 'ended');
  // Still active yet not claimed: only possible while a concurrent end is undecided.
  throw new DomainError('VERSION_CONFLICT', 'the session is being ended; retry');
}

async function endInTransaction(trx: Db, deps: EndGameSessionDeps, input: EndGameSessionInput, now: Date): Promise<EndGameSessionOutcome> {
  const today = localDateOf(now, deps.resetTimezone);
  const { userId, sessionId, durationS, traceId } = input;
  const idempotencyKey = input.endKey?.key;
  const row = await claimSessionEnd(trx, { sessionId, userId, now, score: input.score, durationS, meta: input.meta, endKey: input.endKey });
  if (!row) return answerUnclaimed(trx, input);

  const def = getGameType(row.game_type);
  if (!def) throw new Error(`game session ${row.id} has unknown game type ${row.game_type}`);
  if (isOverdue(def, row.started_at, now)) throw new SessionOverdue();
  assertPlausible(def, { score: input.score, durationS, wallS: (now.getTime() - row.started_at.getTime()) / 1000 });

  // The session's score is the server's roll for server-scored games (kept by the claim).
  const score = Number(row.score);
  const play = def.scoring === 'server' && row.seed !== null ? def.play(row.seed) : null;
  const won = play ? play.won : def.scoring === 'client' && score >= def.winScore;
  let payout = play?.payout ?? null;
  if (payout && def.scoring === 'server') {
    // The accounts lock also makes one player's paying ends take turns, so the count of the
    // day's paid plays is exact under concurrency.
    await lockPlayerAccounts(trx, userId);
    const day = periodOf('daily', now, deps.resetTimezone);
    if ((await countPaidPlays(trx, userId, day.startsAt, day.endsAt)) >= def.paidPlaysPerDay) payout = null;
  }
  const limitReached = play?.payout != null && payout === null;

  // First of the player's writes: participations and mission periods before the users row.
  const progressEvents: OutboxEvent<EnvelopeEventType>[] = [];
  const progressUpdates = await advanceProgressForPlay(trx, {
    userId,
    sessionId,
    gameType: def.gameType,
    score,
    durationS,
    won,
    now,
    resetTimezone: deps.resetTimezone,
    traceId,
    // The streak's update of the users row below carries their events (and addExp bumps the
    // state version in this transaction, whatever the exp).
    carryOutbox: progressEvents,
  });

  let rewardItems: RewardItem[] = [];
  if (payout) {
    const grant = await grantReward(trx, {
      userId,
      grantKey: `game:${sessionId}`,
      source: 'game',
      sourceId: sessionId,
      title: def.name,
      bundle: payout,
      now,
      traceId,
      idempotencyKey,
    });
    rewardItems = grant.rewardItems;
  }

  const expGained = expForPlay(def, score);
  const { level, levelUp } = await addExp(trx, userId, expGained);

  const { streakDays, tier } = await recordPlayDay(trx, userId, today, [
    ...underKey(progressEvents, idempotencyKey),
    {
      eventType: 'game.session.end',
      userId,
      payload: {
        session_id: sessionId,
        game_type: def.gameType,
        score,
        duration: Math.round(durationS),
        exp_gained: expGained,
        level,
        level_up: levelUp,
      },
      now,
      traceId,
      idempotencyKey,
    },
  ]);

  const session = toGameSession(row);
  const response: EndSessionResponse = {
    session: { ...session, ended_at: now.toISOString(), score, duration: durationS, status: 'ended' as const },
    progress_updates: progressUpdates,
    exp_gained: expGained,
    level,
    level_up: levelUp,
    tier,
    streak_days: streakDays,
    reward_items: rewardItems,
    result:
      play && row.seed !== null && row.seed_commitment !== null
        ? {
            seed: row.seed,
            seed_commitment: row.seed_commitment,
            outcome: play.outcome,
            paid_soft: payout?.currencies?.soft ?? 0,
            daily_payout_limit_reached: limitReached,
          }
        : null,
  };
  if (input.endKey) await keepEndResponse(trx, sessionId, response);
  return { response, replayed: false };
}
