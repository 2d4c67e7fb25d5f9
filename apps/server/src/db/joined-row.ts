/** `T` with every key prefixed, as a statement returns a joined row's columns under aliases. */
export type Prefixed<P extends string, T> = { [K in keyof T as `${P}${K & string}`]: T[K] };

/**
 * Splits a row of `own` columns and a LEFT JOINed row's columns aliased under `prefix` back into
 * the two; the joined one is undefined when the join found nothing (its `present` column is null).
 */
export function splitJoined<Own extends object, P extends string, Joined extends object>(
  row: Own & Prefixed<P, Joined>,
  prefix: P,
  present: keyof Joined & string,
): { own: Own; joined: Joined | undefined } {
  const own: Record<string, unknown> = {};
  const joined: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (key.startsWith(prefix)) joined[key.slice(prefix.length)] = value;
    else own[key] = value;
  }
  return { own: own as Own, joined: joined[present] === null ? undefined : (joined as Joined) };
}
