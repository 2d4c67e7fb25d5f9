export interface CoalescingOptions {
  /** Flush as soon as this many rows are waiting (default 20 000). */
  maxRows?: number;
  /**
   * How long the first batch waits for others before a write starts when none is running
   * (default 5 ms): the partitions of one fetch arrive within a few milliseconds of each other.
   */
  lingerMs?: number;
}

interface Waiting<T> {
  items: readonly T[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Joins the batches of several partitions, handled at once, into one write: each caller's promise
 * settles with the write that carried its items, so a caller commits its offsets only once its own
 * rows are stored, and a failed write fails every batch in it (none of them commits). One write
 * runs at a time; batches that arrive meanwhile go together into the next. A ClickHouse insert has
 * a fixed cost of tens of milliseconds (a part, the view's part), so one insert of 5 000 rows costs
 * about what one of 500 does.
 */
export function createCoalescingWriter<T>(write: (items: readonly T[]) => Promise<void>, options: CoalescingOptions = {}) {
  const maxRows = options.maxRows ?? 20_000;
  const lingerMs = options.lingerMs ?? 5;
  const queue: Waiting<T>[] = [];
  let queuedRows = 0;
  let writing = false;
  let timer: NodeJS.Timeout | undefined;

  async function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (writing || queue.length === 0) return;
    writing = true;
    // Whole batches only, up to maxRows (a batch larger than that goes alone).
    const taken: Waiting<T>[] = [];
    let rows = 0;
    while (queue.length > 0 && (taken.length === 0 || rows + queue[0]!.items.length <= maxRows)) {
      const next = queue.shift()!;
      taken.push(next);
      rows += next.items.length;
    }
    queuedRows -= rows;
    const items = taken.length === 1 ? taken[0]!.items : taken.flatMap((w) => w.items);
    try {
      await write(items);
      for (const w of taken) w.resolve();
    } catch (err) {
      for (const w of taken) w.reject(err);
    } finally {
      writing = false;
    }
    // What arrived during the write goes now: it has waited long enough.
    if (queue.length > 0) void flush();
  }

  return {
    /** Resolves once `items` are written (with whatever else was waiting); rejects if that write failed. */
    write(items: readonly T[]): Promise<void> {
      if (items.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        queue.push({ items, resolve, reject });
        queuedRows += items.length;
        if (writing) return;
        if (queuedRows >= maxRows) void flush();
        else timer ??= setTimeout(() => void flush(), lingerMs);
      });
    },
    /** Rows waiting for a write (for tests and stats). */
    pending: () => queuedRows,
  };
}

export type CoalescingWriter<T> = ReturnType<typeof createCoalescingWriter<T>>;
