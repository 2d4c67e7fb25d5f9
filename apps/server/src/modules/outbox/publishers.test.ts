import { randomUUID } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { javaCompatiblePartitioner, splitBySize } from './publishers.ts';

describe('splitBySize (Kafka produce requests under the broker limit)', () => {
  it.each([
    ['all in one when small', [1, 1, 1], 10, [[1, 1, 1]]],
    ['in order, each run at most the limit', [4, 4, 4, 4], 10, [[4, 4], [4, 4]]],
    ['an item above the limit alone', [2, 12, 2], 10, [[2], [12], [2]]],
    ['nothing from nothing', [], 10, []],
  ])('%s', (_name, sizes, max, expected) => {
    expect(splitBySize(sizes, max, (n) => n)).toEqual(expected);
  });

  it('keeps a 20 000-event relay batch of 400-byte messages under 1 MiB per request', () => {
    const runs = splitBySize(Array.from({ length: 20_000 }, (_, i) => i), 900_000, () => 464);
    expect(runs.flat()).toEqual(Array.from({ length: 20_000 }, (_, i) => i));
    expect(Math.max(...runs.map((r) => r.length * 464))).toBeLessThanOrEqual(900_000);
  });
});

describe('javaCompatiblePartitioner', () => {
  it('puts every key where KafkaJS’s default (Java) partitioner does, for any partition count, asked once or again', () => {
    const ours = javaCompatiblePartitioner();
    const kafkajs = Partitioners.DefaultPartitioner();
    const meta = (n: number) => Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 }));
    const keys = [...Array.from({ length: 300 }, () => randomUUID()), 'ü-ключ-키', ''];
    for (const n of [1, 3, 6, 12]) {
      for (const round of [1, 2]) {
        for (const key of keys) {
          // @platformatic/kafka takes the partitioner's number modulo the partition count.
          const partition = ours({ topic: 't', key, value: 'v' }) % n;
          expect(partition, `${key} of ${n}, round ${round}`).toBe(kafkajs({ topic: 't', partitionMetadata: meta(n), message: { key, value: 'v' } }));
        }
      }
    }
  });
});
