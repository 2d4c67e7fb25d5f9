import {
  EventRulesSchema,
  type AdminEvent,
  type CreateEventBody,
  type EventClaimResponse,
  type EventProgressBody,
  type EventRules,
  type LiveEvent,
  type Participation,
  type Balances,
  type RewardBundle,
  type RewardItem,
  type UpdateEventBody,
} from '@playloop/contracts';
import type { Db } from '../../db/database.ts';
import type { Clock } from '../../lib/clock.ts';
import { DomainError, notFound, unprocessable } from '../../lib/domain-error.ts';
import { gameTypes, highestScoreOf } from '../games/registry.ts';
import { appendOutbox } from '../outbox/service.ts';
import { addExp, grantOfOwnClaim, grantReward, type ClaimOutcome, type ClaimRequest } from '../rewards/service.ts';
import type { PendingReward } from '../rewards/pending.ts';
import {
  addProgress,
  countParticipations,
  expireParticipations,
  findEvent,
  findEventAndMarkClaimed,
  findParticipation,
  insertEvent,
  insertParticipation,
  listClaimableEvents,
  listEventsWithCounts,
  listEventsWithParticipation,
  retargetActiveParticipations,
  updateEvent,
  type EventRow,
  type EventWithCountsRow,
  type EventWithParticipationRow,
  type ParticipationRow,
} from './repo.ts';
import { assertTransition, effectiveParticipationStatus, eventStatusAt } from './state.ts';

export interface EventsDeps {
  db: Db;
  clock: Clock;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export const eventNotActive = () => new DomainError('EVENT_NOT_ACTIVE', 'the event is not running now');
export const eventExpired = () => new DomainError('EVENT_EXPIRED', 'the event has ended');

type ParticipationFields = Pick<
  ParticipationRow,
  'event_id' | 'status' | 'progress' | 'target' | 'progress_version' | 'joined_at' | 'last_progress_at'
>;

/** The public shape of a participation at `now` (an ended event's open participation reads expired). */
export function toParticipation(row: ParticipationFields, endsAt: Date, now: Date): Participation {
  const status = effectiveParticipationStatus(row.status, endsAt, now);
  return {
    event_id: row.event_id,
    status,
    progress: row.progress,
    target: row.target,
    completed: row.progress >= row.target,
    claimed: status === 'claimed',
    progress_version: row.progress_version,
    last_progress_at: iso(row.last_progress_at),
    joined_at: row.joined_at.toISOString(),
  };
}

/** The player's participation from an event row left-joined with it, or null when not joined. */
export function participationOf(row: EventWithParticipationRow, now: Date): Participation | null {
  // The left join's columns are all null or all set: a participation row exists or it does not.
  return row.p_status === null
    ? null
    : toParticipation(
        {
          event_id: row.id,
          status: row.p_status,
          progress: row.p_progress ?? 0,
          target: row.p_target ?? 0,
          progress_version: row.p_progress_version ?? 0,
          joined_at: row.p_joined_at ?? now,
          last_progress_at: row.p_last_progress_at,
        },
        row.ends_at,
        now,
      );
}

/** What players and operators alike see of an event, with its status at `now`. */
function eventFields(row: EventRow, now: Date) {
  return {
    id: row.id,
    key: row.key,
    title: row.title,
    description: row.description,
    type: row.type,
    starts_at: row.starts_at.toISOString(),
    ends_at: row.ends_at.toISOString(),
    rules: row.rules as EventRules,
    reward_bundle: row.reward_bundle as RewardBundle,
    status: eventStatusAt(row.starts_at, row.ends_at, now),
  };
}

function toEvent(row: EventWithParticipationRow, now: Date): LiveEvent {
  return { ...eventFields(row, now), participation: participationOf(row, now) };
}

/**
 * Events with the player's participation, in a fixed number of queries: the player's
 * participations of ended events are written expired first (lazy expiry), then one join reads all.
 */
export async function listEvents(deps: EventsDeps, userId: string, filter: { active?: boolean | undefined } = {}): Promise<LiveEvent[]> {
  const now = deps.clock.now();
  await expireParticipations(deps.db, now, { userId });
  const rows = await listEventsWithParticipation(deps.db, userId, now, filter.active);
  return rows.map((row) => toEvent(row, now));
}

/** Throws EVENT_NOT_ACTIVE unless `now` is inside the event's window. */
function assertRunning(event: EventRow, now: Date): void {
  if (eventStatusAt(event.starts_at, event.ends_at, now) !== 'active') throw eventNotActive();
}

async function requireEvent(db: Db, eventId: string): Promise<EventRow> {
  const event = await findEvent(db, eventId);
  if (!event) throw notFound('event');
  return event;
}

/** The analytics event of a first join. */
const recordJoin = (trx: Db, userId: string, event: EventRow, target: number, now: Date, traceId: string | undefined) =>
  appendOutbox(trx, { eventType: 'event.participate', userId, payload: { event_id: event.id, event_key: event.key, target }, now, traceId });

/**
 * Joins the player to a running event. The insert decides (ON CONFLICT DO NOTHING): the first
 * call creates the participation (`created`), any later one returns it unchanged.
 */
export async function participate(
  deps: EventsDeps,
  userId: string,
  eventId: string,
  traceId?: string,
): Promise<{ created: boolean; participation: Participation }> {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const event = await requireEvent(trx, eventId);
    assertRunning(event, now);
    // The insert reads the target itself, with the event locked (a concurrent change may move it).
    const inserted = await insertParticipation(trx, { userId, eventId, now });
    if (inserted) {
      await addExp(trx, userId, 0);
      await recordJoin(trx, userId, event, inserted.target, now, traceId);
      return { created: true, participation: toParticipation(inserted, event.ends_at, now) };
    }
    const existing = await findParticipation(trx, userId, eventId);
    if (!existing) throw new Error('participation vanished after a conflicting insert');
    return { created: false, participation: toParticipation(existing, event.ends_at, now) };
  });
}

