import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const REPO = fileURLToPath(new URL('../../..', import.meta.url));
export const SCREENSHOTS = path.resolve(process.env.E2E_SCREENSHOTS ?? path.join(REPO, 'test-results', 'e2e'));
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ADMIN = { site_id: 'operator', password: 'operator-password-e2e' };

// Flags for a headless Chromium in CI: no sandbox (root), no GPU, nothing phoning home.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface Harness {
  baseUrl: string;
  browser: Browser;
  shot(page: Page, name: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * The real server (`node --import tsx apps/server/src/main.ts`, embedded PGlite and chDB in a temp
 * DATA_DIR, demo content, an operator account) on a free loopback port serving the built web app,
 * and headless Chromium (Playwright launches it with a fresh, temporary user-data-dir). A test
 * file that names its `suite` (kebab-case) gets its screenshots as `<suite>-NN-step.png`.
 */
export async function startHarness(suite = ''): Promise<Harness> {
  if (!existsSync(path.join(REPO, 'apps/web/dist/index.html'))) throw new Error('apps/web/dist is missing: run npm run build:web');
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
  // Remove only this file's screenshots of an earlier run: the e2e files run one after another into one folder.
  const prefix = suite ? `${suite}-` : '';
  const own = new RegExp(`^${prefix}\\d{2}-.*\\.png$`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  for (const file of readdirSync(SCREENSHOTS)) if (own.test(file)) rmSync(path.join(SCREENSHOTS, file), { force: true });
  const dataDir = mkdtempSync(path.join(tmpdir(), 'playloop-e2e-'));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, ADMIN_SITE_ID: ADMIN.site_id, ADMIN_PASSWORD: ADMIN.password, LOG_LEVEL: 'warn' };
  for (const k of ['DATABASE_URL', 'KAFKA_BROKERS', 'CLICKHOUSE_URL', 'REDIS_URL', 'JWT_SECRET']) delete env[k];
  const server: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'apps/server/src/main.ts'], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  server.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  server.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`server exited ${server.exitCode}:\n${output}`);
    const ok = await fetch(`${baseUrl}/readyz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`server not ready in 120 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 300));
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  let step = 0;
  return {
    baseUrl,
    browser,
    async shot(page, name) {
      step += 1;
      const file = path.join(SCREENSHOTS, `${prefix}${String(step).padStart(2, '0')}-${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    async close() {
      await browser.close().catch(() => {});
      server.kill('SIGTERM');
      await new Promise((r) => (server.exitCode !== null ? r(null) : server.once('exit', r)));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Logs `page` in as the operator by the login form, the keyboard submitting it, and opens the
 * console from the menu, in whatever language and size its browser context has.
 */
export async function openConsoleIn(page: Page, baseUrl: string): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.locator('input[name="site_id"]').fill(ADMIN.site_id);
  const password = page.locator('input[name="password"]');
  await password.fill(ADMIN.password);
  await password.press('Enter');
  await page.getByRole('navigation').locator('a[href="/admin"]').click();
  await page.getByTestId('admin').waitFor();
}

/** An operator's access token through the API, for the operator actions a test drives directly. */
export async function operatorToken(baseUrl: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
  if (!res.ok) throw new Error(`operator login failed: ${res.status}`);
  return ((await res.json()) as { access_token: string }).access_token;
}
