import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { examplePayloads } from '@playloop/contracts';
import { describe, expect, it } from 'vitest';
import { claimOutboxBatch, markOutboxPublished, RELAY_PRESENCE } from '../src/modules/outbox/repo.ts';
import { appendOutbox } from '../src/modules/outbox/service.ts';
import { advisoryLocksHeld } from '../test/locks.ts';
import { serverProcessSetup } from './server-process.ts';

// A relay process SIGKILLed while it holds a batch: its lease is still live by the clock, yet the
// next claim anywhere takes the batch, because the lock the dead process held for its life went
// with its connections (decisions §15).
const setup = serverProcessSetup('relay-kill');

const heldKeys = (key: number) => advisoryLocksHeld(setup.observer.db, RELAY_PRESENCE, key);

describe('a relay process killed while it publishes', () => {
  it('gives its batch to the next claim at once, not when its lease ends', async () => {
    const db = setup.observer.db;
    const userId = randomUUID();
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < 5; i += 1) await appendOutbox(trx, { eventType: 'game.session.start', userId, payload: examplePayloads['game.session.start'], now: new Date() });
    });

    const child = spawn(process.execPath, ['--import', 'tsx', 'apps/server/chaos/fixtures/hanging-relay.ts'], {
      env: { ...process.env, DATABASE_URL: setup.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        output += d.toString();
        if (output.includes('publishing')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`relay process exited ${code}: ${output}`)));
    });

    const [lease] = (await sql<{ owner: string; first_id: number; lease_until: Date; presence_key: number | null }>`
      SELECT owner, first_id::int AS first_id, lease_until, presence_key FROM outbox_leases`.execute(db)).rows;
    expect(lease?.presence_key).not.toBeNull();
    expect(await heldKeys(lease!.presence_key!)).toBe(1);
    // Every claim reads "now" from the moment of the kill: the lease is live throughout.
    const now = new Date(lease!.lease_until.getTime() - 10_000);
    const until = new Date(now.getTime() + 15_000);
    const other = randomUUID();
    expect(await claimOutboxBatch(db, 100, now, until, other)).toEqual([]);

    child.kill('SIGKILL');
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
    // PostgreSQL ends the dead process's backends as their sockets close; the lock goes with them.
    await expect.poll(() => heldKeys(lease!.presence_key!), { timeout: 10_000 }).toBe(0);

    const taken = await claimOutboxBatch(db, 100, now, until, other);
    expect(taken[0]?.id).toBe(lease!.first_id);
    expect(taken).toHaveLength(5);
    await markOutboxPublished(db, { owner: other, ids: taken.map((r) => r.id) }, now);
    expect(Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL`.execute(db)).rows[0]!.n)).toBe(0);
  });
});
