import { sql, type ColumnType, type Generated } from 'kysely';
import type { Envelope } from '@playloop/contracts';
import type { Db } from '../../db/database.ts';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

/** Kysely's view of the outbox table (migration 0009). */
export interface OutboxTable {
  id: Generated<number>;
  event_id: string;
  event_type: string;
  user_id: string;
  envelope: ColumnType<unknown, string, string>;
  created_at: Timestamp;
  published_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  lease_until: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  attempts: Generated<number>;
}

const withOutbox = (db: Db) => db.withTables<{ outbox: OutboxTable }>();

// Any constant works; it only has to be the same on every node that relays this database.
const RELAY_LOCK = 7_041_978;

export interface ClaimedRow {
  id: number;
  envelope: Envelope;
}

/** Inserts one envelope; runs on the caller's transaction. */
export async function insertOutboxRow(trx: Db, envelope: Envelope, createdAt: Date): Promise<void> {
  await withOutbox(trx)
    .insertInto('outbox')
    .values({
      event_id: envelope.event_id,
      event_type: envelope.event_type,
      user_id: envelope.user_id,
      envelope: JSON.stringify(envelope),
      created_at: createdAt,
    })
    .execute();
}

/**
 * Claims up to `limit` of the oldest unpublished rows under a lease until `leaseUntil`, in a short
 * transaction. Only one batch is in flight across all nodes (an advisory lock serialises claims,
 * and none is made while another node's lease is live), so rows reach the bus in id order. Rows
 * are locked FOR UPDATE SKIP LOCKED so a claim never waits on a row another claim is taking.
 * Returns [] when there is nothing to do or another node holds the batch.
 */
export async function claimOutboxBatch(db: Db, limit: number, now: Date, leaseUntil: Date): Promise<ClaimedRow[]> {
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${RELAY_LOCK})`.execute(trx);
    const busy = await sql<{ busy: boolean }>`
      SELECT EXISTS (
        SELECT 1 FROM outbox WHERE published_at IS NULL AND lease_until IS NOT NULL AND lease_until > ${now}
      ) AS busy`.execute(trx);
    if (busy.rows[0]?.busy) return [];
    const claimed = await sql<{ id: number; envelope: Envelope }>`
      UPDATE outbox SET lease_until = ${leaseUntil}, attempts = attempts + 1
      WHERE id IN (
        SELECT id FROM outbox
        WHERE published_at IS NULL
        ORDER BY id
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED
      )
      RETURNING id, envelope`.execute(trx);
    return claimed.rows.map((r) => ({ id: Number(r.id), envelope: r.envelope })).sort((x, y) => x.id - y.id);
  });
}

/** Marks claimed rows published. */
export async function markOutboxPublished(db: Db, ids: readonly number[], now: Date): Promise<void> {
  if (ids.length === 0) return;
  await withOutbox(db)
    .updateTable('outbox')
    .set({ published_at: now, lease_until: null })
    .where('id', 'in', ids)
    .execute();
}

/** Gives claimed rows back after a failed publish, so the next attempt takes them again at once. */
export async function releaseOutboxLease(db: Db, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await withOutbox(db)
    .updateTable('outbox')
    .set({ lease_until: null })
    .where('id', 'in', ids)
    .where('published_at', 'is', null)
    .execute();
}

export interface OutboxBacklog {
  pending: number;
  oldest_pending_at: Date | null;
  published_total: number;
}

/** Backlog figures for the pipeline endpoint and metrics. */
export async function readOutboxBacklog(db: Db): Promise<OutboxBacklog> {
  const result = await sql<{ pending: number | string; oldest: Date | string | null; published: number | string }>`
    SELECT
      count(*) FILTER (WHERE published_at IS NULL) AS pending,
      min(created_at) FILTER (WHERE published_at IS NULL) AS oldest,
      count(*) FILTER (WHERE published_at IS NOT NULL) AS published
    FROM outbox`.execute(db);
  const row = result.rows[0];
  return {
    pending: Number(row?.pending ?? 0),
    oldest_pending_at: row?.oldest ? new Date(row.oldest) : null,
    published_total: Number(row?.published ?? 0),
  };
}

/** Rows of one user, oldest first (tests and replay tooling). */
export async function listOutboxRows(db: Db, filter: { userId?: string } = {}) {
  let query = withOutbox(db).selectFrom('outbox').selectAll().orderBy('id');
  if (filter.userId) query = query.where('user_id', '=', filter.userId);
  return query.execute();
}

/** Marks rows unpublished again so the relay sends them once more (the runbook's replay). */
export async function requeueOutbox(db: Db, range: { fromId?: number; sinceCreatedAt?: Date }): Promise<number> {
  let query = withOutbox(db).updateTable('outbox').set({ published_at: null, lease_until: null });
  if (range.fromId !== undefined) query = query.where('id', '>=', range.fromId);
  if (range.sinceCreatedAt) query = query.where('created_at', '>=', range.sinceCreatedAt);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}
