let lastMs = -1;
let sequence = 0;

// Random bytes drawn from the system 4 KiB at a time, as crypto.randomUUID does for its own
// ids: one call into the system per 256 ids instead of two per id, which the pipeline bench
// profiled at ~4 µs an id. The pool is filled through the Web Crypto global (Node 20 has it, as
// browsers do), not node:crypto: the web app imports this module too (the contracts are shared),
// and Vite would stub a Node built-in out of its bundle with a warning. Node's getRandomValues is
// randomFillSync behind a type check, about 1 µs more per 4 KiB fill, a few ns an id. Allocated
// on first use, because a browser has no Buffer; only the server and its tools make ids.
const POOL_BYTES = 4096;
let pool: Buffer | undefined;
let poolAt = POOL_BYTES;
function randomBytes(n: number): Buffer {
  pool ??= Buffer.alloc(POOL_BYTES);
  if (poolAt + n > POOL_BYTES) {
    globalThis.crypto.getRandomValues(pool);
    poolAt = 0;
  }
  const out = Buffer.from(pool.subarray(poolAt, poolAt + n));
  poolAt += n;
  return out;
}

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then a 12-bit counter and random bits, so
 * ids sort by time. Within one millisecond (or if the clock steps back) the counter keeps ids
 * from this process increasing.
 */
export function newEventId(at: Date | number = Date.now()): string {
  let ms = typeof at === 'number' ? at : at.getTime();
  if (ms <= lastMs) {
    ms = lastMs;
    sequence += 1;
    if (sequence > 0xfff) {
      ms += 1;
      sequence = 0;
    }
  } else {
    // Start low in the counter's range so many ids fit in one millisecond before it spills over.
    sequence = randomBytes(1)[0]! & 0x7f;
  }
  lastMs = ms;
  const bytes = randomBytes(16);
  bytes.writeUIntBE(ms, 0, 6);
  bytes[6] = 0x70 | (sequence >> 8);
  bytes[7] = sequence & 0xff;
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
