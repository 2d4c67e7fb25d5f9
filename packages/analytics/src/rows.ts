import type { Envelope } from '@playloop/contracts';

/** One events_log row, as JSONEachRow sends it. */
export interface EventsLogRow {
  event_date: string;
  ts: string;
  event_id: string;
  event_type: string;
  user_id: string;
  trace_id: string;
  idempotency_key: string;
  version: number;
  payload_json: string;
  game_type: string;
  currency: string;
  amount: number;
}

/**
 * `ts` as `YYYY-MM-DDThh:mm:ss…`. The envelope schema admits only that shape (UTC, `Z`, seconds
 * present), so a validated envelope's `ts` is used as it is: no Date per event on the sink's hot
 * path. Anything else goes through Date.
 */
function utcIso(ts: string): string {
  return ts.length >= 20 && ts[10] === 'T' && ts[16] === ':' ? ts : new Date(ts).toISOString();
}

/**
 * Maps a validated envelope to its events_log row: the UTC day and second of `ts`, the payload
 * as JSON text, and the few payload fields the KPI queries group or sum by.
 */
export function toEventsLogRow(envelope: Envelope): EventsLogRow {
  const iso = utcIso(envelope.ts);
  let gameType = '';
  let currency = '';
  let amount = 0;
  if (envelope.event_type === 'game.session.start' || envelope.event_type === 'game.session.end') {
    gameType = envelope.payload.game_type;
  } else if (envelope.event_type === 'shop.purchase.succeeded') {
    currency = envelope.payload.currency_type;
    amount = envelope.payload.total_price;
  }
  return {
    event_date: iso.slice(0, 10),
    ts: `${iso.slice(0, 10)} ${iso.slice(11, 19)}`,
    event_id: envelope.event_id,
    event_type: envelope.event_type,
    user_id: envelope.user_id,
    trace_id: envelope.trace_id,
    idempotency_key: envelope.idempotency_key ?? '',
    version: envelope.version,
    payload_json: JSON.stringify(envelope.payload),
    game_type: gameType,
    currency,
    amount,
  };
}

/**
 * The events_log row of an envelope as one JSONEachRow line, `inserted_at` included: the writer's
 * hot path (one object and one stringify per event, no per-row work left to the client).
 */
export function toEventsLogJsonLine(envelope: Envelope, insertedAt: string): string {
  const row = toEventsLogRow(envelope) as EventsLogRow & { inserted_at?: string };
  row.inserted_at = insertedAt;
  return JSON.stringify(row);
}
