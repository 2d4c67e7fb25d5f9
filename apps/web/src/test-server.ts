import { seedDemoContent } from '../../server/src/demo/seed.ts';
import { buildTestApp, type TestContext } from '../../server/test/build-app.ts';

export interface LiveServer {
  ctx: TestContext;
  baseUrl: string;
  close(): Promise<void>;
}

/** The real API server, with the demo content, listening on a free loopback port. */
export async function startLiveServer(): Promise<LiveServer> {
  const ctx = await buildTestApp({ web: false });
  await seedDemoContent(ctx.database, ctx.clock);
  await ctx.app.listen({ port: 0, host: '127.0.0.1' });
  const address = ctx.app.server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return { ctx, baseUrl: `http://127.0.0.1:${address.port}`, close: () => ctx.close() };
}

/**
 * fetch as a browser sees `server`: its Date header follows the server's manual clock, as a
 * deployed server's follows the system clock its services read (HTTP-date, whole seconds).
 */
export function serverDatedFetch(server: LiveServer): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    const headers = new Headers(res.headers);
    headers.set('date', server.ctx.clock.now().toUTCString());
    const nullBody = [101, 204, 205, 304].includes(res.status);
    return new Response(nullBody ? null : res.body, { status: res.status, statusText: res.statusText, headers });
  };
}

let n = 0;
/** A site_id no other test uses. */
export const uniqueHandle = (prefix = 'w') => `${prefix}_${Date.now().toString(36)}_${++n}`.slice(0, 32);