/** Marker a transaction returns so that an expiry it wrote is committed before the refusal. */
const EXPIRED = Symbol('expired');

/**
 * Records progress the client reports, for events whose rules allow it. Reporting joins the
 * player to the event if they had not joined (the report is itself taking part). With
 * `expected_version`, the update is conditional on the participation still having that version,
 * so of concurrent reports made from one state only one applies.
 */
export async function reportProgress(deps: EventsDeps, userId: string, eventId: string, body: EventProgressBody, traceId?: string): Promise<Participation> {
  const now = deps.clock.now();
  const outcome = await deps.db.transaction().execute(async (trx) => {
    const event = await requireEvent(trx, eventId);
    const rules = EventRulesSchema.parse(event.rules);
    if (!rules.client_reportable) {
      throw new DomainError('PROGRESS_SERVER_ONLY', 'progress of this event is counted by the server only');
    }
    if (body.metric !== rules.metric) {
      throw new DomainError('VALIDATION_FAILED', 'the request is not valid', [
        { field: 'body.metric', message: `this event counts ${rules.metric}` },
      ]);
    }
    if (now < event.starts_at) throw eventNotActive();
    if (now >= event.ends_at) {
      await expireParticipations(trx, now, { userId, eventId });
      return EXPIRED;
    }

    const joined = await insertParticipation(trx, { userId, eventId, now });
    if (joined) await recordJoin(trx, userId, event, joined.target, now, traceId);
    const updated = await addProgress(trx, { userId, eventId, delta: body.delta, expectedVersion: body.expected_version, now });
    if (updated) {
      await addExp(trx, userId, 0);
      const state = toParticipation(updated, event.ends_at, now);
      await appendOutbox(trx, {
        eventType: 'event.progress',
        userId,
        payload: {
          event_id: eventId,
          metric: body.metric,
          delta: body.delta,
          progress: state.progress,
          target: state.target,
          completed: state.completed,
          progress_version: state.progress_version,
        },
        now,
        traceId,
      });
      return state;
    }
    const current = joined ?? (await findParticipation(trx, userId, eventId));
    if (!current) throw new Error('participation vanished inside its transaction');
    // Claimed and expired are final: the table refuses any move (ALREADY_CLAIMED, EVENT_EXPIRED).
    if (current.status === 'claimed' || current.status === 'expired') assertTransition(current.status, 'claimable');
    if (body.expected_version !== undefined && body.expected_version !== current.progress_version) {
      throw new DomainError('VERSION_CONFLICT', `the participation is at version ${current.progress_version}; reload and retry`);
    }
    if (current.status === 'active') {
      // Active with the expected version, yet not updated: it changed between the two statements.
      throw new DomainError('VERSION_CONFLICT', 'the participation changed concurrently; retry');
    }
    // Claimable: the target is reached, progress stays where it is.
    return toParticipation(current, event.ends_at, now);
  });
  if (outcome === EXPIRED) throw eventExpired();
  return outcome;
}

