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

  it('forms: a refused create explains each field error in Korean, beside its field', async () => {
    const form = p.getByTestId('event-form');
    const field = (name: string) => form.locator(`[name="${name}"]`);
    await field('key').fill('Bad Key');
    await field('title').fill('');
    await field('target').fill('0');
    await field('target').press('Enter');
    await form.locator('.field-error').first().waitFor();
    /** The error shown beside a field, the one its input is described by. */
    const beside = async (name: string) => {
      expect(await field(name).getAttribute('aria-invalid')).toBe('true');
      return p.locator(`[id="${await field(name).getAttribute('aria-describedby')}"]`).innerText();
    };
    expect(await beside('key')).toBe('a-z, 0-9, _ 만 쓸 수 있으며 64자 이하여야 합니다');
    expect(await beside('title')).toBe('필수 항목입니다');
    expect(await beside('target')).toBe('0보다 커야 합니다');
    // Nothing of zod's or the contracts' English: the operator typed no English words here.
    const messages = await form.locator('.field-error').allInnerTexts();
    expect(messages.filter((m) => /[A-Za-z]{3,}/.test(m))).toEqual([]);
    await h.shot(p, 'event-form-refused-korean');
    await field('key').fill('');
    await field('target').fill('1');
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

  it('KPIs: the chart is named in Korean', async () => {
    await p.getByTestId('admin-tab-kpis').tap();
    const chart = p.getByTestId('kpi-chart');
    await chart.waitFor({ timeout: 30_000 });
    expect(await chart.getAttribute('aria-label')).toMatch(/^KPI 차트, \d{4}-\d{2}-\d{2} – \d{4}-\d{2}-\d{2}$/);
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
