import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { SCREENSHOTS, openConsoleIn, startHarness, type Harness } from './harness';

const PASSWORD = 'player-password-e2e';
const siteId = `e2e_${Date.now().toString(36)}`;

const softOf = async (page: Page) => Number((await page.getByTestId('balance-soft').first().innerText()).replace(/\D/g, ''));
const nav = (page: Page, name: RegExp | string) => page.getByRole('navigation').getByRole('link', { name }).click();

/** Plays one Lucky Dice game from the Play screen and waits for the server's result. */
async function playDice(page: Page) {
  await page.getByTestId('start-lucky_dice').click();
  await page.getByTestId('roll').click();
  await page.getByTestId('dice-result').waitFor();
}

describe('the whole loop in Chromium', () => {
  let h: Harness;
  let player: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    h = await startHarness();
    player = await h.browser.newContext({ locale: 'en-US', viewport: { width: 1100, height: 900 } });
    page = await player.newPage();
  });
  afterAll(async () => {
    await h?.close();
    console.log(`e2e screenshots: ${SCREENSHOTS}`);
  });

  it('a new player signs up, joins an event, plays until it completes, claims, buys and opens a chest', async () => {
    const consoleErrors: string[] = [];
    const onConsole = (m: { type(): string; text(): string }) => void (m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('console', onConsole);
    await page.goto(`${h.baseUrl}/`, { waitUntil: 'networkidle' });
    await page.waitForURL('**/login');
    // The first page a visitor sees loads clean: its icon is served (a missing one is a 404 in
    // the console on every load) and nothing else fails.
    expect(await page.locator('link[rel="icon"]').count()).toBe(1);
    const icon = await page.locator('link[rel="icon"]').getAttribute('href');
    const served = await page.request.get(new URL(icon ?? '/missing-icon', h.baseUrl).href);
    expect(served.status()).toBe(200);
    expect(served.headers()['content-type']).toMatch(/^image\/svg\+xml/);
    expect(consoleErrors).toEqual([]);
    page.off('console', onConsole);
    await h.shot(page, 'login');
    await page.getByRole('button', { name: /create an account/i }).click();
    await page.getByLabel('Site ID').fill(siteId);
    await page.getByLabel('Nickname').fill('E2E Player');
    await page.getByLabel('Password').fill(PASSWORD);
    await h.shot(page, 'signup-form');
    await page.getByRole('button', { name: 'Sign up', exact: true }).click();
    await page.getByTestId('dashboard').waitFor();
    expect(await softOf(page)).toBe(1000);
    await h.shot(page, 'dashboard-new-player');

    await nav(page, 'Events');
    const warmUp = page.getByTestId('event-warm_up_3_games');
    await warmUp.getByRole('button', { name: 'Join' }).click();
    await warmUp.getByText('Progress 0 / 3').waitFor();
    await h.shot(page, 'event-joined');

    // Game 1: the skill game, scored by hitting targets.
    await nav(page, 'Play');
    await page.getByTestId('start-reaction').click();
    for (let i = 0; i < 4; i++) await page.getByTestId('target').click();
    expect(Number((await page.getByTestId('reaction-score').innerText()).replace(/\D/g, ''))).toBeGreaterThanOrEqual(40);
    await h.shot(page, 'reaction-playing');
    await page.waitForTimeout(1200);
    await page.getByTestId('finish').click();
    await page.getByTestId('game-result').waitFor();
    await page.getByTestId('progress-updates').getByText('1 / 3').first().waitFor();
    await h.shot(page, 'reaction-result');

    // Games 2 and 3: the server-scored dice.
    await page.getByTestId('play-again').click();
    await playDice(page);
    await page.getByTestId('play-again').click();
    await playDice(page);
    await page.getByTestId('progress-updates').getByText(/3 \/ 3/).first().waitFor();
    await h.shot(page, 'dice-result-event-complete');

    // The dashboard says the event is ready to claim, and leads to it.
    await nav(page, 'Home');
    await page.getByTestId('dash-claimable-warm_up_3_games').waitFor();
    await h.shot(page, 'dashboard-ready-to-claim');
    await page.getByTestId('dash-claimable-warm_up_3_games').click();
    await warmUp.getByRole('button', { name: 'Claim' }).click();
    await warmUp.getByText('Claimed').waitFor();
    await h.shot(page, 'event-claimed');

    await nav(page, 'Shop');
    await page.getByTestId('tab-limited').click();
    // A bundle's items by the names the operator gave them, not their ids.
    await page.getByTestId('sku-neon_starter_pack').getByText('Neon avatar × 1, Bronze chest × 3').waitFor();
    await h.shot(page, 'shop-limited');
    await page.getByTestId('tab-regular').click();
    // A price the wallet cannot pay is said before the click (the player has no gems).
    const pouch = page.getByTestId('buy-coin_pouch');
    expect(await pouch.innerText()).toBe('Not enough gems');
    expect(await pouch.isDisabled()).toBe(true);
    const before = await softOf(page);
    await page.getByTestId('buy-chest_bronze').dblclick();
    await page.getByTestId('toast-success').filter({ hasText: 'Purchase complete' }).first().waitFor();
    await expect.poll(() => softOf(page)).toBe(before - 200);
    await h.shot(page, 'shop-bought-chest');

    await nav(page, 'Inventory');
    await page.getByTestId('use-chest_bronze').click();
    await page.getByTestId('use-result').waitFor();
    await h.shot(page, 'chest-opened');

    await nav(page, 'Profile');
    await page.getByTestId('stat-games').getByText('3').waitFor();
    await expect.poll(async () => page.getByTestId('stat-purchases').innerText()).toBe('1'); // the double click bought once
    expect(await page.getByTestId('stat-claimed').innerText()).toBe('1');
    // The feed is said in the page's language from each entry's detail, items by their names.
    const activity = page.getByTestId('activity');
    await activity.getByText('Bought Bronze chest × 1 for 200 coins').waitFor();
    await activity.getByText(/Opened Bronze chest: /).waitFor();
    await activity.getByText('Welcome bonus: 1000 coins').waitFor();
    // The claim, the payout, the purchase and the chest each said so on their own screen; the live
    // updates of those grants added no second "you received a reward" toast.
    expect(await page.getByTestId('toast-info').count()).toBe(0);
    const profileText = await page.getByTestId('profile').innerText();
    expect(profileText).toContain('Tier Bronze');
    expect(profileText).toMatch(/Top scores: .*Lucky Dice \d+/);
    await h.shot(page, 'profile');

    await nav(page, 'Home');
    await page.getByTestId('dashboard').waitFor();
    expect(await page.getByTestId('dash-claimable-warm_up_3_games').count()).toBe(0);
    expect(await softOf(page)).not.toBe(1000);
    // Recent games by the game's name, not its id.
    await page.getByTestId('dashboard').getByText(/^Lucky Dice: Score \d+$/).first().waitFor();
    await h.shot(page, 'dashboard-after-loop');
  });

  it('an operator finds the player in the console and sends a reward; it shows on their open dashboard without a reload', async () => {
    const before = await softOf(page);
    const { operator, op } = await openConsole();
    await op.getByTestId('admin-tab-players').click();
    // Before any search, the newest signups: the player is among them.
    await op.getByTestId(`player-${siteId}`).waitFor();
    // A handle's start, typed in capitals, finds them; a handle no one has finds nobody.
    await op.getByTestId('player-search').fill('nobody_has_this');
    await op.getByTestId('player-search').press('Enter');
    await op.getByTestId('players').getByText('Nothing here yet.').waitFor();
    await op.getByTestId('player-search').fill(siteId.slice(0, 8).toUpperCase());
    await op.getByRole('button', { name: 'Search' }).click();
    const result = op.getByTestId(`player-${siteId}`);
    expect(await result.innerText()).toBe(`E2E Player @${siteId}`);
    expect(await op.getByTestId('player-results').locator('li').count()).toBe(1);
    await h.shot(op, 'console-players-found');
    await result.click();
    const detail = op.getByTestId('player-detail');
    // The operator sees the player's own profile: balances, stats and what happened to them.
    expect(await detail.getByTestId('profile-soft').innerText()).toBe(`🪙 ${before}`);
    expect(await detail.getByTestId('stat-purchases').innerText()).toBe('1');
    await detail.getByTestId('activity').getByText('Bought Bronze chest × 1 for 200 coins').waitFor();
    await h.shot(op, 'console-player');
    const form = op.getByTestId('distribute-form');
    // A reward without a reason is refused beside the field; nothing is sent.
    await form.getByLabel('Reward coins').fill('777');
    await form.getByRole('button', { name: 'Send' }).click();
    await form.getByRole('alert').first().waitFor();
    await form.getByLabel('Reason').fill('e2e live grant');
    await form.getByRole('button', { name: 'Send' }).click();
    // The player's page in the console shows the grant once it is made, in the activity and
    // first among the rewards received.
    await detail.getByTestId('activity').getByText('From the operators (e2e live grant): 777 coins').waitFor();
    await expect.poll(async () => (await detail.getByTestId('player-grants').locator('li').first().innerText()).replace(/\s+/g, ' ')).toMatch(/^Operator 777 coins /);
    expect(await detail.getByTestId('profile-soft').innerText()).toBe(`🪙 ${before + 777}`);
    await h.shot(op, 'console-player-rewarded');
    await operator.close();
    await expect.poll(() => softOf(page), { timeout: 10_000 }).toBe(before + 777);
    // A grant the player did not cause is news: it gets a toast (their own claims did not).
    await page.getByTestId('toast-info').filter({ hasText: 'The operators sent you a reward!' }).waitFor();
    await h.shot(page, 'dashboard-live-grant');
  });

  it('an operator suspends a playing player, whose open page goes back to login, which says why; then reinstates them', async () => {
    const handle = `e2e_sus_${Date.now().toString(36)}`;
    const theirs = await h.browser.newContext({ locale: 'en-US', viewport: { width: 420, height: 800 } });
    const them = await theirs.newPage();
    await them.goto(`${h.baseUrl}/signup`);
    await them.getByLabel('Site ID').fill(handle);
    await them.getByLabel('Nickname').fill('Rule Breaker');
    await them.getByLabel('Password').fill(PASSWORD);
    await them.getByRole('button', { name: 'Sign up', exact: true }).click();
    await them.getByTestId('dashboard').waitFor();
    const { operator, op } = await openConsole();
    await op.getByTestId('admin-tab-players').click();
    await op.getByTestId('player-search').fill(handle);
    await op.getByTestId('player-search').press('Enter');
    await op.getByTestId(`player-${handle}`).click();
    const form = op.getByTestId('suspend-form');
    // No reason, no suspension.
    await form.getByRole('button', { name: 'Suspend' }).click();
    await form.getByRole('alert').first().waitFor();
    await form.getByLabel('Reason').fill('e2e: chargeback');
    await form.getByRole('button', { name: 'Suspend' }).click();
    await op.getByTestId('player-suspension').getByText(/^Suspended since .+ by @operator: e2e: chargeback$/).waitFor();
    await h.shot(op, 'console-player-suspended');

    // Their open page hears its session end (the live stream closes) and falls back to the login.
    await them.waitForURL('**/login', { timeout: 15_000 });
    await them.getByLabel('Site ID').fill(handle);
    await them.getByLabel('Password').fill(PASSWORD);
    await them.getByLabel('Password').press('Enter');
    await them.getByTestId('toast-error').filter({ hasText: 'This account is suspended' }).waitFor();
    await h.shot(them, 'login-suspended');

    // The search marks them; reinstated, they log in.
    await op.getByTestId('player-back').click();
    const row = op.getByTestId('player-results').locator('li').filter({ has: op.getByTestId(`player-${handle}`) });
    await row.getByText('Suspended').waitFor();
    await op.getByTestId(`player-${handle}`).click();
    await op.getByTestId('player-reinstate').click();
    await op.getByTestId('suspend-form').waitFor();
    await them.getByRole('button', { name: 'Log in', exact: true }).click();
    await them.getByTestId('dashboard').waitFor();
    await theirs.close();
    await operator.close();
  });

  it('an operator pages through a search that matches more players than one page holds', async () => {
    const prefix = `e2e_pg_${Date.now().toString(36)}_`;
    for (let i = 0; i < 23; i += 1) {
      const res = await fetch(`${h.baseUrl}/api/auth/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ site_id: `${prefix}${i}`, nickname: `Pager ${i}`, password: PASSWORD }),
      });
      expect(res.status).toBe(201);
    }
    const { operator, op } = await openConsole();
    await op.getByTestId('admin-tab-players').click();
    await op.getByTestId('player-search').fill(prefix);
    await op.getByTestId('player-search').press('Enter');
    const rows = op.getByTestId('player-results').locator('li');
    await op.getByTestId(`player-${prefix}22`).waitFor();
    expect(await rows.count()).toBe(20);
    await op.getByTestId('player-results-more').click();
    await op.getByTestId(`player-${prefix}0`).waitFor();
    const shown = await rows.evaluateAll((lis) => lis.map((li) => li.querySelector('button')?.textContent ?? ''));
    // Every match once, the newest first; then no more to show.
    expect(shown).toEqual(Array.from({ length: 23 }, (_, i) => `Pager ${22 - i} @${prefix}${22 - i}`));
    expect(await op.getByTestId('player-results-more').count()).toBe(0);
    await h.shot(op, 'console-players-paged');
    await operator.close();
  });

  /** The operator's console in a browser context of its own. */
  async function openConsole() {
    const operator = await h.browser.newContext({ locale: 'en-US', viewport: { width: 1100, height: 1000 } });
    const op = await operator.newPage();
    await openConsoleIn(op, h.baseUrl);
    return { operator, op };
  }

  it('an operator creates an event in the console that the player then completes', async () => {
    const { operator, op } = await openConsole();
    const form = op.getByTestId('event-form');
    // Validation first: an empty key and title are refused beside their fields.
    await form.getByRole('button', { name: 'Save' }).click();
    await form.getByRole('alert').first().waitFor();
    await h.shot(op, 'console-event-form-invalid');
    const key = `e2e_one_game_${Date.now().toString(36)}`;
    await form.getByLabel('Key').fill(key);
    await form.getByLabel('Title').fill('E2E: play one game');
    await form.getByLabel('Target').fill('1');
    await form.getByLabel('Reward coins').fill('55');
    await form.getByRole('button', { name: 'Save' }).click();
    await op.getByTestId(`admin-event-${key}`).waitFor();
    await h.shot(op, 'console-event-created');
    await op.getByTestId('admin-tab-kpis').click();
    await op.getByTestId('kpi-totals').waitFor({ timeout: 30_000 });
    // The funnel's steps and the games are named, not shown by their ids; both revenues are there.
    expect(await op.getByTestId('kpi-totals').innerText()).toMatch(/Revenue \(coins\)\s+\d+\s+Revenue \(gems\)\s+\d+/);
    expect((await op.getByTestId('kpi-funnel').innerText()).replace(/: \d+/g, '').split('\n').filter(Boolean)).toEqual([
      'Funnel',
      'Signed up',
      'Joined an event',
      'Finished a game',
      'Claimed a reward',
      'Bought in the shop',
    ]);
    // The player's games reach the store through the relay: ask again until they are there.
    await expect
      .poll(
        async () => {
          await op.getByRole('button', { name: 'Refresh' }).click();
          return op.getByTestId('kpi-by-game').innerText();
        },
        { timeout: 30_000, interval: 500 },
      )
      .toMatch(/Reaction: \d+ sessions? by \d+ players?/);
    await h.shot(op, 'console-kpis');
    await op.getByTestId('admin-tab-pipeline').click();
    await op.getByTestId('pipeline').waitFor();
    // The sink's figures in words: where events go and whether the store answers.
    await op.getByTestId('pipeline').getByText('Relay: running (in-process)').waitFor();
    expect(await op.getByTestId('sink-mode').locator('dd').innerText()).toBe('in-process');
    expect(await op.getByTestId('sink-store').locator('dt').innerText()).toBe('Analytics store');
    expect(await op.getByTestId('sink-store_reachable').locator('dd').innerText()).toBe('yes');
    expect(Number((await op.getByTestId('sink-written_total').locator('dd').innerText()).replace(/\D/g, ''))).toBeGreaterThan(0);
    await h.shot(op, 'console-pipeline');
    await operator.close();

    await nav(page, 'Events');
    const card = page.getByTestId(`event-${key}`);
    await card.getByRole('button', { name: 'Join' }).click();
    await card.getByText('Progress 0 / 1').waitFor();
    await nav(page, 'Play');
    await page.getByTestId('play-again').click().catch(() => {});
    await playDice(page);
    await nav(page, 'Events');
    await card.getByRole('button', { name: 'Claim' }).click();
    await card.getByText('Claimed').waitFor();
    await h.shot(page, 'operator-event-claimed');
  });

  it('an operator changes a SKU price in the console, by keyboard; the player sees and pays the new price', async () => {
    const { operator, op } = await openConsole();
    await op.getByTestId('admin-tab-skus').click();
    const row = op.getByTestId('admin-sku-exp_boost');
    await row.getByText('250 coins').waitFor();

    // Escape closes the dialog and gives focus back to the button that opened it.
    await op.getByTestId('edit-sku-coin_pouch').focus();
    await op.keyboard.press('Enter');
    await op.getByTestId('sku-edit-dialog').waitFor();
    await op.keyboard.press('Escape');
    await op.getByTestId('sku-edit-dialog').waitFor({ state: 'detached' });
    expect(await op.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('edit-sku-coin_pouch');

    await row.getByRole('button', { name: 'Edit: Instant EXP boost' }).focus();
    await op.keyboard.press('Enter');
    const dialog = op.getByTestId('sku-edit-dialog');
    await dialog.waitFor();
    // The dialog takes the focus: its first field.
    expect(await op.evaluate(() => document.activeElement?.id)).toBe('sku-edit-form-name');
    const price = dialog.getByLabel('Price');
    // Client-side validation with the contract's schema: a zero price is refused beside the field.
    await price.fill('0');
    await price.press('Enter');
    await dialog.getByRole('alert').first().waitFor();
    expect(await price.getAttribute('aria-invalid')).toBe('true');
    await h.shot(op, 'console-sku-edit-invalid');
    await price.fill('120');
    await h.shot(op, 'console-sku-edit');
    await price.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    await row.getByText('120 coins').waitFor();
    await h.shot(op, 'console-sku-edited');
    await operator.close();

    await nav(page, 'Shop');
    await page.getByTestId('tab-regular').click();
    const card = page.getByTestId('sku-exp_boost');
    await card.getByText(/^120 /).waitFor();
    const before = await softOf(page);
    await page.getByTestId('buy-exp_boost').click();
    await page.getByTestId('toast-success').filter({ hasText: 'Purchase complete' }).first().waitFor();
    await expect.poll(() => softOf(page)).toBe(before - 120);
    await h.shot(page, 'shop-new-price-paid');
  });

  it('switches the UI to Korean', async () => {
    await page.getByTestId('lang').selectOption('ko');
    await page.getByRole('navigation').getByRole('link', { name: '홈' }).waitFor();
    await nav(page, '홈');
    await page.getByText(/안녕하세요/).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('ko');
    await h.shot(page, 'dashboard-korean');
    await page.getByTestId('lang').selectOption('en');
  });

  it('fits a phone-sized screen', async () => {
    const phone = await h.browser.newContext({ locale: 'ko-KR', viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const p = await phone.newPage();
    await p.goto(`${h.baseUrl}/`);
    await p.getByLabel('사이트 ID').fill(siteId);
    await p.getByLabel('비밀번호').fill(PASSWORD);
    await h.shot(p, 'phone-login');
    await p.getByRole('button', { name: '로그인', exact: true }).tap();
    await p.getByTestId('dashboard').waitFor();
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await h.shot(p, 'phone-dashboard');
    await p.getByRole('navigation').getByRole('link', { name: '게임' }).tap();
    await p.getByTestId('start-reaction').tap();
    await p.getByTestId('target').tap();
    await h.shot(p, 'phone-reaction');
    await p.waitForTimeout(1200);
    await p.getByTestId('finish').tap();
    await p.getByTestId('game-result').waitFor();
    await p.getByRole('navigation').getByRole('link', { name: '상점' }).tap();
    await p.getByTestId('sku-chest_bronze').waitFor();
    expect(await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await h.shot(p, 'phone-shop');
    await phone.close();
  });
});