/**
 * Claims a completed participation's reward. The conditional UPDATE claimable → claimed decides
 * the one winner of any number of concurrent claims; the grant (key `event:{id}:user:{user}`)
 * follows in the same transaction, so there is exactly one, ever. After ends_at the
 * participation is written expired and the claim refused with EVENT_EXPIRED (one claimed in time
 * is ALREADY_CLAIMED, as before the end). A claim already made
 * under the request's own idempotency key (its first answer lost, or a retry that took the key
 * over while the claim still ran) is answered again, replayed, even after ends_at; under another
 * key or none it is ALREADY_CLAIMED.
 */
export async function claimEvent(
  deps: EventsDeps,
  userId: string,
  eventId: string,
  request: ClaimRequest = {},
): Promise<ClaimOutcome<EventClaimResponse>> {
  const { traceId, idempotencyKey } = request;
  const now = deps.clock.now();
  const grantKey = `event:${eventId}:user:${userId}`;
  const outcome = await deps.db.transaction().execute(async (trx) => {
    // The accounts first, as every flow that pays locks them, then the claim itself, in the
    // statement that reads the event.
    const read = await findEventAndMarkClaimed(trx, eventId, userId, now);
    if (!read) throw notFound('event');
    const { event, claimed } = read;
    if (!claimed) {
      // Nothing moved. Before any refusal, a claim made under this request's own key is its answer:
      // the key paid, so it must not be told EVENT_EXPIRED because the retry came after ends_at.
      // Only keyed requests and requests once the event has started read the participation.
      const current = idempotencyKey || now >= event.starts_at ? await findParticipation(trx, userId, eventId) : undefined;
      const mine = current && (await grantOfOwnClaim(trx, { userId, status: current.status, grantKey, idempotencyKey }));
      if (mine) return { response: claimAnswer(current, event.ends_at, now, mine), replayed: true };
      if (now < event.starts_at) throw eventNotActive();
      if (now >= event.ends_at) {
        // A reward claimed in time stays claimed (a final state): the player is told they have it,
        // not that it expired. An open participation is written expired now, and refused.
        if (current?.status === 'claimed') assertTransition(current.status, 'claimed');
        await expireParticipations(trx, now, { userId, eventId });
        return EXPIRED;
      }
      if (!current) throw new DomainError('NOT_CLAIMABLE', 'you have not joined this event');
      assertTransition(current.status, 'claimed');
      throw new DomainError('VERSION_CONFLICT', 'the participation changed concurrently; retry');
    }

    const grant = await grantReward(trx, {
      userId,
      grantKey,
      idempotencyKey,
      source: 'event',
      sourceId: eventId,
      title: event.title,
      bundle: event.reward_bundle as RewardBundle,
      now,
      traceId,
      record: ({ grantId, rewardItems }) => [
        { eventType: 'event.claim', userId, payload: { event_id: eventId, grant_id: grantId, reward_items: rewardItems }, now, traceId, idempotencyKey },
      ],
    });
    return { response: claimAnswer(claimed, event.ends_at, now, grant), replayed: false };
  });
  if (outcome === EXPIRED) throw eventExpired();
  return outcome;
}

/** A claimed participation's answer, with the grant that paid it and the balances after. */
function claimAnswer(
  row: Parameters<typeof toParticipation>[0],
  endsAt: Date,
  now: Date,
  grant: { grantId: string; rewardItems: RewardItem[]; balances: Balances },
): EventClaimResponse {
  const { joined_at: _joined, ...participation } = toParticipation(row, endsAt, now);
  return { ...participation, status: 'claimed', claimed: true, grant_id: grant.grantId, reward_items: grant.rewardItems, balances: grant.balances };
}

/** The player's claimable event rewards, for GET /api/rewards/pending. */
export async function pendingEventRewards(db: Db, userId: string, now: Date): Promise<PendingReward[]> {
  const rows = await listClaimableEvents(db, userId, now);
  return rows.map((row) => ({
    source: 'event' as const,
    source_id: row.id,
    title: row.title,
    reward_bundle: row.reward_bundle as RewardBundle,
    expires_at: row.ends_at.toISOString(),
  }));
}

/**
 * Writes `expired` on every open participation of every ended event; for a periodic sweep (the
 * read and claim paths also expire lazily). Returns how many participations changed.
 */
export async function expireEndedParticipations(db: Db, now: Date): Promise<number> {
  return expireParticipations(db, now);
}

