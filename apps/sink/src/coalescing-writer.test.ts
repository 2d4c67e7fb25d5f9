import { describe, expect, it } from 'vitest';
import { createCoalescingWriter } from './coalescing-writer.ts';

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

describe('coalescing writer', () => {
  it('joins batches that arrive together into one write, keeping each batch in order', async () => {
    const writes: number[][] = [];
    const writer = createCoalescingWriter<number>(async (items) => void writes.push([...items]), { lingerMs: 5 });
    await Promise.all([writer.write([1, 2, 3]), writer.write([10, 11]), writer.write([20])]);
    expect(writes).toEqual([[1, 2, 3, 10, 11, 20]]);
  });

  it('writes one at a time; what arrives during a write goes into the next', async () => {
    const writes: number[][] = [];
    let release!: () => void;
    const writer = createCoalescingWriter<number>(
      (items) => {
        writes.push([...items]);
        return writes.length === 1 ? new Promise<void>((r) => (release = r)) : Promise.resolve();
      },
      { lingerMs: 0 },
    );
    const first = writer.write([1]);
    await tick(5);
    const second = writer.write([2]);
    const third = writer.write([3]);
    await tick(5);
    expect(writes).toEqual([[1]]);
    release();
    await Promise.all([first, second, third]);
    expect(writes).toEqual([[1], [2, 3]]);
  });

  it('fails every batch of a failed write (none may commit) and goes on with the next', async () => {
    let fail = true;
    const writer = createCoalescingWriter<number>(async () => {
      if (fail) throw new Error('ClickHouse is down');
    });
    const results = await Promise.allSettled([writer.write([1]), writer.write([2])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    await expect(writer.write([3])).resolves.toBeUndefined();
  });

  it('flushes at once when maxRows are waiting and never splits a batch', async () => {
    const writes: number[][] = [];
    const writer = createCoalescingWriter<number>(async (items) => void writes.push([...items]), { maxRows: 3, lingerMs: 10_000 });
    await Promise.all([writer.write([1, 2]), writer.write([3, 4])]);
    expect(writes).toEqual([[1, 2], [3, 4]]);
  });
});
