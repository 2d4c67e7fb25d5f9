import { randomBytes } from 'node:crypto';
import { CreateEventBodySchema, CreateMissionBodySchema, type EventRules, type MissionRules, type RewardBundle } from '@playloop/contracts';
import type { EventRow } from '../../src/modules/events/repo.ts';
import { insertEvent } from '../../src/modules/events/repo.ts';
import type { MissionRow } from '../../src/modules/missions/repo.ts';
import { insertMission } from '../../src/modules/missions/repo.ts';
import type { TestContext } from '../build-app.ts';

const HOUR_MS = 60 * 60 * 1000;
let counter = 0;

/** A key no other test uses. */
export function uniqueKey(prefix: string): string {
  counter += 1;
  return `${prefix}_${counter}_${randomBytes(3).toString('hex')}`;
}

export interface EventOverrides {
  key?: string;
  title?: string;
  type?: EventRow['type'];
  /** Defaults: started an hour before the test clock, ends a day after it. */
  startsAt?: Date;
  endsAt?: Date;
  rules?: EventRules;
  reward?: RewardBundle;
}

/** An event, validated as the operator API would, written straight to the database. */
export async function makeEvent(ctx: Pick<TestContext, 'db' | 'clock'>, overrides: EventOverrides = {}): Promise<EventRow> {
  const now = ctx.clock.now();
  const body = CreateEventBodySchema.parse({
    key: overrides.key ?? uniqueKey('ev'),
    title: overrides.title ?? 'Test event',
    type: overrides.type ?? 'limited',
    starts_at: (overrides.startsAt ?? new Date(now.getTime() - HOUR_MS)).toISOString(),
    ends_at: (overrides.endsAt ?? new Date(now.getTime() + 24 * HOUR_MS)).toISOString(),
    rules: overrides.rules ?? { metric: 'games_played', target: 3 },
    reward_bundle: overrides.reward ?? { currencies: { soft: 100 }, exp: 10 },
  });
  const row = await insertEvent(ctx.db, { ...body, starts_at: new Date(body.starts_at), ends_at: new Date(body.ends_at) }, now);
  if (!row) throw new Error(`event key ${body.key} taken`);
  return row;
}

export interface MissionOverrides {
  key?: string;
  title?: string;
  period?: MissionRow['period'];
  rules?: MissionRules;
  reward?: RewardBundle;
  active?: boolean;
}

/** A mission, validated as the operator API would, written straight to the database. */
export async function makeMission(ctx: Pick<TestContext, 'db' | 'clock'>, overrides: MissionOverrides = {}): Promise<MissionRow> {
  const body = CreateMissionBodySchema.parse({
    key: overrides.key ?? uniqueKey('mi'),
    title: overrides.title ?? 'Test mission',
    period: overrides.period ?? 'daily',
    rules: overrides.rules ?? { metric: 'games_played', target: 2 },
    reward_bundle: overrides.reward ?? { currencies: { soft: 50 } },
    active: overrides.active ?? true,
  });
  const row = await insertMission(ctx.db, body, ctx.clock.now());
  if (!row) throw new Error(`mission key ${body.key} taken`);
  return row;
}
