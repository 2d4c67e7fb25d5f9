// Builds the web app before `npm start` when apps/web/dist is missing or older than its sources
// (a `git pull` that changed the UI would otherwise serve the old build); instant otherwise.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const web = fileURLToPath(new URL('..', import.meta.url));
// What goes into the bundle: the app, its static files and config, and the shared contracts.
const SOURCES = ['src', 'public', 'index.html', 'vite.config.ts', 'package.json', '../../packages/contracts/src'];

/** The newest modification time under `p` (a file or a folder, walked), 0 when it is absent. */
export function newestMtime(p: string): number {
  if (!existsSync(p)) return 0;
  const stat = statSync(p);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, entry)));
  return newest;
}

/** Why the build is out of date, or null when dist/ is current. */
export function staleReason(webDir = web): string | null {
  const built = path.join(webDir, 'dist', 'index.html');
  if (!existsSync(built)) return 'web app not built yet';
  const builtAt = statSync(built).mtimeMs;
  const changed = SOURCES.find((s) => newestMtime(path.join(webDir, s)) > builtAt);
  return changed ? `web app sources changed since the last build (${changed})` : null;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const reason = staleReason();
  if (reason) {
    console.log(`${reason}: building apps/web (npm run build:web)`);
    const result = spawnSync('npm', ['run', 'build', '-w', '@playloop/web'], { stdio: 'inherit', shell: process.platform === 'win32' });
    if (result.status !== 0) console.warn(existsSync(path.join(web, 'dist', 'index.html')) ? 'web build failed; serving the previous build' : 'web build failed; the server starts with the API only');
  }
}
