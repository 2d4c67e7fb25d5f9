import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { examplePayloads, type Envelope } from '@playloop/contracts';
import { advisoryLocksHeld } from '../../../test/locks.ts';
import { buildTestApp, type TestContext } from '../../../test/build-app.ts';
import { makePlayer } from '../../../test/factories/players.ts';
import { backoffDelay, createOutboxRelay, delayAfter, type Publisher } from './relay.ts';
import { claimOutboxBatch, listOutboxRows, markOutboxPublished, readOutboxBacklog, RELAY_PRESENCE, releaseOutboxLease } from './repo.ts';
import { appendOutbox } from './service.ts';

/** Batches under a lease right now, live or not. */
const leases = async () => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM outbox_leases`.execute(ctx.db)).rows[0]!.n);

let ctx: TestContext;
beforeAll(async () => {
  ctx = await buildTestApp();
});
afterAll(() => ctx?.close());

/** A publisher that records what it was given and fails while `down` is set. */
function recordingPublisher() {
  const batches: Envelope[][] = [];
  const state = { down: false, attempts: 0 };
  const publisher: Publisher = {
    name: 'recording',
    async publish(messages) {
      state.attempts += 1;
      if (state.down) throw new Error('bus unavailable');
      batches.push(messages.map((m) => JSON.parse(m.json) as Envelope));
    },
  };
  return { publisher, batches, state, published: () => batches.flat() };
}

/** A publisher whose publishes all wait until `letGo` is called (a slow broker). */
function heldPublisher() {
  let letGo!: () => void;
  const sent = new Promise<void>((r) => (letGo = r));
  const state = { calls: 0 };
  const publisher: Publisher = {
    name: 'slow-bus',
    publish: async () => {
      state.calls += 1;
      await sent;
    },
  };
  return { publisher, letGo: () => letGo(), calls: () => state.calls };
}

/** Writes `n` events for one user, one transaction each. */
async function writeEvents(userId: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 1) {
    const e = await ctx.db.transaction().execute((trx) =>
      appendOutbox(trx, { eventType: 'game.session.start', userId, payload: examplePayloads['game.session.start'], now: ctx.clock.now() }),
    );
    ids.push(e.event_id);
  }
  return ids;
}

/** Marks everything already in the outbox published, so each test starts from an empty backlog. */
async function settle() {
  const sink = recordingPublisher();
  await createOutboxRelay({ db: ctx.db, clock: ctx.clock, publisher: sink.publisher }).drain();
}

describe('backoffDelay', () => {
  it.each([
    [1, 200],
    [2, 400],
    [3, 800],
    [8, 25_600],
    [9, 30_000],
    [50, 30_000],
  ])('attempt %i waits %i ms at most, and at least four fifths of it', (attempt, ms) => {
    expect(backoffDelay(attempt, 200, 30_000, () => 1)).toBe(ms);
    expect(backoffDelay(attempt, 200, 30_000, () => 0)).toBe(Math.round(ms * 0.8));
  });
});

describe('outbox relay', () => {
  it('has its queue tables vacuumed after 1 % of their rows change, not the default 20 %', async () => {
    const options = await sql<{ relname: string; reloptions: string[] }>`
      SELECT relname, reloptions FROM pg_class WHERE relname IN ('outbox', 'outbox_leases') ORDER BY relname`.execute(ctx.db);
    expect(options.rows).toEqual([
      { relname: 'outbox', reloptions: expect.arrayContaining(['autovacuum_vacuum_scale_factor=0.01', 'autovacuum_vacuum_insert_scale_factor=0.01']) },
      { relname: 'outbox_leases', reloptions: ['autovacuum_vacuum_scale_factor=0.01'] },
    ]);
  });

  it('publishes every row once, in id order, in batches, and marks them published', async () => {
    await settle();
    const userId = (await makePlayer(ctx.app)).user.id;
    const ids = await writeEvents(userId, 7);
    const sink = recordingPublisher();
    const relay = createOutboxRelay({ db: ctx.db, clock: ctx.clock, publisher: sink.publisher, batchSize: 3 });

    // The signup bonus's reward.granted and the player's user.signup, then the seven games.
    expect((await relay.stats()).pending).toBe(9);
    expect(await relay.drain()).toBe(9);
    expect(sink.batches.map((b) => b.length)).toEqual([3, 3, 3]);
    expect(sink.published().map((e) => e.event_type)).toEqual(['reward.granted', 'user.signup', ...ids.map(() => 'game.session.start')]);
    expect(sink.published().slice(2).map((e) => e.event_id)).toEqual(ids);
    expect(await relay.stats()).toMatchObject({ pending: 0, oldest_pending_age_s: 0 });
    expect(await relay.drain()).toBe(0);
    expect(sink.published()).toHaveLength(9);
  });

  it('keeps the API serving while the publisher is down, then drains the backlog exactly once', async () => {
    await settle();
    const sink = recordingPublisher();
    sink.state.down = true;
    const errors: number[] = [];
    const relay = createOutboxRelay({
      db: ctx.db,
      clock: ctx.clock,
      publisher: sink.publisher,
      batchSize: 2,
      pollMs: 5,
      backoff: { initialMs: 5, maxMs: 20 },
      // The clock jumps 90 s below, past the default 15 s lease of a batch that may be in flight:
      // the relay must not take that batch's rows again (it holds them), or a row would go twice.
      onError: (_err, attempt) => errors.push(attempt),
    });
    relay.start();
    try {
      // The API answers while every publish fails; the backlog grows.
      const players = [];
      for (let i = 0; i < 3; i += 1) players.push(await makePlayer(ctx.app));
      ctx.clock.advance(90_000);
      await expect.poll(() => errors.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(3);
      expect(errors.slice(0, 3)).toEqual([1, 2, 3]);
      const backlog = await relay.stats();
      expect(backlog.pending).toBeGreaterThanOrEqual(3);
      expect(backlog.oldest_pending_age_s).toBeGreaterThanOrEqual(90);
      expect(relay.status()).toMatchObject({ running: true, last_error: 'bus unavailable' });

      sink.state.down = false;
      await expect.poll(async () => (await relay.stats()).pending, { timeout: 5_000 }).toBe(0);
      const published = sink.published().map((e) => e.event_id);
      expect(new Set(published).size).toBe(published.length);
      const signups = sink.published().filter((e) => e.event_type === 'user.signup').map((e) => e.user_id);
      expect(signups).toEqual(players.map((p) => p.user.id));
      expect(relay.status()).toMatchObject({ consecutive_failures: 0, last_error: null });
    } finally {
      await relay.stop();
    }
    expect(relay.status().running).toBe(false);
  });

  it('lets several nodes relay at once without losing, repeating or reordering a row', async () => {
    await settle();
    const userId = (await makePlayer(ctx.app)).user.id;
    const ids = await writeEvents(userId, 20);
    const all: Envelope[] = [];
    const publisher: Publisher = {
      name: 'shared-bus',
      async publish(messages) {
        await new Promise((r) => setTimeout(r, 2));
        all.push(...messages.map((m) => JSON.parse(m.json) as Envelope));
      },
    };
    const nodes = [0, 1, 2].map(() => createOutboxRelay({ db: ctx.db, clock: ctx.clock, publisher, batchSize: 3 }));
    await Promise.all(nodes.map((n) => n.drain()));
    for (let i = 0; i < 3 && (await nodes[0]!.stats()).pending > 0; i += 1) await nodes[0]!.drain();
    const mine = all.filter((e) => e.user_id === userId && e.event_type === 'game.session.start').map((e) => e.event_id);
    expect(mine).toEqual(ids);
  });

  it('takes over a batch whose node died once its lease has expired', async () => {
    await settle();
    const userId = (await makePlayer(ctx.app)).user.id;
    await writeEvents(userId, 2);
    const now = ctx.clock.now();
    // A node claims a batch and dies before publishing it.
    const lost = await claimOutboxBatch(ctx.db, 100, now, new Date(now.getTime() + 60_000));
    expect(lost.length).toBeGreaterThanOrEqual(2);

    const sink = recordingPublisher();
    const relay = createOutboxRelay({ db: ctx.db, clock: ctx.clock, publisher: sink.publisher });
    expect(await relay.drain()).toBe(0);
    ctx.clock.advance(61_000);
    expect(await relay.drain()).toBe(lost.length);
    expect(sink.published().map((e) => e.event_id)).toEqual(lost.map((r) => r.event_id));
    expect((await readOutboxBacklog(ctx.db)).pending).toBe(0);
    const rows = await listOutboxRows(ctx.db, { userId });
    expect(rows.every((r) => r.published_at !== null)).toBe(true);
    // The dead node's lease went when it expired, the taker's when its batch was marked.
    expect(await leases()).toBe(0);
  });
});

describe('outbox relay, claiming ahead', () => {
  it("claims the next batch while publishing, keeps one user's order, and blocks other nodes meanwhile", async () => {
    await settle();
    const userId = (await makePlayer(ctx.app)).user.id;
    const ids = await writeEvents(userId, 10);
    const seen: string[] = [];
    let otherNodeClaims = -1;
    const publisher: Publisher = {
      name: 'slow-bus',
      async publish(messages) {
        if (seen.length === 0) {
          // While batch 1 is on the wire, batch 2 is already leased: another node sees a batch in flight.
          await new Promise((r) => setTimeout(r, 50));
          const now = ctx.clock.now();
          otherNodeClaims = (await claimOutboxBatch(ctx.db, 100, now, new Date(now.getTime() + 60_000))).length;
        }
        seen.push(...messages.map((m) => m.event_id));
      },
    };
    const relay = createOutboxRelay({ db: ctx.db, clock: ctx.clock, publisher, batchSize: 4 });
    expect(await relay.drain()).toBe(12);
    expect(otherNodeClaims).toBe(0);
    expect(seen.filter((id) => ids.includes(id))).toEqual(ids);
    expect((await readOutboxBacklog(ctx.db)).pending).toBe(0);
  });

  it('does not claim again the batches it still holds when a publish outlives their leases', async () => {
    await settle();
    const userId = (await makePlayer(ctx.app)).user.id;
    const ids = await writeEvents(userId, 9);
    const seen: string[] = [];
    const publisher: Publisher = {
      name: 'slow-bus',
      async publish(messages) {
        // The first batch takes longer than every lease taken so far (here, a clock jump): the
        // batch claimed ahead of it is past its lease too before it is even sent.
        if (seen.length === 0) ctx.clock.advance(61_000);
        seen.push(...messages.map((m) => m.event_id));
      },
    };
    const relay = createOutboxRelay({ db: ctx.db, clock: ctx.clock, publisher, batchSize: 3 });
    const published = await relay.drain();
    expect(new Set(seen).size).toBe(seen.length);
    expect(published).toBe(seen.length);
    expect(seen.filter((id) => ids.includes(id))).toEqual(ids);
    expect((await readOutboxBacklog(ctx.db)).pending).toBe(0);
    expect(await leases()).toBe(0);
  });

  it('keeps a slow batch from other nodes by renewing its lease, and gives it up within one lease once it stops', async () => {
    await settle();
    const userId = (await makePlayer(ctx.app)).user.id;
    const ids = await writeEvents(userId, 2);
    const slow = heldPublisher();
    const relay = createOutboxRelay({ db: ctx.db, clock: ctx.clock, publisher: slow.publisher, leaseMs: 15_000 });
    const draining = relay.drain();
    await expect.poll(slow.calls).toBe(1);
    const otherNode = crypto.randomUUID();
    const otherClaim = () => {
      const now = ctx.clock.now();
      return claimOutboxBatch(ctx.db, 100, now, new Date(now.getTime() + 15_000), otherNode);
    };

    // 20 s into the publish: past the lease it was claimed with, inside the renewed one.
    ctx.clock.advance(10_000);
    await relay.renewLeases();
    ctx.clock.advance(10_000);
    expect(await otherClaim()).toEqual([]);

    // The relay stops renewing (as a node that died would): another node takes the batch once the lease ends.
    ctx.clock.advance(16_000);
    const taken = await otherClaim();
    expect(taken.map((r) => r.event_id)).toEqual(expect.arrayContaining(ids));
    await releaseOutboxLease(ctx.db, { owner: otherNode, ids: taken.map((r) => r.id) });
    slow.letGo();
    await draining;
    expect((await readOutboxBacklog(ctx.db)).pending).toBe(0);
    expect(await leases()).toBe(0);
  });

  it('renews, while it runs, the lease of the batch it is publishing', async () => {
    await settle();
    await writeEvents((await makePlayer(ctx.app)).user.id, 1);
    const slow = heldPublisher();
    const relay = createOutboxRelay({ db: ctx.db, clock: ctx.clock, publisher: slow.publisher, leaseMs: 15_000, renewEveryMs: 20 });
    relay.start();
    try {
      await expect.poll(slow.calls).toBe(1);
      ctx.clock.advance(12_000);
      const renewedTo = ctx.clock.now().getTime() + 15_000;
      const leaseEnd = async () =>
        (await sql<{ until: Date }>`SELECT lease_until AS until FROM outbox_leases`.execute(ctx.db)).rows.map((r) => new Date(r.until).getTime());
      await expect.poll(leaseEnd).toEqual([renewedTo]);
    } finally {
      slow.letGo();
      await relay.stop();
    }
  });

  it('publishes again, once its lease ends, a batch whose mark failed', async () => {
    await settle();
    const userId = (await makePlayer(ctx.app)).user.id;
    const ids = await writeEvents(userId, 2);
    const seen: string[] = [];
    const publisher: Publisher = {
      name: 'recording',
      async publish(messages) {
        seen.push(...messages.map((m) => m.event_id));
        // The database refuses the mark that follows this publish.
        if (seen.length === messages.length) await sql`ALTER TABLE outbox ADD CONSTRAINT relay_test_no_mark CHECK (published_at IS NULL) NOT VALID`.execute(ctx.db);
      },
    };
    const relay = createOutboxRelay({ db: ctx.db, clock: ctx.clock, publisher, batchSize: 100 });
    try {
      await expect(relay.drain()).rejects.toThrow(/relay_test_no_mark/);
    } finally {
      await sql`ALTER TABLE outbox DROP CONSTRAINT IF EXISTS relay_test_no_mark`.execute(ctx.db);
    }
    const first = seen.length;
    // Its lease still lives: nothing is claimed.
    expect(await relay.drain()).toBe(0);
    ctx.clock.advance(61_000);
    expect(await relay.drain()).toBe(first);
    expect(seen.slice(first)).toEqual(seen.slice(0, first));
    expect(seen.filter((id) => ids.includes(id))).toEqual([...ids, ...ids]);
    expect((await readOutboxBacklog(ctx.db)).pending).toBe(0);
  });

  it('gives back the batch claimed ahead when publishing fails, then publishes everything in order', async () => {
    await settle();
    const userId = (await makePlayer(ctx.app)).user.id;
    const ids = await writeEvents(userId, 6);
    const sink = recordingPublisher();
    sink.state.down = true;
    const relay = createOutboxRelay({ db: ctx.db, clock: ctx.clock, publisher: sink.publisher, batchSize: 3 });
    await expect(relay.drain()).rejects.toThrow('bus unavailable');
    // Nothing stays leased: another node could take every row at once.
    expect(await leases()).toBe(0);
    sink.state.down = false;
    expect(await relay.drain()).toBe(8);
    expect(sink.published().filter((e) => e.user_id === userId && e.event_type === 'game.session.start').map((e) => e.event_id)).toEqual(ids);
  });
});

describe("a dead relay's batch, told by its presence lock", () => {
  const holdLock = (k1: number, k2: number) => ctx.database.holdAdvisoryLock(k1, k2);
  /** Whether a session holds the presence lock `key` in this database right now. */
  const present = async (key: number) => (await advisoryLocksHeld(ctx.db, RELAY_PRESENCE, key)) > 0;
  const presenceLocks = () => advisoryLocksHeld(ctx.db, RELAY_PRESENCE);

  it('is taken at once when no session holds its lock any more, not when its lease ends', async () => {
    await settle();
    await writeEvents((await makePlayer(ctx.app)).user.id, 3);
    const now = ctx.clock.now();
    const until = new Date(now.getTime() + 15_000);
    // A node that runs holds its presence lock and claims a batch under it...
    const release = await holdLock(RELAY_PRESENCE, 4242);
    expect(await present(4242)).toBe(true);
    const lost = await claimOutboxBatch(ctx.db, 100, now, until, '00000000-0000-4000-8000-00000000dead', [], 4242);
    expect(lost.length).toBeGreaterThanOrEqual(3);
    // ...and while it lives, other nodes wait for it.
    expect(await claimOutboxBatch(ctx.db, 100, now, until, '00000000-0000-4000-8000-0000000000b2', [], null)).toEqual([]);
    // Its process dies: its connections close, and the lock with them. The clock has not moved.
    await release();
    expect(await present(4242)).toBe(false);
    const taken = await claimOutboxBatch(ctx.db, 100, now, until, '00000000-0000-4000-8000-0000000000b2', [], null);
    expect(taken.map((r) => r.id)).toEqual(lost.map((r) => r.id));
    await markOutboxPublished(ctx.db, { owner: '00000000-0000-4000-8000-0000000000b2', ids: taken.map((r) => r.id) }, now);
    expect(await leases()).toBe(0);
  });

  it('waits for the end of a lease that names no lock (a relay draining without running, an older node)', async () => {
    await settle();
    await writeEvents((await makePlayer(ctx.app)).user.id, 1);
    const now = ctx.clock.now();
    const lost = await claimOutboxBatch(ctx.db, 100, now, new Date(now.getTime() + 15_000), '00000000-0000-4000-8000-00000000dea2', [], null);
    expect(lost.length).toBeGreaterThanOrEqual(1);
    const relay = createOutboxRelay({ db: ctx.db, clock: ctx.clock, publisher: recordingPublisher().publisher });
    expect(await relay.drain()).toBe(0);
    ctx.clock.advance(15_001);
    expect(await relay.drain()).toBe(lost.length);
  });

  it('is let go by a stopping relay whose publish hangs, so another node takes it without waiting', async () => {
    await settle();
    await writeEvents((await makePlayer(ctx.app)).user.id, 2);
    let calls = 0;
    const hanging: Publisher = { name: 'hanging', publish: () => ((calls += 1), new Promise(() => {})) };
    const stuck = createOutboxRelay({ db: ctx.db, clock: ctx.clock, publisher: hanging, holdLock, stopTimeoutMs: 200 });
    stuck.start();
    await expect.poll(() => calls).toBe(1);
    const other = recordingPublisher();
    const taker = createOutboxRelay({ db: ctx.db, clock: ctx.clock, publisher: other.publisher, holdLock });
    // While the stuck relay runs, its lease (renewed or not) keeps the batch its own.
    expect(await taker.drain()).toBe(0);
    await stuck.stop();
    // The clock has not moved: the lease is still live, but its holder is gone.
    expect(await taker.drain()).toBeGreaterThanOrEqual(2);
    expect((await readOutboxBacklog(ctx.db)).pending).toBe(0);
    expect(await leases()).toBe(0);
  });

  it('is kept while its relay runs, and the relay lets its lock go when it stops', async () => {
    await settle();
    const before = await presenceLocks();
    const relay = createOutboxRelay({ db: ctx.db, clock: ctx.clock, publisher: recordingPublisher().publisher, holdLock });
    relay.start();
    await expect.poll(presenceLocks).toBe(before + 1);
    await relay.stop();
    expect(await presenceLocks()).toBe(before);
  });

  it('lets its lock go when stopped while still taking it', async () => {
    const before = await presenceLocks();
    // The lock is taken only after stop() has given up waiting for the loop.
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let taken!: () => void;
    const locked = new Promise<void>((r) => (taken = r));
    const slowLock = async (k1: number, k2: number) => {
      await gate;
      const release = await holdLock(k1, k2);
      taken();
      return release;
    };
    const relay = createOutboxRelay({ db: ctx.db, clock: ctx.clock, publisher: recordingPublisher().publisher, holdLock: slowLock, stopTimeoutMs: 50 });
    relay.start();
    await relay.stop();
    open();
    await locked;
    await expect.poll(presenceLocks).toBe(before);
  });

  it.runIf(process.env.DATABASE_URL)('counts a relay whose lock connection was cut as dead, and it takes its lock again when it reconnects', async () => {
    await settle();
    await writeEvents((await makePlayer(ctx.app)).user.id, 1);
    const release = await holdLock(RELAY_PRESENCE, 4343);
    const now = ctx.clock.now();
    const until = new Date(now.getTime() + 15_000);
    const lost = await claimOutboxBatch(ctx.db, 100, now, until, '00000000-0000-4000-8000-00000000dea3', [], 4343);
    expect(lost.length).toBeGreaterThanOrEqual(1);
    // The holder's connection goes (a network cut, a killed backend): it now looks dead.
    await sql`SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND classid = ${RELAY_PRESENCE}::int::oid AND objid = ${4343}::int::oid`.execute(ctx.db);
    await expect.poll(() => present(4343)).toBe(false);
    const taken = await claimOutboxBatch(ctx.db, 100, now, until, '00000000-0000-4000-8000-0000000000b3', [], null);
    expect(taken.map((r) => r.id)).toEqual(lost.map((r) => r.id));
    await markOutboxPublished(ctx.db, { owner: '00000000-0000-4000-8000-0000000000b3', ids: taken.map((r) => r.id) }, now);
    // The holder connects again by itself and holds its lock again.
    await expect.poll(() => present(4343), { timeout: 10_000 }).toBe(true);
    await release();
    expect(await present(4343)).toBe(false);
  });
});

describe('outbox relay stop', () => {
  it('does not wait past its timeout for a publish that hangs', async () => {
    await settle();
    await makePlayer(ctx.app);
    let calls = 0;
    const hanging: Publisher = { name: 'hanging', publish: () => ((calls += 1), new Promise(() => {})) };
    const relay = createOutboxRelay({ db: ctx.db, clock: ctx.clock, publisher: hanging, stopTimeoutMs: 200 });
    relay.start();
    await expect.poll(() => calls).toBe(1);
    // The publish never settles: stop() returning at all (rather than the test timing out) is
    // the proof that it gave up on it.
    await relay.stop();
    expect(relay.status().running).toBe(false);
    // Its rows stay leased until the lease ends, then any relay takes them.
    ctx.clock.advance(61_000);
    const sink = recordingPublisher();
    expect(await createOutboxRelay({ db: ctx.db, clock: ctx.clock, publisher: sink.publisher }).drain()).toBeGreaterThanOrEqual(1);
  });
});

describe('the loop between batches', () => {
  const o = { batchSize: 100, pollMs: 250, lingerMs: 50 };
  it('claims again at once after a full batch, lingers after a partial one, polls after none', () => {
    expect(delayAfter(100, o)).toBe(0);
    expect(delayAfter(99, o)).toBe(50);
    expect(delayAfter(1, o)).toBe(50);
    expect(delayAfter(0, o)).toBe(250);
  });
});

// Ids are taken at insert, before commit: a row can become visible inside the id range of a batch
// already claimed. Needs a second connection to hold that insert open, so PostgreSQL only.
describe.runIf(process.env.DATABASE_URL)('a row that commits inside a leased batch’s id range', () => {
  it('is not claimed while the lease lives, and is claimed once the batch is marked', async () => {
    const userId = (await makePlayer(ctx.app)).user.id;
    await settle();
    const event = (trx: typeof ctx.db) => appendOutbox(trx, { eventType: 'game.session.start', userId, payload: examplePayloads['game.session.start'], now: ctx.clock.now() });
    const owner = crypto.randomUUID();
    const claim = () => {
      const now = ctx.clock.now();
      return claimOutboxBatch(ctx.db, 100, now, new Date(now.getTime() + 60_000), owner);
    };

    const first = await ctx.db.transaction().execute(event);
    let letGo!: () => void;
    let inserted!: () => void;
    const isInserted = new Promise<void>((r) => (inserted = r));
    const late = ctx.db.transaction().execute(async (trx) => {
      const envelope = await event(trx);
      inserted();
      await new Promise<void>((r) => (letGo = r));
      return envelope;
    });
    await isInserted;
    const last = await ctx.db.transaction().execute(event);

    let batch;
    try {
      batch = await claim();
    } finally {
      letGo();
    }
    const straggler = await late;
    expect(batch.map((r) => r.event_id)).toEqual([first.event_id, last.event_id]);
    // Committed now, inside [first, last]: the batch in flight still covers it.
    expect(await claim()).toEqual([]);
    await markOutboxPublished(ctx.db, { owner, ids: batch.map((r) => r.id) }, ctx.clock.now());
    expect((await claim()).map((r) => r.event_id)).toEqual([straggler.event_id]);
  });
});
