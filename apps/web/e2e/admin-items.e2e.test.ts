import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import type { Item, ItemOpens } from '@playloop/contracts';
import { SCREENSHOTS, openConsoleIn, operatorToken, startHarness, type Harness } from './harness';

const stamp = Date.now().toString(36);
const TABLE_ITEM = `e2e_table_${stamp}`;
const MULTI_ITEM = `e2e_multi_${stamp}`;
const SWITCH_ITEM = `e2e_switch_${stamp}`;
const COSMETIC_ITEM = `e2e_frame_${stamp}`;

/** The Item ID field of a form (its name gains the error text once refused). */
const itemId = (form: Locator) => form.getByRole('textbox', { name: /^Item ID/ });
/** One entry of the table editor, by its visible name ("Entry 1"). */
const entry = (scope: Locator, n: number) => scope.getByRole('group', { name: `Entry ${n}`, exact: true });

describe('the operator edits weighted loot tables in Chromium', () => {
  let h: Harness;
  let token: string;
  let operator: BrowserContext;
  let op: Page;

  /** What the server stores for an item, read through the operator API. */
  async function storedItem(id: string): Promise<Item | undefined> {
    const res = await fetch(`${h.baseUrl}/api/admin/items`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { items: Item[] }).items.find((i) => i.item_id === id);
  }

  /** Defines an item through the operator API, then loads the list again (another tab and back). */
  async function defineItem(body: { item_id: string; name: string; kind: Item['kind']; opens?: ItemOpens }) {
    const res = await fetch(`${h.baseUrl}/api/admin/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-idempotency-key': `e2e-item-${body.item_id}` },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(201);
    await op.getByTestId('admin-tab-skus').click();
    await op.getByTestId('admin-tab-items').click();
    await op.getByTestId(`edit-item-${body.item_id}`).waitFor();
  }

  /** Saves the open item edit dialog and returns the PATCH body it sent. */
  async function saveEdit(dialog: Locator): Promise<unknown> {
    const patch = op.waitForRequest((r) => r.method() === 'PATCH' && r.url().includes('/api/admin/items/'));
    await dialog.getByRole('button', { name: 'Save' }).click();
    const body = (await patch).postDataJSON() as unknown;
    await dialog.waitFor({ state: 'detached' });
    return body;
  }

  beforeAll(async () => {
    h = await startHarness('admin-items');
    token = await operatorToken(h.baseUrl);
    operator = await h.browser.newContext({ locale: 'en-US', viewport: { width: 1100, height: 1000 } });
    op = await operator.newPage();
    await openConsoleIn(op, h.baseUrl);
    await op.getByTestId('admin-tab-items').click();
    await op.getByTestId('item-form').waitFor();
  });
  afterAll(async () => {
    await h?.close();
    console.log(`e2e screenshots: ${SCREENSHOTS}`);
  });

  it('creates a table item with two entries, then edits, adds and removes entries; the server stores exactly that', async () => {
    const form = op.getByTestId('item-form');
    await itemId(form).fill(TABLE_ITEM);
    await form.getByLabel('Name', { exact: true }).fill('E2E table chest');
    await form.getByLabel('Contents').selectOption({ label: 'Weighted table' });
    // The fixed-bundle fields give way to the table, which starts with one entry that cannot be removed.
    expect(await form.getByLabel('Opens: coins').count()).toBe(0);
    const first = entry(form, 1);
    await expect.poll(() => first.getByRole('button', { name: 'Remove: Entry 1' }).isDisabled()).toBe(true);
    await first.getByLabel('Weight').fill('3');
    await first.getByLabel('Reward coins').fill('100');
    await form.getByRole('button', { name: 'Add entry' }).click();
    const second = entry(form, 2);
    await second.getByLabel('Weight').fill('1');
    await second.getByLabel('Reward gems').fill('5');
    await second.getByLabel('Bundle item ID').fill('e2e_gem');
    await second.getByLabel('Bundle item quantity').fill('2');
    await first.getByText('Chance 75%').waitFor();
    await second.getByText('Chance 25%').waitFor();
    await form.getByText('2 of at most 50 entries · total weight 4').waitFor();
    await h.shot(op, 'item-form-table');
    await form.getByRole('button', { name: 'Save' }).click();
    await op.getByTestId(`admin-item-${TABLE_ITEM}`).waitFor();

    const created: ItemOpens = {
      table: [
        { weight: 3, bundle: { currencies: { soft: 100 } } },
        { weight: 1, bundle: { currencies: { premium: 5 }, items: [{ item_id: 'e2e_gem', quantity: 2 }] } },
      ],
    };
    const item = await storedItem(TABLE_ITEM);
    expect(item).toMatchObject({ kind: 'consumable', name: 'E2E table chest' });
    expect(item?.opens).toEqual(created);

    await op.getByTestId(`edit-item-${TABLE_ITEM}`).click();
    const dialog = op.getByTestId('item-edit-dialog');
    await dialog.waitFor();
    expect(await entry(dialog, 2).getByLabel('Bundle item ID').inputValue()).toBe('e2e_gem');
    await entry(dialog, 1).getByLabel('Weight').fill('6');
    await entry(dialog, 1).getByText('Chance 85.71%').waitFor();

    // Adding by keyboard puts the focus on the new entry's weight, selected: typing replaces it.
    await dialog.getByRole('button', { name: 'Add entry' }).focus();
    await op.keyboard.press('Enter');
    await entry(dialog, 3).waitFor();
    expect(await op.evaluate(() => document.activeElement?.id)).toBe('item-edit-form-table.2.weight');
    await op.keyboard.type('2');
    expect(await entry(dialog, 3).getByLabel('Weight').inputValue()).toBe('2');
    await entry(dialog, 3).getByLabel('Reward EXP').fill('40');
    await h.shot(op, 'item-edit-three-entries');

    await entry(dialog, 2).getByRole('button', { name: 'Remove: Entry 2' }).click();
    await entry(dialog, 3).waitFor({ state: 'detached' });
    expect(await entry(dialog, 2).getByLabel('Reward EXP').inputValue()).toBe('40');
    await entry(dialog, 1).getByText('Chance 75%').waitFor();
    await entry(dialog, 2).getByText('Chance 25%').waitFor();
    await dialog.getByText('2 of at most 50 entries · total weight 8').waitFor();

    // A weight of 0 is refused beside the field; the dialog stays open and the server keeps the old table.
    const weight = entry(dialog, 1).getByLabel('Weight');
    await weight.fill('0');
    await entry(dialog, 1).getByText('Chance —').waitFor();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await entry(dialog, 1).getByRole('alert').waitFor();
    expect(await weight.getAttribute('aria-invalid')).toBe('true');
    await dialog.getByText('Check the highlighted fields').waitFor();
    await h.shot(op, 'item-edit-weight-refused');
    // Over the largest weight, and an entry that gives nothing, are refused too.
    await weight.fill('1000001');
    await entry(dialog, 2).getByLabel('Reward EXP').fill('');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await entry(dialog, 2).getByText('a bundle must give something').waitFor();
    expect(await weight.getAttribute('aria-invalid')).toBe('true');
    expect((await storedItem(TABLE_ITEM))?.opens).toEqual(created);

    await weight.fill('6');
    await entry(dialog, 2).getByLabel('Reward EXP').fill('40');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect((await storedItem(TABLE_ITEM))?.opens).toEqual({
      table: [
        { weight: 6, bundle: { currencies: { soft: 100 } } },
        { weight: 2, bundle: { exp: 40 } },
      ],
    });
    await h.shot(op, 'item-edited');
  });

  it('shows the server refusing a create and changes nothing', async () => {
    const before = await storedItem(TABLE_ITEM);
    const form = op.getByTestId('item-form');
    await itemId(form).fill(TABLE_ITEM); // taken: only the server knows
    await form.getByLabel('Name', { exact: true }).fill('Another chest');
    await form.getByLabel('Contents').selectOption({ label: 'Weighted table' });
    await entry(form, 1).getByLabel('Weight').fill('9');
    await form.getByRole('button', { name: 'Save' }).click();
    await op.getByTestId('item-form-error').waitFor();
    expect(await itemId(form).getAttribute('aria-invalid')).toBe('true');
    await form.getByText('already exists').waitFor();
    await h.shot(op, 'item-form-server-refused');
    expect(await storedItem(TABLE_ITEM)).toEqual(before);
  });

  it('keeps the items of an entry that the form does not show', async () => {
    const table = [
      { weight: 1, bundle: { items: [{ item_id: 'e2e_gem', quantity: 1 }, { item_id: 'e2e_frame', quantity: 2 }] } },
      { weight: 3, bundle: { exp: 5 } },
    ];
    await defineItem({ item_id: MULTI_ITEM, name: 'E2E two-item chest', kind: 'consumable', opens: { table } });
    await op.getByTestId(`edit-item-${MULTI_ITEM}`).click();
    const dialog = op.getByTestId('item-edit-dialog');
    await entry(dialog, 1).getByText('Also gives 1 more item not shown here').waitFor();
    await entry(dialog, 1).getByLabel('Weight').fill('4');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect((await storedItem(MULTI_ITEM))?.opens).toEqual({ table: [{ ...table[0], weight: 4 }, table[1]] });
  });

  it('switches a consumable from a fixed bundle to a weighted table and back; a cosmetic has no contents to switch', async () => {
    const bundle = { currencies: { soft: 30 }, exp: 5 };
    await defineItem({ item_id: SWITCH_ITEM, name: 'E2E switch chest', kind: 'consumable', opens: { bundle } });
    await op.getByTestId(`edit-item-${SWITCH_ITEM}`).click();
    const dialog = op.getByTestId('item-edit-dialog');
    const contents = dialog.getByLabel('Contents');
    expect(await contents.inputValue()).toBe('bundle');
    expect(await dialog.getByLabel('Reward coins').inputValue()).toBe('30');

    // The table starts as one entry of weight 1 giving the bundle the item had.
    await contents.selectOption({ label: 'Weighted table' });
    const first = entry(dialog, 1);
    await first.waitFor();
    expect(await dialog.getByTestId('item-edit-form-reward_soft').count()).toBe(0);
    expect(await first.getByLabel('Weight').inputValue()).toBe('1');
    expect(await first.getByLabel('Reward coins').inputValue()).toBe('30');
    expect(await first.getByLabel('Reward EXP').inputValue()).toBe('5');
    await first.getByText('Chance 100%').waitFor();
    await dialog.getByRole('button', { name: 'Add entry' }).click();
    const second = entry(dialog, 2);
    await second.getByLabel('Weight').fill('3');
    await second.getByLabel('Reward gems').fill('4');
    await second.getByLabel('Bundle item ID').fill('e2e_gem');
    await first.getByText('Chance 25%').waitFor();
    await h.shot(op, 'item-edit-switched-to-table');
    const table = [
      { weight: 1, bundle },
      { weight: 3, bundle: { currencies: { premium: 4 }, items: [{ item_id: 'e2e_gem', quantity: 1 }] } },
    ];
    // Only the contents changed, so only they are sent.
    expect(await saveEdit(dialog)).toEqual({ opens: { table } });
    const tabled = await storedItem(SWITCH_ITEM);
    expect(tabled).toMatchObject({ kind: 'consumable', name: 'E2E switch chest' });
    expect(tabled?.opens).toEqual({ table });

    // Back to a fixed bundle: it starts from the first entry's bundle, edited here before saving.
    await op.getByTestId(`edit-item-${SWITCH_ITEM}`).click();
    expect(await contents.inputValue()).toBe('table');
    await contents.selectOption({ label: 'Fixed bundle' });
    await entry(dialog, 1).waitFor({ state: 'detached' });
    expect(await dialog.getByLabel('Reward coins').inputValue()).toBe('30');
    expect(await dialog.getByLabel('Reward EXP').inputValue()).toBe('5');
    expect(await dialog.getByLabel('Reward gems').inputValue()).toBe('');
    await dialog.getByLabel('Reward EXP').fill('8');
    expect(await saveEdit(dialog)).toEqual({ opens: { bundle: { currencies: { soft: 30 }, exp: 8 } } });
    expect((await storedItem(SWITCH_ITEM))?.opens).toEqual({ bundle: { currencies: { soft: 30 }, exp: 8 } });

    // A cosmetic opens nothing: its edit offers a name and no contents.
    await defineItem({ item_id: COSMETIC_ITEM, name: 'E2E frame', kind: 'cosmetic' });
    await op.getByTestId(`edit-item-${COSMETIC_ITEM}`).click();
    await dialog.getByLabel('Name', { exact: true }).waitFor();
    expect(await dialog.getByLabel('Contents').count()).toBe(0);
    expect(await dialog.getByRole('combobox').count()).toBe(0);
    expect(await dialog.getByLabel('Reward coins').count()).toBe(0);
    await dialog.getByLabel('Name', { exact: true }).fill('E2E gold frame');
    expect(await saveEdit(dialog)).toEqual({ name: 'E2E gold frame' });
    expect(await storedItem(COSMETIC_ITEM)).toMatchObject({ kind: 'cosmetic', name: 'E2E gold frame', opens: null });
  });

  it('names the kinds of item in words, not enum values', async () => {
    const kind = op.getByTestId('item-form').getByLabel('Kind');
    expect(await kind.locator('option').allTextContents()).toEqual(['Consumable', 'Cosmetic']);
    await kind.selectOption({ label: 'Cosmetic' });
    expect(await kind.inputValue()).toBe('cosmetic');
    expect(await op.getByTestId('item-form').getByLabel('Contents').count()).toBe(0);
    await kind.selectOption({ label: 'Consumable' });
  });

  it('fits the table editor on a phone-sized screen, in Korean', async () => {
    const phone = await h.browser.newContext({ locale: 'ko-KR', viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const p = await phone.newPage();
    await openConsoleIn(p, h.baseUrl);
    await p.getByTestId('admin-tab-items').tap();
    expect(await p.getByTestId('item-form').getByLabel('종류').locator('option').allTextContents()).toEqual(['소모품', '꾸미기']);
    await p.getByTestId(`edit-item-${TABLE_ITEM}`).tap();
    const dialog = p.getByTestId('item-edit-dialog');
    await dialog.getByRole('group', { name: '항목 1', exact: true }).getByText('확률 75%').waitFor();
    expect(await dialog.evaluate((d) => d.scrollWidth - d.clientWidth)).toBeLessThanOrEqual(0);
    expect(await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await h.shot(p, 'phone-item-edit-korean');
    await phone.close();
  });
});
