import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { SCREENSHOTS, startHarness, type Harness } from './harness';

const PASSWORD = 'player-password-e2e';
let n = 0;

interface Player {
  site_id: string;
  access: string;
}

const nav = (page: Page, href: string) => page.getByRole('navigation').locator(`a[href="${href}"]`).click();

/** What a player's page keeps true while the server, another tab or a quick hand moves under it. */
describe("the player's page stays true to the server", () => {
  let h: Harness;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    h = await startHarness('player-state');
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await h?.close();
    console.log(`e2e screenshots: ${SCREENSHOTS}`);
  });

  async function call(method: string, path: string, token?: string, body?: unknown) {
    const res = await fetch(`${h.baseUrl}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, json: (await res.json().catch(() => null)) as Record<string, any> | null };
  }

  /** A new player signed up through the API. */
  async function newPlayer(): Promise<Player> {
    const site_id = `e2e_ps_${Date.now().toString(36)}_${++n}`;
    const r = await call('POST', '/api/auth/signup', undefined, { site_id, nickname: `State ${n}`, password: PASSWORD });
    expect(r.status).toBe(201);
    return { site_id, access: r.json!.access_token };
  }

  /** The player logged in by the form in a browser context of their own, on the dashboard. */
  async function loggedIn(player: Player) {
    const ctx = await h.browser.newContext({ locale: 'en-US', viewport: { width: 1100, height: 900 } });
    contexts.push(ctx);
    const page = await ctx.newPage();
    await page.goto(`${h.baseUrl}/login`);
    await page.locator('input[name="site_id"]').fill(player.site_id);
    await page.locator('input[name="password"]').fill(PASSWORD);
    await page.locator('input[name="password"]').press('Enter');
    await page.getByTestId('dashboard').waitFor();
    return { ctx, page };
  }

  it("a purchase in another tab updates this tab's open shop: bought count, and Buy no longer offered", async () => {
    const { ctx, page } = await loggedIn(await newPlayer());
    await nav(page, '/shop');
    await page.getByTestId('tab-limited').click();
    const card = page.getByTestId('sku-neon_starter_pack');
    await card.getByText('Bought 0 / 1').waitFor();

    // The same player buys the one-per-player pack in a second tab.
    const other = await ctx.newPage();
    await other.goto(`${h.baseUrl}/shop`);
    await other.getByTestId('tab-limited').click();
    await other.getByTestId('buy-neon_starter_pack').click();
    await other.getByTestId('sku-neon_starter_pack').getByText('Bought 1 / 1').waitFor();
    await other.close();

    // The first tab hears of it over /api/stream: the balance moves (1000 - 500), and so does the shop.
    await page.getByTestId('balance-soft').getByText('500').waitFor({ timeout: 10_000 });
    await card.getByText('Bought 1 / 1').waitFor({ timeout: 5_000 });
    const buy = page.getByTestId('buy-neon_starter_pack');
    expect(await buy.isDisabled()).toBe(true);
    expect(await buy.innerText()).toBe('You reached the purchase limit.');
    await h.shot(page, 'shop-bought-in-another-tab');
  });

  it('a double click on "Report +1" reports once and sends no claim the server would refuse', async () => {
    const { page } = await loggedIn(await newPlayer());
    const posts: string[] = [];
    page.on('request', (r) => void (r.method() === 'POST' && /\/api\/events\/.+\/(progress|claim)$/.test(r.url()) && posts.push(r.url().replace(/.*\//, ''))));
    await nav(page, '/events');
    const card = page.getByTestId('event-share_the_site');
    await card.getByRole('button', { name: 'Join' }).click();
    await card.getByText('Progress 0 / 1').waitFor();
    await card.getByRole('button', { name: 'Report +1' }).dblclick();
    // Claim is offered once the server has counted the report, not on the guess before it.
    await card.getByRole('button', { name: 'Claim' }).waitFor();
    await card.getByText('Progress 1 / 1').waitFor();
    await page.waitForTimeout(1500);
    expect({ posts, errors: await page.getByTestId('toast-error').allInnerTexts() }).toEqual({ posts: ['progress'], errors: [] });
    await h.shot(page, 'event-reported-once');
    await card.getByRole('button', { name: 'Claim' }).click();
    await card.getByText('Claimed').waitFor();
    expect(await page.getByTestId('toast-error').count()).toBe(0);
  });

  it('a reload during a short outage says so, offers a retry, and recovers by itself once the server answers', async () => {
    const { page } = await loggedIn(await newPlayer());
    // A deploy: /api/auth/me answers 503 UNAVAILABLE to two user checks (each tried twice by the client).
    let refused = 0;
    await page.route('**/api/auth/me', async (route) => {
      if (refused < 4) {
        refused += 1;
        await route.fulfill({
          status: 503,
          contentType: 'application/problem+json',
          headers: { 'retry-after': '0' },
          body: JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'shutting down', code: 'UNAVAILABLE' }),
        });
      } else await route.continue();
    });
    await page.reload();
    // Not a bare "Loading…": the page says why and what can be done meanwhile.
    const restore = page.getByTestId('session-restore');
    await restore.waitFor({ timeout: 10_000 });
    expect(await restore.getByRole('alert').innerText()).toContain('The service is busy');
    await restore.getByRole('button', { name: 'Try now' }).waitFor();
    await restore.getByRole('button', { name: 'Log out' }).waitFor();
    await h.shot(page, 'reload-during-outage');
    // The server answers again: the page gets there with no click.
    await page.getByTestId('dashboard').waitFor({ timeout: 15_000 });
    expect(refused).toBe(4);
    expect(await restore.count()).toBe(0);
    expect(await page.getByTestId('toast-error').count()).toBe(0);
  });

  it('the dashboard says counts of one in the singular, in English', async () => {
    const player = await newPlayer();
    const start = await call('POST', '/api/game/sessions/start', player.access, { game_type: 'lucky_dice' });
    expect(start.status).toBe(201);
    const end = await call('POST', `/api/game/sessions/${start.json!.session_id}/end`, player.access, { duration: 0 });
    expect(end.status).toBe(200);
    const { page } = await loggedIn(player);
    const line = page.getByTestId('dashboard').getByText(/^Last 24 h: /);
    await line.waitFor();
    expect(await line.innerText()).toMatch(/^Last 24 h: 1 game, \d+ missions?$/);
    expect(await line.innerText()).not.toMatch(/\b1 (games|missions)\b/);
    await h.shot(page, 'dashboard-singular');
  });
});
