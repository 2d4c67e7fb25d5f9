/** The sink's status as an operator reads it (the operator console's pipeline tab). */
import { fmtDate } from '../../components/common';

// What the sink reports, in the order an operator reads it: where events go, whether each hop
// answers, how far behind it is. Its shape depends on the mode (in-process, kafka), so a field
// this list does not know still shows, under its own name.
const SINK_FIELDS = [
  'mode',
  'store',
  'consumer_group',
  'kafka_reachable',
  'lag',
  'lag_by_topic',
  'written_total',
  'batches_total',
  'last_write_at',
  'store_reachable',
  'store_rows',
  'store_last_insert_at',
];
/** Shown apart, as alerts. */
export const SINK_ERRORS = ['kafka_error', 'store_error'];

/** The sink's fields to list, known ones (with a label) first in reading order, then any other. */
export function sinkFields(sink: Record<string, unknown>): { key: string; known: boolean }[] {
  const known = new Set([...SINK_FIELDS, ...SINK_ERRORS]);
  return [
    ...SINK_FIELDS.filter((k) => k in sink).map((key) => ({ key, known: true })),
    ...Object.keys(sink)
      .filter((k) => !known.has(k))
      .map((key) => ({ key, known: false })),
  ];
}

/** One sink figure in words: yes/no, a local date, a count, per-topic counts. */
export function sinkValue(value: unknown, lang: string, t: (key: string) => string): string {
  if (typeof value === 'boolean') return t(value ? 'admin.yes' : 'admin.no');
  if (typeof value === 'number') return value.toLocaleString(lang);
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(value)) {
    // ClickHouse answers "YYYY-MM-DD hh:mm:ss" in UTC; the relay an ISO instant.
    return fmtDate(value.includes('T') ? value : `${value.replace(' ', 'T')}Z`, lang);
  }
  if (value && typeof value === 'object') {
    return Object.entries(value)
      .map(([k, v]) => `${k}: ${sinkValue(v, lang, t)}`)
      .join(', ');
  }
  return value === null || value === undefined ? '—' : String(value);
}
