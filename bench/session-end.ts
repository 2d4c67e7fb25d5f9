/** d) Session ends with progress across 10 running events and 6 missions. */
import { call, mapLimit, percentile, type ServerChild } from './lib.ts';
import { CONNECTIONS, fmt, must, report, runId, SECONDS, signup, window } from './context.ts';

export async function sessionEnd(server: ServerChild, admin: string) {
  for (let k = 0; k < 10; k++) {
    await must(
      call(server.url, 'POST', '/api/admin/events', {
        token: admin,
        body: { key: `bench_play_${runId}_${k}`, title: 'Bench play', type: 'limited', ...window(), rules: { metric: k % 2 ? 'games_played' : 'score_total', target: 1_000_000_000 }, reward_bundle: { exp: 1 } },
      }),
      201,
    );
  }
  for (let k = 0; k < 6; k++) {
    await must(
      call(server.url, 'POST', '/api/admin/missions', {
        token: admin,
        body: { key: `bench_m_${runId}_${k}`, title: 'Bench mission', period: k < 3 ? 'daily' : 'weekly', rules: { metric: k % 2 ? 'games_played' : 'play_seconds', target: 1_000_000_000 }, reward_bundle: { exp: 1 } },
      }),
      201,
    );
  }
  const players = await mapLimit(Array.from({ length: CONNECTIONS }, (_, i) => i), 5, (i) => signup(server.url, 'play', i));
  const active = (await call(server.url, 'GET', '/api/events?active=true', { token: players[0]!.token })).body.items.filter((e: { key: string }) => e.key.startsWith(`bench_play_${runId}`));
  if (active.length !== 10) throw new Error(`expected 10 active bench events, got ${active.length}`);
  await mapLimit(players, 5, async (p) => {
    for (const e of active) await must(call(server.url, 'POST', `/api/events/${e.id}/participate`, { token: p.token }), 201, 200);
  });

  // One worker per player: start a session, end it; only the end is timed.
  const latencies: number[] = [];
  let updates = 0;
  let failures = 0;
  const deadline = performance.now() + SECONDS * 1000;
  const started = performance.now();
  await Promise.all(
    players.map(async (p) => {
      while (performance.now() < deadline) {
        const s = await call(server.url, 'POST', '/api/game/sessions/start', { token: p.token, body: { game_type: 'reaction' } });
        if (s.status !== 201) {
          failures++;
          continue;
        }
        const t0 = performance.now();
        const e = await call(server.url, 'POST', `/api/game/sessions/${s.body.session_id}/end`, { token: p.token, body: { score: 100, duration: 1 } });
        latencies.push(performance.now() - t0);
        if (e.status !== 200) failures++;
        else updates += e.body.progress_updates.length;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  report({ bench: 'd) session end', figure: `ends/s (${CONNECTIONS} players, start+end loop)`, value: fmt(latencies.length / elapsed) });
  report({ bench: 'd) session end', figure: 'progress updates per end (10 events + 6 missions)', value: fmt(updates / Math.max(1, latencies.length - failures), 1) });
  report({ bench: 'd) session end', figure: 'end p50 / p99 ms', value: `${fmt(percentile(latencies, 50), 1)} / ${fmt(percentile(latencies, 99), 1)}` });
  report({ bench: 'd) session end', figure: 'failed starts/ends', value: String(failures), target: '0', ok: failures === 0 });
}
