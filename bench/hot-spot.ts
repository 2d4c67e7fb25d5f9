/** c) The hot spot: 100 connections buying against one wallet. */
import type { ServerChild } from './lib.ts';
import { cannon, fmt, makeSku, report, rps, signup, statusCounts } from './context.ts';

export async function hotSpot(server: ServerChild, admin: string) {
  const player = await signup(server.url, 'hot', 0);
  // The 1000 signup bonus covers exactly 200 purchases at 5: the rest of the run is 402s.
  const sku = await makeSku(server.url, admin, { price: 5 });
  const result = await cannon({
    url: `${server.url}/api/shop/purchase`,
    connections: 100,
    method: 'POST',
    headers: { authorization: `Bearer ${player.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ sku_id: sku }),
  });
  const codes = statusCounts(result);
  const errors = Object.entries(codes).filter(([c]) => c !== '201' && c !== '402').reduce((s, [, v]) => s + v, 0) + result.errors + result.timeouts;
  report({ bench: 'c) hot spot', figure: `100 conns, one wallet: req/s ${JSON.stringify(codes)}`, value: fmt(rps(result)) });
  report({ bench: 'c) hot spot', figure: '201 purchases/s', value: fmt((codes['201'] ?? 0) / result.duration) });
  report({ bench: 'c) hot spot', figure: 'p50 / p99 ms', value: `${fmt(result.latency.p50, 1)} / ${fmt(result.latency.p99, 1)}` });
  report({ bench: 'c) hot spot', figure: 'errors (not 201/402, socket errors, timeouts)', value: String(errors), target: '0', ok: errors === 0 });
  report({ bench: 'c) hot spot', figure: 'purchases granted (wallet covers exactly 200)', value: String(codes['201'] ?? 0), target: '= 200', ok: (codes['201'] ?? 0) === 200 });
}
