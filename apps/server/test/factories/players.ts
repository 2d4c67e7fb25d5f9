import { randomBytes } from 'node:crypto';
import type { AuthResponse } from '@playloop/contracts';
import type { App } from '../../src/app.ts';
import type { Role } from '@playloop/contracts';
import { createTokenSigner } from '../../src/modules/auth/tokens.ts';
import { TEST_JWT_SECRET, type TestContext } from '../build-app.ts';

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
export async function makeAdmin(ctx: Pick<TestContext, 'app' | 'db'>): Promise<TestPlayer> {
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

/**
 * A fresh access token for the player's current session, as of `now`, minted with the test
 * secret: for moving a test's clock past the token's 15 minutes without signing in again (a
 * sign-in counts toward `logins` events and missions).
 */
export async function accessTokenAt(player: TestPlayer, now: Date): Promise<{ authorization: string }> {
  const payload = JSON.parse(Buffer.from(player.access_token.split('.')[1]!, 'base64url').toString('utf8')) as { sub: string; sid: string; role: Role };
  const token = await createTokenSigner(TEST_JWT_SECRET).sign({ userId: payload.sub, sessionId: payload.sid, role: payload.role }, now);
  return { authorization: `Bearer ${token}` };
}
