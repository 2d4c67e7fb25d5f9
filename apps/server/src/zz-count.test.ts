import pg from 'pg';
import { it } from 'vitest';
import { buildTestApp } from '../test/build-app.ts';
import { makeAdmin, makePlayer } from '../test/factories/players.ts';

const log: string[] = [];
let on = false;
const orig = (pg as any).Client.prototype.query;
(pg as any).Client.prototype.query = function (this: any, q: any, ...rest: any[]) { if (on) log.push(typeof q === 'string' ? q : q?.text ?? String(q)); return orig.call(this, q, ...rest); };
const show = (label: string, status: number) => { console.log(`== ${label} ${status} ${log.length}\n` + log.map((l, i) => `${i + 1}: ${l.replace(/\s+/g, ' ').slice(0, 200)}`).join('\n')); log.length = 0; };
it('counts', async () => {
  const ctx = await buildTestApp();
  const admin = await makeAdmin(ctx);
  const p = await makePlayer(ctx.app);
  const j = (as: any, method: any, url: string, payload?: unknown) => ctx.app.inject({ method, url, headers: { ...as.headers, ...(payload ? { 'content-type': 'application/json' } : {}) }, ...(payload ? { payload: JSON.stringify(payload) } : {}) });
  const now = ctx.clock.now().getTime();
  const ev = (await j(admin, 'POST', '/api/admin/events', { key: 'k1', title: 't', type: 'limited', starts_at: new Date(now - 3600e3).toISOString(), ends_at: new Date(now + 3600e3).toISOString(), rules: { metric: 'games_played', target: 1, client_reportable: true }, reward_bundle: { currencies: { soft: 10 }, exp: 5 } })).json();
  await j(p, 'POST', `/api/events/${ev.id}/participate`);
  await j(p, 'POST', `/api/events/${ev.id}/progress`, { metric: 'games_played', delta: 1 });
  on = true;
  const r = await j(p, 'POST', `/api/events/${ev.id}/claim`);
  on = false;
  show('claim', r.statusCode);
  await ctx.close();
});
