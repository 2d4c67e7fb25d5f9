// Builds the web app before `npm start` when apps/web/dist is missing; instant when it exists.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const index = fileURLToPath(new URL('../dist/index.html', import.meta.url));
if (!existsSync(index)) {
  console.log('web app not built yet: building apps/web (npm run build:web)');
  const result = spawnSync('npm', ['run', 'build', '-w', '@playloop/web'], { stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) {
    console.warn('web build failed; the server starts with the API only');
  }
}