/** Refuses a rule naming a game type the server does not know (the games registry). */
export function assertKnownGameType(rules: { game_type?: string | undefined; min_score?: number | undefined }): void {
  const def = rules.game_type === undefined ? undefined : gameTypes.get(rules.game_type);
  if (rules.game_type !== undefined && !def) {
    throw new DomainError('VALIDATION_FAILED', 'the request is not valid', [
      { field: 'body.rules.game_type', message: `unknown game type; known: ${[...gameTypes.keys()].join(', ')}` },
    ]);
  }
  // A rule no play can meet would be accepted and never move: refused with the score it can reach.
  if (rules.min_score === undefined) return;
  const highest = def ? highestScoreOf(def) : Math.max(...[...gameTypes.values()].map(highestScoreOf));
  if (rules.min_score > highest) {
    throw new DomainError('VALIDATION_FAILED', 'the request is not valid', [
      { field: 'body.rules.min_score', message: `no play${def ? ` of ${def.gameType}` : ''} scores above ${highest}` },
    ]);
  }
}

function toAdminEvent(row: EventRow & { participants: number; claims: number }, now: Date): AdminEvent {
  return {
    ...eventFields(row, now),
    participants: row.participants,
    claims: row.claims,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/** Every event for operators, with its status now and how many joined and claimed. */
export async function listEventsForOperator(deps: EventsDeps): Promise<AdminEvent[]> {
  const now = deps.clock.now();
  return (await listEventsWithCounts(deps.db)).map((row: EventWithCountsRow) => toAdminEvent(row, now));
}

/**
 * Creates an event. A taken key is a well-formed body breaking a content rule: 422
 * VALIDATION_FAILED on body.key, nothing written (as for SKUs and items).
 */
export async function createEvent(deps: EventsDeps, body: CreateEventBody): Promise<AdminEvent> {
  assertKnownGameType(body.rules);
  const now = deps.clock.now();
  const row = await insertEvent(
    deps.db,
    {
      key: body.key,
      title: body.title,
      description: body.description,
      type: body.type,
      starts_at: new Date(body.starts_at),
      ends_at: new Date(body.ends_at),
      rules: body.rules,
      reward_bundle: body.reward_bundle,
    },
    now,
  );
  if (!row) throw unprocessable('body.key', 'already exists');
  return toAdminEvent({ ...row, participants: 0, claims: 0 }, now);
}

/**
 * Changes an event. The window is checked whole (a lone starts_at or ends_at against the stored
 * other half); an ended event's window cannot move (its participations may already be expired,
 * and expired is final). A new target applies to active participations, not to completed ones.
 */
export async function changeEvent(deps: EventsDeps, eventId: string, change: UpdateEventBody): Promise<AdminEvent> {
  const now = deps.clock.now();
  if (change.rules) assertKnownGameType(change.rules);
  return deps.db.transaction().execute(async (trx) => {
    // FOR UPDATE, not the NO KEY UPDATE a plain UPDATE of the row takes: it is what a concurrent
    // join's KEY SHARE read of the target waits for (`insertParticipation`), so that the join
    // either is seen by the retarget below or reads the new target.
    const event = await findEvent(trx, eventId, true);
    if (!event) throw notFound('event');
    const startsAt = change.starts_at ? new Date(change.starts_at) : event.starts_at;
    const endsAt = change.ends_at ? new Date(change.ends_at) : event.ends_at;
    if (startsAt >= endsAt) {
      throw new DomainError('VALIDATION_FAILED', 'the request is not valid', [
        { field: change.ends_at ? 'body.ends_at' : 'body.starts_at', message: 'ends_at must be after starts_at' },
      ]);
    }
    const windowMoved = startsAt.getTime() !== event.starts_at.getTime() || endsAt.getTime() !== event.ends_at.getTime();
    if (windowMoved && now >= event.ends_at) {
      throw new DomainError('EVENT_EXPIRED', 'the event has ended; its window can no longer change');
    }

    const updated = await updateEvent(
      trx,
      eventId,
      {
        ...(change.title !== undefined ? { title: change.title } : {}),
        ...(change.description !== undefined ? { description: change.description } : {}),
        ...(change.starts_at !== undefined ? { starts_at: startsAt } : {}),
        ...(change.ends_at !== undefined ? { ends_at: endsAt } : {}),
        ...(change.rules !== undefined ? { rules: change.rules } : {}),
        ...(change.reward_bundle !== undefined ? { reward_bundle: change.reward_bundle } : {}),
      },
      now,
    );
    if (change.rules) await retargetActiveParticipations(trx, eventId, change.rules.target, now);
    return toAdminEvent({ ...updated, ...(await countParticipations(trx, eventId)) }, now);
  });
}
