import { randomUUID } from 'node:crypto';
import { sql, type ColumnType, type Generated, type QueryCreator, type RawBuilder } from 'kysely';
import type { Envelope, EnvelopeEventType } from '@playloop/contracts';
import type { Db } from '../../db/database.ts';
import type { DB } from '../../db/schema.ts';

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
}

const withOutbox = (db: Db) => db.withTables<{ outbox: OutboxTable }>();

// Any constant works; it only has to be the same on every node that relays this database.
const RELAY_LOCK = 7_041_978;
/**
 * The first key of the advisory lock a running relay holds to show it is alive; the second is the
 * relay's own `presence_key`, written on its leases (migration 0021).
 */
export const RELAY_PRESENCE = 7_041_979;

/**
 * An outbox event as the relay hands it to a publisher: the routing fields from their columns and
 * the envelope as JSON text, so publishing to Kafka needs no parse and no re-encode.
 */
export interface OutboxMessage {
  event_id: string;
  event_type: EnvelopeEventType;
  user_id: string;
  /** The envelope JSON, the text the server wrote into the outbox (a json column). */
  json: string;
}

/** A claimed row: its id (the publish order) and the message. */
export interface ClaimedRow extends OutboxMessage {
  id: number;
}

/** Inserts one envelope; runs on the caller's transaction. */
export async function insertOutboxRow(trx: Db, envelope: Envelope, createdAt: Date): Promise<void> {
  await insertOutboxRows(trx, [{ envelope, createdAt }]);
}

export interface OutboxRowInput {
  envelope: Envelope;
  createdAt: Date;
}

const outboxValues = (rows: OutboxRowInput[]) =>
  rows.map(({ envelope, createdAt }) => ({
    event_id: envelope.event_id,
    event_type: envelope.event_type,
    user_id: envelope.user_id,
    envelope: JSON.stringify(envelope),
    created_at: createdAt,
  }));

/** Inserts envelopes in one statement, ids in list order (the relay publishes in id order). */
export async function insertOutboxRows(trx: Db, rows: OutboxRowInput[]): Promise<void> {
  if (rows.length === 0) return;
  await withOutbox(trx).insertInto('outbox').values(outboxValues(rows)).execute();
}

/**
 * The INSERT of `rows` into the outbox as SQL, for a CTE of a larger statement; with `when`, a
 * condition on another of its CTEs, the rows are written only if it holds. Rows keep list order.
 */
export function outboxInsert(rows: OutboxRowInput[], when?: RawBuilder<boolean>) {
  const values = sql.join(
    outboxValues(rows).map(
      (r) => sql`(${r.event_id}::uuid, ${r.event_type}::text, ${r.user_id}::uuid, ${r.envelope}::json, ${r.created_at}::timestamptz)`,
    ),
  );
  return sql`INSERT INTO outbox (event_id, event_type, user_id, envelope, created_at)
    SELECT * FROM (VALUES ${values}) v${when ? sql` WHERE ${when}` : sql``}`;
}

/**
 * A query creator whose next statement also inserts `rows` into the outbox, as a data-modifying
 * WITH in front of it: PostgreSQL runs such a WITH exactly once, with the statement, referenced or
 * not. A write the caller makes anyway then carries its events without a round trip of their own.
 */
export function withOutboxRows(trx: Db, rows: OutboxRowInput[]): QueryCreator<DB> {
  if (rows.length === 0) return trx;
  // The CTE's own row type is of no use to the caller; it only names the insert.
  return withOutbox(trx).with('outbox_rows', (qc) => qc.insertInto('outbox').values(outboxValues(rows))) as unknown as QueryCreator<DB>;
}

// Ids travel as one array parameter: one statement text (one prepared statement) whatever the
// batch size, instead of a text per size with thousands of parameters.
const idArray = (ids: readonly number[]) => sql`${`{${ids.join(',')}}`}::bigint[]`;

