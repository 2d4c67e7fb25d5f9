import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { SCREENSHOTS, openConsoleIn, startHarness, type Harness } from './harness';

describe("the console's KPIs never show one range's figures under another's dates", () => {
  let h: Harness;
  let operator: BrowserContext;
  let op: Page;

  beforeAll(async () => {
    h = await startHarness('admin-kpis');
    operator = await h.browser.newContext({ locale: 'en-US', viewport: { width: 1100, height: 1000 } });
    op = await operator.newPage();
    await openConsoleIn(op, h.baseUrl);
    await op.getByTestId('admin-tab-kpis').click();
    await op.getByTestId('kpi-totals').waitFor({ timeout: 30_000 });
  });
  afterAll(async () => {
    await h?.close();
    console.log(`e2e screenshots: ${SCREENSHOTS}`);
  });

  it('a range the server refuses clears the figures and says why in the tab, after the toasts are gone; a good range brings them back', async () => {
    const to = await op.getByLabel('To', { exact: true }).inputValue();
    // "From" after "To": the server answers 400 VALIDATION_FAILED (from must not be after to).
    const refused = op.waitForResponse((r) => r.url().includes('/api/admin/analytics/kpis') && r.url().includes('from=2099-01-01'));
    await op.getByLabel('From', { exact: true }).fill('2099-01-01');
    expect((await refused).status()).toBe(400);
    const alert = op.getByRole('tabpanel').getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toBe(`No figures for 2099-01-01 – ${to}. From must not be after To, and a range is at most 366 days.`);
    expect(await op.getByTestId('kpi-totals').count()).toBe(0);
    expect(await op.getByTestId('kpi-chart').count()).toBe(0);
    // Not a toast that goes in 5 s: the tab keeps saying it while the dates are those.
    await op.waitForTimeout(6_000);
    expect(await alert.count()).toBe(1);
    expect(await op.getByTestId('kpi-totals').count()).toBe(0);
    await h.shot(op, 'kpis-range-refused');

    await op.getByLabel('From', { exact: true }).fill(to);
    await op.getByTestId('kpi-totals').waitFor({ timeout: 30_000 });
    expect(await alert.count()).toBe(0);
    expect(await op.getByTestId('kpi-chart').getAttribute('aria-label')).toBe(`KPI chart, ${to} – ${to}`);
    await h.shot(op, 'kpis-one-day');
    await operator.close();
  });
});
