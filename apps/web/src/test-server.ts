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

let n = 0;
/** A site_id no other test uses. */
export const uniqueHandle = (prefix = 'w') => `${prefix}_${Date.now().toString(36)}_${++n}`.slice(0, 32);