/**
 * Claims up to `limit` of the oldest unpublished rows under a lease until `leaseUntil`, held by
 * `owner`, in a short transaction: one `outbox_leases` row names the batch (owner, first and last
 * id), the outbox rows themselves are only read. Only one relay has batches in flight across all
 * nodes (an advisory lock serialises claims, and none is made while another owner's lease is
 * live), so rows reach the bus in id order. The owner's own live leases (the batch it is
 * publishing while it claims the next) do not block it, and the rows in their id ranges are not
 * claimed again. Expired leases are dropped here: their rows are claimable again. Returns [] when
 * there is nothing to do or another node holds a batch.
 *
 * `held` names (by first id) the owner's batches still in its hands — published or being marked.
 * Their leases count as live even past their end, for the owner only: a publish that outlives its
 * lease (a slow broker, a clock jump) must not be claimed and published again by the relay that
 * is still publishing it. Other nodes still take such a batch once its lease has ended.
 *
 * `presenceKey` is the second key of the advisory lock the owner holds while it runs (see
 * RELAY_PRESENCE), written on the lease. Another owner's lease whose lock nobody holds is dropped
 * like an expired one: its relay's process is gone (its connections closed with it), so the batch
 * is taken at once rather than when the lease ends.
 */
export async function claimOutboxBatch(
  db: Db,
  limit: number,
  now: Date,
  leaseUntil: Date,
  owner: string = randomUUID(),
  held: readonly number[] = [],
  presenceKey: number | null = null,
): Promise<ClaimedRow[]> {
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${RELAY_LOCK})`.execute(trx);
    const busy = await sql<{ busy: boolean }>`
      WITH expired AS (
        DELETE FROM outbox_leases l
        WHERE NOT (l.owner = ${owner}::uuid AND l.first_id = ANY(${idArray(held)}))
          AND (
            l.lease_until <= ${now}
            OR (l.owner <> ${owner}::uuid AND l.presence_key IS NOT NULL AND NOT EXISTS (
              SELECT 1 FROM pg_locks k
              WHERE k.locktype = 'advisory' AND k.granted AND k.objsubid = 2
                AND k.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                AND k.classid = ${RELAY_PRESENCE}::int::oid AND k.objid = l.presence_key::oid
            ))
          )
        RETURNING l.owner, l.first_id
      )
      -- The statement's own DELETE is not visible to it: the dropped leases are left out by name.
      SELECT EXISTS (
        SELECT 1 FROM outbox_leases l
        WHERE l.lease_until > ${now} AND l.owner <> ${owner}::uuid
          AND (l.owner, l.first_id) NOT IN (SELECT owner, first_id FROM expired)
      ) AS busy`.execute(trx);
    if (busy.rows[0]?.busy) return [];
    const claimed = await sql<{ id: number | string; event_id: string; event_type: EnvelopeEventType; user_id: string; json: string }>`
      SELECT o.id, o.event_id, o.event_type, o.user_id, o.envelope::text AS json
      FROM outbox o
      WHERE o.published_at IS NULL
        AND NOT EXISTS (
          SELECT 1 FROM outbox_leases l
          WHERE l.owner = ${owner}::uuid AND (l.lease_until > ${now} OR l.first_id = ANY(${idArray(held)}))
            AND o.id BETWEEN l.first_id AND l.last_id
        )
      ORDER BY o.id
      LIMIT ${limit}`.execute(trx);
    const rows = claimed.rows.map((r) => ({ id: Number(r.id), event_id: String(r.event_id), event_type: r.event_type, user_id: String(r.user_id), json: r.json }));
    if (rows.length > 0) {
      await sql`INSERT INTO outbox_leases (owner, first_id, last_id, lease_until, presence_key)
        VALUES (${owner}::uuid, ${rows[0]!.id}, ${rows.at(-1)!.id}, ${leaseUntil}, ${presenceKey}::int)`.execute(trx);
    }
    return rows;
  });
}

/** A claimed batch as its lease names it: the owner and its first id, and the ids it holds. */
export interface LeasedBatch {
  owner: string;
  ids: readonly number[];
}

/** Marks a claimed batch published and ends its lease, in one statement. */
export async function markOutboxPublished(db: Db, batch: LeasedBatch, now: Date): Promise<void> {
  if (batch.ids.length === 0) return;
  // A row counts once: a batch taken over and published again by another node is not counted twice.
  await sql`
    WITH ended AS (DELETE FROM outbox_leases WHERE owner = ${batch.owner}::uuid AND first_id = ${batch.ids[0]!}),
    marked AS (UPDATE outbox SET published_at = ${now} WHERE id = ANY(${idArray(batch.ids)}) AND published_at IS NULL RETURNING 1)
    UPDATE outbox_counters SET published_total = published_total + (SELECT count(*) FROM marked)`.execute(db);
}

/**
 * Extends the leases of the batches `owner` still holds (by first id) to `until`. A lease that
 * already ended and was taken over by another node is not revived: its row is gone.
 */
export async function renewOutboxLeases(db: Db, owner: string, firstIds: readonly number[], until: Date): Promise<void> {
  if (firstIds.length === 0) return;
  await sql`UPDATE outbox_leases SET lease_until = ${until} WHERE owner = ${owner}::uuid AND first_id = ANY(${idArray(firstIds)})`.execute(db);
}

/** Gives a claimed batch back after a failed publish, so the next attempt takes it again at once. */
export async function releaseOutboxLease(db: Db, batch: LeasedBatch): Promise<void> {
  if (batch.ids.length === 0) return;
  await sql`DELETE FROM outbox_leases WHERE owner = ${batch.owner}::uuid AND first_id = ${batch.ids[0]!}`.execute(db);
}

export interface OutboxBacklog {
  pending: number;
  oldest_pending_at: Date | null;
  published_total: number;
}

/**
 * Backlog figures for the pipeline endpoint and metrics. Only the unpublished rows are read, through
 * the pending index (migration 0009): the published rows kept for replays (a week of them, by
 * default) would otherwise be read on every scrape.
 */
export async function readOutboxBacklog(db: Db): Promise<OutboxBacklog> {
  const result = await sql<{ pending: number | string; oldest: Date | string | null; published: number | string | null }>`
    SELECT count(*) AS pending, min(created_at) AS oldest, (SELECT published_total FROM outbox_counters) AS published
    FROM outbox
    WHERE published_at IS NULL`.execute(db);
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

/** What one step of the retention sweep did: rows it walked, the last one's id, and rows it deleted. */
export interface PruneStep {
  scanned: number;
  lastId: number | null;
  deleted: number;
}

/**
 * One step of the retention sweep: walks the next `limit` rows in id order after `afterId` (the
 * primary key, so a step costs the same however long the outbox is) and deletes those published
 * before `publishedBefore`, in one statement. Rows it walks and keeps (unpublished, or published
 * since) stay, and the walk goes on past them with the next step's `afterId`.
 */
export async function prunePublishedOutbox(db: Db, publishedBefore: Date, afterId = 0, limit = 5_000): Promise<PruneStep> {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new Error(`prune limit must be a positive integer, got ${limit}`);
  // The limit is written into the text (one per caller: a constant) so the planner knows the walk
  // is short. The DELETE names its rows by an array of ids, which always probes the primary key
  // (a join could be planned as a scan of the whole outbox); it checks `published_at` again on the
  // row as it deletes it, so a row requeued meanwhile (the runbook's replay) is kept.
  const result = await sql<{ scanned: number | string; last_id: number | string | null; deleted: number | string }>`
    WITH walked AS MATERIALIZED (
      SELECT id, published_at FROM outbox WHERE id > ${afterId} ORDER BY id LIMIT ${sql.lit(limit)}
    ),
    gone AS (
      DELETE FROM outbox
      WHERE id = ANY(ARRAY(SELECT id FROM walked WHERE published_at < ${publishedBefore}))
        AND published_at < ${publishedBefore}
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM walked) AS scanned, (SELECT max(id) FROM walked) AS last_id, (SELECT count(*) FROM gone) AS deleted`.execute(db);
  const row = result.rows[0];
  return {
    scanned: Number(row?.scanned ?? 0),
    lastId: row?.last_id == null ? null : Number(row.last_id),
    deleted: Number(row?.deleted ?? 0),
  };
}

/** Marks rows unpublished again so the relay sends them once more (the runbook's replay). */
export async function requeueOutbox(db: Db, range: { fromId?: number; sinceCreatedAt?: Date }): Promise<number> {
  let query = withOutbox(db).updateTable('outbox').set({ published_at: null });
  if (range.fromId !== undefined) query = query.where('id', '>=', range.fromId);
  if (range.sinceCreatedAt) query = query.where('created_at', '>=', range.sinceCreatedAt);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}
