import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { SCREENSHOTS, operatorToken, startHarness, type Harness } from './harness';

const PASSWORD = 'player-password-e2e';
const siteId = `e2e_play_${Date.now().toString(36)}`;
const END_REQUEST = '**/api/game/sessions/*/end';

const nav = (page: Page, name: string) => page.getByRole('navigation').getByRole('link', { name, exact: true }).click();

describe('playing in Chromium: the games and the missions screen', () => {
  let h: Harness;
  let player: BrowserContext;
  let page: Page;
  let userId: string;

  beforeAll(async () => {
    h = await startHarness('play');
    const res = await fetch(`${h.baseUrl}/api/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ site_id: siteId, nickname: 'Player One', password: PASSWORD }),
    });
    expect(res.status).toBe(201);
    userId = ((await res.json()) as { user: { id: string } }).user.id;
    player = await h.browser.newContext({ locale: 'en-US', viewport: { width: 1100, height: 900 } });
    page = await player.newPage();
    await page.goto(`${h.baseUrl}/login`);
    await page.getByLabel('Site ID').fill(siteId);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByLabel('Password').press('Enter');
    await page.getByTestId('dashboard').waitFor();
  });
  afterAll(async () => {
    await h?.close();
    console.log(`e2e screenshots: ${SCREENSHOTS}`);
  });

  /** An operator's grant to the player, which reaches their open page through the live stream. */
  async function grantFromOperator(soft: number) {
    const res = await fetch(`${h.baseUrl}/api/rewards/distribute`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await operatorToken(h.baseUrl)}`, 'x-idempotency-key': `e2e-play-grant-${Date.now()}` },
      body: JSON.stringify({ user_id: userId, bundle: { currencies: { soft } }, reason: 'e2e mid-game grant' }),
    });
    expect(res.status).toBeLessThan(300);
  }

  it('the Reaction countdown only goes down while the store changes around it', async () => {
    await nav(page, 'Play');
    await page.getByTestId('start-reaction').click();
    const left = page.getByTestId('reaction-left');
    await left.waitFor();
    // Every value the countdown shows, as the page shows it (a poll could miss a brief jump back).
    await left.evaluate((el) => {
      const seconds = () => Number((el.textContent ?? '').replace(/\D/g, ''));
      const seen = [seconds()];
      Object.assign(window, { seenLeft: seen });
      new MutationObserver(() => seen.push(seconds())).observe(el, { subtree: true, childList: true, characterData: true });
    });
    const startedAt = Date.now();

    // Store writes mid-game: the language, a live grant (toast and dashboard), the toast closed.
    await page.waitForTimeout(2000);
    await page.getByTestId('lang').selectOption('ko');
    await page.waitForTimeout(1000);
    await grantFromOperator(5);
    const toast = page.getByTestId('toast-info');
    await toast.waitFor();
    await toast.getByRole('button').click();
    await toast.waitFor({ state: 'detached' });
    await page.waitForTimeout(1000);
    await page.getByTestId('lang').selectOption('en');
    await page.waitForTimeout(1500);

    const seen = await page.evaluate(() => (window as unknown as { seenLeft: number[] }).seenLeft);
    const rises = seen.flatMap((s, i) => (i > 0 && s > seen[i - 1]! ? [`${seen[i - 1]} → ${s}`] : []));
    expect(rises, `time left went up: ${seen.join(', ')}`).toEqual([]);
    const elapsedS = Math.floor((Date.now() - startedAt) / 1000);
    expect(Number((await left.innerText()).replace(/\D/g, ''))).toBeLessThanOrEqual(15 - elapsedS + 1);
    await h.shot(page, 'reaction-after-store-writes');
    await page.getByTestId('finish').click();
    await page.getByTestId('game-result').waitFor();
  });

  it('a Finish whose end request failed can be pressed again, and then ends the game', async () => {
    let failed = 0;
    // Both tries of the first end fail (the client retries a network error once).
    await page.route(END_REQUEST, (route) => (failed < 2 ? ((failed += 1), route.abort('connectionfailed')) : route.continue()));
    await nav(page, 'Play');
    await page.getByTestId('start-reaction').click();
    await page.getByTestId('target').click();
    await page.waitForTimeout(1200);
    await page.getByTestId('finish').click();
    await page.getByTestId('toast-error').filter({ hasText: 'Network problem' }).waitFor();
    expect(failed).toBe(2);
    expect(await page.getByTestId('game-result').count()).toBe(0);
    await h.shot(page, 'reaction-end-failed');
    await page.getByTestId('finish').click();
    await page.getByTestId('game-result').waitFor({ timeout: 10_000 });
    await page.unroute(END_REQUEST);
  });

  it('a Lucky Dice payout is said once', async () => {
    // About 28 % of rolls pay: roll until one does (40 unpaid rolls in a row: 2 in a million).
    await nav(page, 'Play');
    let payout: RegExpMatchArray | null = null;
    for (let roll = 0; roll < 40 && !payout; roll++) {
      await page.getByTestId('start-lucky_dice').click();
      await page.getByTestId('roll').click();
      payout = (await page.getByTestId('dice-result').innerText()).match(/Payout: (\d+) coins?/);
    }
    expect(payout).not.toBeNull();
    const card = await page.getByTestId('game-result').innerText();
    expect(card.match(new RegExp(`\\b${payout![1]} coins?\\b`, 'g'))).toHaveLength(1);
    expect(await page.getByTestId('reward-items').count()).toBe(0);
    await h.shot(page, 'dice-payout');
  });

  it('the Missions screen says it is loading, not that there is nothing, until the missions arrive', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    await page.route('**/api/events/missions', async (route) => {
      await held;
      await route.continue();
    });
    // A fresh page: no missions in the store yet.
    await page.goto(`${h.baseUrl}/missions`);
    await page.getByRole('navigation').getByRole('link', { name: 'Missions', exact: true }).and(page.locator('[aria-current="page"]')).waitFor();
    // The screen renders with the navigation: what it says now is what it says while loading.
    expect(await page.getByText('Nothing here yet.').count()).toBe(0);
    await page.getByRole('main').getByRole('status').getByText('Loading…').waitFor();
    await h.shot(page, 'missions-loading');
    release();
    await page.getByTestId('mission-daily_play_1').waitFor();
    await page.getByRole('heading', { name: 'Weekly' }).waitFor();
    expect(await page.getByRole('main').getByRole('status').count()).toBe(0);
    await page.unroute('**/api/events/missions');
  });
});
