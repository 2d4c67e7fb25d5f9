import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { SCREENSHOTS, openConsoleIn, startHarness, type Harness } from './harness';

/** The values the API speaks in; none of them is a word an operator should read. */
const RAW_VALUES = /\b(daily|weekly|limited|progression|regular|soft|premium|inactive|active|expired|games_played|score_total|play_seconds|wins|logins|purchases)\b/;
const METRICS_KO = ['플레이한 게임 수', '총 점수', '플레이 시간(초)', '승리 수', '로그인 수', '구매 수'];

const optionsOf = (form: Locator, label: string) => form.getByLabel(label).locator('option').allTextContents();
const textOf = async (rows: Locator) => (await rows.allInnerTexts()).join('\n');

describe('the Korean operator console names every choice in words, on a phone', () => {
  let h: Harness;
  let phone: BrowserContext;
  let p: Page;

  beforeAll(async () => {
    h = await startHarness('admin-labels');
    phone = await h.browser.newContext({ locale: 'ko-KR', viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    p = await phone.newPage();
    await openConsoleIn(p, h.baseUrl);
  });
  afterAll(async () => {
    await h?.close();
    console.log(`e2e screenshots: ${SCREENSHOTS}`);
  });

  it('events: types, metrics, statuses and rules', async () => {
    const form = p.getByTestId('event-form');
    expect(await optionsOf(form, '종류')).toEqual(['일일', '기간 한정', '성장형']);
    expect(await optionsOf(form, '지표')).toEqual(METRICS_KO);
    const warmUp = p.getByTestId('admin-event-warm_up_3_games');
    await warmUp.locator('.badge').getByText('진행 중', { exact: true }).waitFor();
    await warmUp.getByText(/플레이한 게임 수 ≥ 3/).waitFor();
    await p.getByTestId('admin-event-lucky_weekend').getByText(/승리 수 ≥ 3/).waitFor();
    expect(await textOf(p.locator('[data-testid^="admin-event-"]'))).not.toMatch(RAW_VALUES);
    await h.shot(p, 'events-korean');
  });

  it('missions: periods and metrics', async () => {
    await p.getByTestId('admin-tab-missions').tap();
    const form = p.getByTestId('mission-form');
    expect(await optionsOf(form, '주기')).toEqual(['일일', '주간']);
    expect(await optionsOf(form, '지표')).toEqual(METRICS_KO);
    const weekly = p.getByTestId('admin-mission-weekly_play_600s');
    await weekly.locator('.badge').getByText('주간', { exact: true }).waitFor();
    await weekly.getByText(/플레이 시간\(초\) ≥ 600/).waitFor();
    expect(await textOf(p.locator('[data-testid^="admin-mission-"]'))).not.toMatch(RAW_VALUES);
  });

  it('SKUs: currencies, segments and prices', async () => {
    await p.getByTestId('admin-tab-skus').tap();
    const form = p.getByTestId('sku-form');
    expect(await optionsOf(form, '통화')).toEqual(['코인', '젬']);
    expect(await optionsOf(form, '구분')).toEqual(['일반', '한정']);
    const chest = p.getByTestId('admin-sku-chest_bronze');
    await chest.getByRole('cell', { name: '코인 200', exact: true }).waitFor();
    await chest.getByRole('cell', { name: '일반', exact: true }).waitFor();
    await p.getByTestId('admin-sku-neon_starter_pack').getByRole('cell', { name: '한정', exact: true }).waitFor();
    expect(await textOf(p.locator('[data-testid^="admin-sku-"]'))).not.toMatch(RAW_VALUES);
    await h.shot(p, 'skus-korean');
    await phone.close();
  });
});
