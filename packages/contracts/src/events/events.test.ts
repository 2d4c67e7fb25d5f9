import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  ENVELOPE_EVENT_TYPES,
  dlqTopic,
  eventTopics,
  examplePayloads,
  newEventId,
  parseEnvelope,
  parseEnvelopeBytes,
  parseEnvelopePayload,
  topicFor,
  type EnvelopeEventType,
} from './index.ts';

const envelope = (event_type: EnvelopeEventType, overrides: Record<string, unknown> = {}) => ({
  event_id: '019ac9a2-7f3e-7c41-9b2d-5e6f708192a3',
  event_type,
  user_id: '5b0c7a1e-2f3d-4b5c-9d6e-7f8091a2b3c4',
  ts: '2026-11-28T12:00:00.000Z',
  trace_id: '4bf92f35-77b3-4da6-a3ce-929d0e0e4736',
  payload: examplePayloads[event_type],
  version: 1,
  ...overrides,
});

describe('envelope v1', () => {
  it('lists the twelve event types of SPEC §5', () => {
    expect(ENVELOPE_EVENT_TYPES).toEqual([
      'user.signup',
      'user.login',
      'event.participate',
      'event.progress',
      'event.claim',
      'mission.progress',
      'mission.claim',
      'game.session.start',
      'game.session.end',
      'reward.granted',
      'shop.purchase.succeeded',
      'shop.purchase.failed',
    ]);
  });

  it.each(ENVELOPE_EVENT_TYPES)('parses a valid %s envelope, as a value and as bytes', (type) => {
    const value = envelope(type, { idempotency_key: 'k-1' });
    const parsed = parseEnvelope(value);
    expect(parsed).toEqual({ ok: true, envelope: value });
    expect(parseEnvelopeBytes(Buffer.from(JSON.stringify(value)))).toEqual(parsed);
    expect(parseEnvelopePayload(type, examplePayloads[type])).toEqual(examplePayloads[type]);
  });

  it.each(ENVELOPE_EVENT_TYPES)('refuses a %s payload with an unknown key', (type) => {
    const parsed = parseEnvelope(envelope(type, { payload: { ...examplePayloads[type], extra: 1 } }));
    expect(parsed).toMatchObject({ ok: false, reason: 'invalid_envelope' });
  });

  it("refuses another type's payload under a type's name", () => {
    const parsed = parseEnvelope(envelope('game.session.end', { payload: examplePayloads['game.session.start'] }));
    expect(parsed.ok).toBe(false);
  });

  it.each([
    ['an unknown event type', { event_type: 'user.deleted' }],
    ['version 2', { version: 2 }],
    ['a v4 event id (not time-ordered)', { event_id: '5b0c7a1e-2f3d-4b5c-9d6e-7f8091a2b3c4' }],
    ['a timestamp with an offset', { ts: '2026-11-28T21:00:00+09:00' }],
    ['a date without time', { ts: '2026-11-28' }],
    ['a trace id that is not a UUID', { trace_id: 'abc' }],
    ['a missing user id', { user_id: undefined }],
    ['an unknown top-level key', { partition: 3 }],
    ['an empty idempotency key', { idempotency_key: '' }],
  ])('refuses %s', (_name, overrides) => {
    const parsed = parseEnvelope(envelope('user.login', overrides));
    expect(parsed).toMatchObject({ ok: false, reason: 'invalid_envelope' });
  });

  it.each([
    ['not JSON', Buffer.from('{nope')],
    ['not UTF-8', Buffer.from([0xff, 0xfe, 0x7b])],
    ['empty', null],
  ])('reports %s bytes as invalid_json', (_name, bytes) => {
    expect(parseEnvelopeBytes(bytes)).toMatchObject({ ok: false, reason: 'invalid_json' });
  });

  it('accepts a trace id taken from traceparent without RFC 9562 version bits', () => {
    expect(parseEnvelope(envelope('user.login', { trace_id: '4bf92f35-77b3-4da6-03ce-929d0e0e4736' })).ok).toBe(true);
  });
});

describe('topics', () => {
  it.each([
    ['user.signup', 'playloop.users.v1'],
    ['user.login', 'playloop.users.v1'],
    ['event.participate', 'playloop.liveops.v1'],
    ['event.progress', 'playloop.liveops.v1'],
    ['event.claim', 'playloop.liveops.v1'],
    ['mission.progress', 'playloop.liveops.v1'],
    ['mission.claim', 'playloop.liveops.v1'],
    ['game.session.start', 'playloop.gameplay.v1'],
    ['game.session.end', 'playloop.gameplay.v1'],
    ['reward.granted', 'playloop.rewards.v1'],
    ['shop.purchase.succeeded', 'playloop.shop.v1'],
    ['shop.purchase.failed', 'playloop.shop.v1'],
  ] as const)('%s goes to %s', (type, topic) => {
    expect(topicFor(type, 'playloop')).toBe(topic);
  });

  it('names every consumed topic and the DLQ under the prefix', () => {
    expect(eventTopics('pl')).toEqual(['pl.users.v1', 'pl.gameplay.v1', 'pl.liveops.v1', 'pl.rewards.v1', 'pl.shop.v1']);
    expect(dlqTopic('pl')).toBe('pl.dlq.v1');
  });
});

describe('newEventId', () => {
  it('makes valid, increasing UUIDv7s, even many in one millisecond and when the clock steps back', () => {
    const at = Date.parse('2026-11-28T12:00:00Z');
    const ids = [...Array.from({ length: 5000 }, () => newEventId(at)), newEventId(at - 60_000), newEventId(at + 5)];
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids.slice(0, 10)) expect(parseEnvelope(envelope('user.login', { event_id: id })).ok).toBe(true);
    expect(parseInt(ids[0]!.replaceAll('-', '').slice(0, 12), 16)).toBe(at);
  });
});

describe('what the web bundles', () => {
  // The web app imports the contracts whole; a Node built-in anywhere in them is stubbed out of
  // its bundle with a warning (and fails in the browser when used), so none may be imported.
  it('the contracts import no Node built-in, through any of their modules', () => {
    const builtins = new Set(builtinModules);
    const seen = new Set<string>();
    const nodeImports: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, 'utf8');
      for (const [, from, dynamic, bare] of source.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)) {
        const specifier = from ?? dynamic ?? bare;
        if (!specifier) continue;
        if (specifier.startsWith('.')) visit(path.resolve(path.dirname(file), specifier));
        else if (specifier.startsWith('node:') || builtins.has(specifier)) nodeImports.push(`${path.basename(file)}: ${specifier}`);
      }
    };
    visit(fileURLToPath(new URL('../index.ts', import.meta.url)));
    expect(seen.size).toBeGreaterThan(20);
    expect(nodeImports).toEqual([]);
  });
});
