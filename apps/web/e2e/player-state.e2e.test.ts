import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { SCREENSHOTS, operatorToken, startHarness, type Harness } from './harness';

const PASSWORD = 'player-password-e2e';
let n = 0;

interface Player {
  site_id: string;
  id: string;
  access: string;
}

const nav = (page: Page, href: string) => page.getByRole('navigation').locator(`a[href="${href}"]`).click();

/** Runs in the page before the app: marks `window.streamReady` once the live stream says `ready`. */
function markStreamReady() {
  const Native = window.EventSource;
  window.EventSource = class extends Native {
    constructor(url: string | URL, init?: EventSourceInit) {
      super(url, init);
      this.addEventListener('ready', () => ((window as unknown as { streamReady: boolean }).streamReady = true));
    }
  };
}

/**
 * Waits until the page hears the server's changes and has nothing in flight: what `ready` reloads
 * is loaded, so a change made after this reaches the page through the stream's events alone.
 */
const listening = (page: Page) =>
  page.waitForFunction(() => {
    const w = window as unknown as { streamReady?: boolean; playloop: { getState(): { ui: { networkBusy: number } } } };
    return w.streamReady === true && w.playloop.getState().ui.networkBusy === 0;
  });

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

  async function call(method: string, path: string, token?: string, body?: unknown, idempotencyKey?: string) {
    const res = await fetch(`${h.baseUrl}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(idempotencyKey ? { 'x-idempotency-key': idempotencyKey } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, json: (await res.json().catch(() => null)) as Record<string, any> | null };
  }

  /** A new player signed up through the API. */
  async function newPlayer(): Promise<Player> {
    const site_id = `e2e_ps_${Date.now().toString(36)}_${++n}`;
    const r = await call('POST', '/api/auth/signup', undefined, { site_id, nickname: `State ${n}`, password: PASSWORD });
    expect(r.status).toBe(201);
    return { site_id, id: r.json!.user.id, access: r.json!.access_token };
  }

  /** A browser context of its own (English, desktop-sized unless told), whose pages mark their stream's `ready`. */
  async function browserContext(options: { locale?: string; viewport?: { width: number; height: number } } = {}) {
    const ctx = await h.browser.newContext({ locale: options.locale ?? 'en-US', viewport: options.viewport ?? { width: 1100, height: 900 } });
    contexts.push(ctx);
    await ctx.addInitScript(markStreamReady);
    return ctx;
  }

  /** The player logged in by the form in a browser context of their own, on the dashboard. */
  async function loggedIn(player: Player, locale?: string) {
    const ctx = await browserContext({ locale });
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

  /** An operator's grant to the player through the API (the console's Send). */
  async function grantFromOperator(player: Player, bundle: unknown) {
    const r = await call('POST', '/api/rewards/distribute', await operatorToken(h.baseUrl), { user_id: player.id, bundle, reason: 'e2e live grant' }, crypto.randomUUID());
    expect(r.status).toBeLessThan(300);
  }

  it("an operator's grant of items shows on the open Inventory screen without a reload", async () => {
    const player = await newPlayer();
    const { page } = await loggedIn(player);
    await nav(page, '/inventory');
    await page.getByRole('heading', { name: 'Inventory' }).waitFor();
    await listening(page);
    await grantFromOperator(player, { items: [{ item_id: 'chest_bronze', quantity: 2 }] });
    await page.getByTestId('toast-info').filter({ hasText: 'The operators sent you a reward!' }).waitFor({ timeout: 10_000 });
    await page.getByTestId('item-chest_bronze').getByText('× 2').waitFor({ timeout: 5_000 });
    await h.shot(page, 'inventory-live-grant');
  });

  it("an operator's grant of coins shows on the open Profile screen without a reload", async () => {
    const player = await newPlayer();
    const { page } = await loggedIn(player);
    await nav(page, '/profile');
    await page.getByTestId('profile-soft').getByText('1000').waitFor();
    await listening(page);
    await grantFromOperator(player, { currencies: { soft: 777 } });
    await page.getByTestId('toast-info').filter({ hasText: 'The operators sent you a reward!' }).waitFor({ timeout: 10_000 });
    await expect.poll(() => page.getByTestId('profile-soft').innerText(), { timeout: 5_000 }).toBe('🪙 1777');
  });

  it("the profile's top scores name the game in the UI's language", async () => {
    const player = await newPlayer();
    const start = await call('POST', '/api/game/sessions/start', player.access, { game_type: 'lucky_dice' });
    expect(start.status).toBe(201);
    expect((await call('POST', `/api/game/sessions/${start.json!.session_id}/end`, player.access, { duration: 0 })).status).toBe(200);
    const { page } = await loggedIn(player, 'ko-KR');
    await nav(page, '/profile');
    const line = page.getByTestId('profile').getByText(/^최고 점수: /);
    await line.waitFor();
    // The server names its games in English only ("Lucky Dice").
    expect(await line.innerText()).toMatch(/^최고 점수: 행운의 주사위 \d+$/);
  });

  it('a handle typed with a capital first letter, as phones type it, signs up and logs in; the field asks phones not to', async () => {
    const page = await (await browserContext({ viewport: { width: 390, height: 800 } })).newPage();
    await page.goto(`${h.baseUrl}/signup`);
    const handle = page.getByLabel('Site ID');
    expect(await handle.evaluate((el) => [el.getAttribute('autocapitalize'), el.getAttribute('autocorrect'), el.getAttribute('spellcheck')])).toEqual(['none', 'off', 'false']);
    const site_id = `e2e_ps_cap_${Date.now().toString(36)}`;
    const typed = site_id[0]!.toUpperCase() + site_id.slice(1);
    await handle.fill(typed);
    await page.getByLabel('Nickname').fill('Capital');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign up', exact: true }).click();
    await page.getByTestId('dashboard').waitFor();
    // The account is the lowercase handle's.
    expect((await call('POST', '/api/auth/login', undefined, { site_id, password: PASSWORD })).status).toBe(200);
    await page.getByTestId('logout').click();
    await page.waitForURL('**/login');
    await page.getByLabel('Site ID').fill(typed);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByLabel('Password').press('Enter');
    await page.getByTestId('dashboard').waitFor();
    expect(await page.getByTestId('toast-error').count()).toBe(0);
  });

  it('a nickname of spaces is refused beside its field, in words, before anything is sent', async () => {
    const page = await (await browserContext()).newPage();
    const signups: string[] = [];
    page.on('request', (r) => void (r.url().endsWith('/api/auth/signup') && signups.push(r.method())));
    await page.goto(`${h.baseUrl}/signup`);
    await page.getByLabel('Site ID').fill(`e2e_ps_sp_${Date.now().toString(36)}`);
    const nickname = page.getByLabel('Nickname');
    await nickname.fill('   ');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign up', exact: true }).click();
    const said = page.locator('#nickname-err');
    await said.waitFor();
    expect(await said.innerText()).toBe('Required');
    expect(await nickname.getAttribute('aria-invalid')).toBe('true');
    await h.shot(page, 'signup-nickname-refused');
    await page.getByTestId('lang').selectOption('ko');
    await page.getByRole('button', { name: '회원가입', exact: true }).click();
    await said.getByText('필수 항목입니다').waitFor();
    expect({ signups, toasts: await page.getByTestId('toast-error').count() }).toEqual({ signups: [], toasts: 0 });
  });

  it("a tab left open follows another tab's logout and signup as someone else, and shows nothing of the first account", async () => {
    const first = await newPlayer();
    const { ctx, page } = await loggedIn(first);
    await nav(page, '/events');
    const warm = page.getByTestId('event-warm_up_3_games');
    await warm.getByRole('button', { name: 'Join' }).click();
    await warm.getByText('Progress 0 / 3').waitFor();

    // Another tab of the same browser (one token store) logs out: this tab goes back to login too.
    const other = await ctx.newPage();
    await other.goto(`${h.baseUrl}/`);
    await other.getByTestId('dashboard').waitFor();
    await other.getByTestId('logout').click();
    await other.waitForURL('**/login');
    await page.waitForURL('**/login', { timeout: 5_000 });

    // It signs up another account: this tab is now that account's, joined to nothing.
    await other.goto(`${h.baseUrl}/signup`);
    await other.getByLabel('Site ID').fill(`e2e_ps_y_${Date.now().toString(36)}`);
    await other.getByLabel('Nickname').fill('Second');
    await other.getByLabel('Password').fill(PASSWORD);
    await other.getByRole('button', { name: 'Sign up', exact: true }).click();
    await other.getByTestId('dashboard').waitFor();
    await page.getByRole('heading', { name: 'Hi, Second' }).waitFor({ timeout: 5_000 });
    await nav(page, '/events');
    await warm.getByRole('button', { name: 'Join' }).waitFor();
    expect(await warm.innerText()).not.toContain('Progress');
    await h.shot(page, 'tab-followed-account-switch');
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
