import { randomBytes } from 'node:crypto';
import type { AuthResponse } from '@playloop/contracts';
import type { App } from '../../src/app.ts';
import type { TestContext } from '../build-app.ts';

export interface TestPlayer extends AuthResponse {
  password: string;
  /** Authorization header for this player's access token. */
  headers: { authorization: string };
}

let counter = 0;

/** A unique handle per call, so tests sharing a database never collide. */
export function uniqueSiteId(prefix = 'p'): string {
  counter += 1;
  return `${prefix}_${counter}_${randomBytes(4).toString('hex')}`.slice(0, 32);
}

/** Signs up a new player through the API, as a client would. */
export async function makePlayer(app: App, overrides: { site_id?: string; nickname?: string; password?: string } = {}): Promise<TestPlayer> {
  const password = overrides.password ?? 'correct-horse-battery';
  const res = await app.inject({
    method: 'POST',
    url: '/api/auth/signup',
    payload: { site_id: overrides.site_id ?? uniqueSiteId(), nickname: overrides.nickname ?? 'Tester', password },
  });
  if (res.statusCode !== 201) throw new Error(`signup failed: ${res.statusCode} ${res.body}`);
  const body = res.json() as AuthResponse;
  return { ...body, password, headers: { authorization: `Bearer ${body.access_token}` } };
}

/** Signs up a player, makes them an operator (role admin) and logs in again. */
export async function makeAdmin(ctx: TestContext): Promise<TestPlayer> {
  const player = await makePlayer(ctx.app, { site_id: uniqueSiteId('admin') });
  await ctx.db.updateTable('users').set({ role: 'admin' }).where('id', '=', player.user.id).execute();
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { site_id: player.user.site_id, password: player.password },
  });
  if (res.statusCode !== 200) throw new Error(`admin login failed: ${res.statusCode} ${res.body}`);
  const body = res.json() as AuthResponse;
  return { ...body, password: player.password, headers: { authorization: `Bearer ${body.access_token}` } };
}
