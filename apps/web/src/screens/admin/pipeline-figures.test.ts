import { describe, expect, it } from 'vitest';
import { translate } from '../../i18n';
import { sinkFields, sinkValue } from './pipeline-figures';

const en = (key: string) => translate('en', key);

describe('the sink status in words', () => {
  it('lists the known fields in reading order, then any other under its own name, and errors apart', () => {
    const kafka = { store_rows: 10, mode: 'kafka', lag: 3, extra_figure: 1, kafka_error: 'down', consumer_group: 'g', kafka_reachable: false };
    expect(sinkFields(kafka)).toEqual([
      { key: 'mode', known: true },
      { key: 'consumer_group', known: true },
      { key: 'kafka_reachable', known: true },
      { key: 'lag', known: true },
      { key: 'store_rows', known: true },
      { key: 'extra_figure', known: false },
    ]);
  });

  it('says yes and no, counts with separators, per-topic lag as a list and an absent value as a dash', () => {
    expect(sinkValue(true, 'en', en)).toBe('yes');
    expect(sinkValue(false, 'en', en)).toBe('no');
    expect(sinkValue(false, 'ko', (k) => translate('ko', k))).toBe('아니요');
    expect(sinkValue(1234567, 'en', en)).toBe('1,234,567');
    expect(sinkValue({ 'playloop.game': 2, 'playloop.shop': 0 }, 'en', en)).toBe('playloop.game: 2, playloop.shop: 0');
    expect(sinkValue(null, 'en', en)).toBe('—');
    expect(sinkValue('chdb', 'en', en)).toBe('chdb');
  });

  it("reads ClickHouse's UTC date-time and an ISO instant as the same moment", () => {
    expect(sinkValue('2026-11-29 16:12:37', 'en', en)).toBe(sinkValue('2026-11-29T16:12:37.000Z', 'en', en));
    expect(sinkValue('2026-11-29T16:12:37.356Z', 'en', en)).toMatch(/Nov 29/);
  });

  it('has a label for every known field in both languages', () => {
    for (const { key } of sinkFields({ mode: 1, store: 1, consumer_group: 1, kafka_reachable: 1, lag: 1, lag_by_topic: 1, written_total: 1, batches_total: 1, last_write_at: 1, store_reachable: 1, store_rows: 1, store_last_insert_at: 1 })) {
      expect(translate('en', `admin.sinkField.${key}`)).not.toBe(`admin.sinkField.${key}`);
      expect(translate('ko', `admin.sinkField.${key}`)).not.toBe(`admin.sinkField.${key}`);
    }
    for (const key of ['kafka_error', 'store_error']) expect(translate('ko', `admin.sinkField.${key}`)).not.toBe(`admin.sinkField.${key}`);
  });
});
