import { describe, expect, it } from 'vitest';
import { CreateItemBodySchema, MAX_TABLE_ENTRIES, UpdateItemBodySchema } from '@playloop/contracts';
import { changesOf, closestIssues } from './form';
import {
  addEntry,
  chancesOf,
  entryKey,
  entryRows,
  formatChance,
  opensOf,
  opensValues,
  removeEntry,
  tableErrorKey,
  tableOf,
  tableValues,
  totalWeight,
  withOpensMode,
  type LootTable,
} from './loot-table';

const TABLE: LootTable = [
  { weight: 70, bundle: { currencies: { soft: 100 } } },
  { weight: 25, bundle: { currencies: { soft: 5, premium: 2 }, exp: 30 } },
  // Three items: the form shows the first, the other two must survive a save.
  { weight: 5, bundle: { items: [{ item_id: 'gem_shard', quantity: 3 }, { item_id: 'frame_gold', quantity: 1 }, { item_id: 'ticket', quantity: 2 }] } },
];

describe('table form values', () => {
  it('turn a stored table into form values and back unchanged, items beyond the first included', () => {
    const values = tableValues(TABLE);
    expect(values[entryKey(2, 'reward_item')]).toBe('gem_shard');
    expect(values[entryKey(2, 'reward_item_qty')]).toBe('3');
    expect(values[entryKey(1, 'reward_premium')]).toBe('2');
    expect(tableOf(values)).toEqual(TABLE);
    expect(UpdateItemBodySchema.parse({ opens: { table: tableOf(values) } })).toEqual({ opens: { table: TABLE } });
  });

  it('keep the hidden items of an entry when its shown fields change', () => {
    const values = { ...tableValues(TABLE), [entryKey(2, 'weight')]: '9', [entryKey(2, 'reward_item_qty')]: '4' };
    expect(tableOf(values)[2]).toEqual({
      weight: 9,
      bundle: { items: [{ item_id: 'gem_shard', quantity: 4 }, { item_id: 'frame_gold', quantity: 1 }, { item_id: 'ticket', quantity: 2 }] },
    });
  });

  it('leave the form values outside the table alone', () => {
    const values = { name: 'Chest', reward_soft: '7', ...tableValues(TABLE) };
    const removed = removeEntry(values, 0);
    expect(removed.name).toBe('Chest');
    expect(removed.reward_soft).toBe('7');
    expect(tableOf(removed)).toEqual(TABLE.slice(1));
  });

  it('send an edited table as a change and an untouched one not at all', () => {
    const initial = { name: 'Chest', ...tableValues(TABLE) };
    const toBody = (v: Record<string, string>) => ({ name: v.name, opens: { table: tableOf(v) } });
    expect(changesOf(toBody(initial), toBody({ ...initial, name: 'Big chest' }))).toEqual({ name: 'Big chest' });
    const edited = { ...initial, [entryKey(0, 'weight')]: '60' };
    expect(changesOf(toBody(initial), toBody(edited))).toEqual({ opens: { table: [{ ...TABLE[0], weight: 60 }, TABLE[1], TABLE[2]] } });
  });

  it('add a blank entry of weight 1 at the end, up to MAX_TABLE_ENTRIES', () => {
    const added = addEntry(tableValues(TABLE));
    expect(entryRows(added)).toHaveLength(4);
    expect(tableOf(added)[3]).toEqual({ weight: 1, bundle: {} });
    const full = tableValues(Array.from({ length: MAX_TABLE_ENTRIES }, () => TABLE[0]!));
    expect(addEntry(full)).toBe(full);
  });

  it('remove the chosen entry and move the later ones up, but never the last one', () => {
    const removed = removeEntry(tableValues(TABLE), 1);
    expect(tableOf(removed)).toEqual([TABLE[0], TABLE[2]]);
    expect(entryKey(2, 'weight') in removed).toBe(false);
    const one = tableValues([TABLE[0]!]);
    expect(removeEntry(one, 0)).toBe(one);
    expect(removeEntry(tableValues(TABLE), 3)).toEqual(tableValues(TABLE));
  });

  it.each([
    { typed: { [entryKey(1, 'weight')]: '0' }, keys: [entryKey(1, 'weight')] },
    { typed: { [entryKey(0, 'weight')]: '1000001', [entryKey(2, 'reward_item_qty')]: '-1' }, keys: [entryKey(0, 'weight'), entryKey(2, 'reward_item_qty')] },
    // A missing or fractional weight fails the union as a whole; the form still names the field.
    { typed: { [entryKey(0, 'weight')]: '' }, keys: [entryKey(0, 'weight')] },
    { typed: { [entryKey(2, 'weight')]: '1.5' }, keys: [entryKey(2, 'weight')] },
    { typed: { [entryKey(1, 'reward_soft')]: '', [entryKey(1, 'reward_premium')]: '', [entryKey(1, 'reward_exp')]: '' }, keys: [entryKey(1, 'bundle')] },
  ])('pass what the operator typed on to the schema, which names the field: $keys', ({ typed, keys }) => {
    const values = { ...tableValues(TABLE), ...typed };
    const parsed = CreateItemBodySchema.safeParse({ item_id: 'chest', name: 'Chest', kind: 'consumable', opens: { table: tableOf(values) } });
    expect(parsed.success).toBe(false);
    expect(closestIssues(parsed.error!.issues).map((i) => tableErrorKey(i.path))).toEqual(keys);
  });
});

describe('contents form values', () => {
  // Two items: the form shows the first, the second must survive a save and a switch.
  const BUNDLE = { currencies: { soft: 40 }, exp: 7, items: [{ item_id: 'gem_shard', quantity: 2 }, { item_id: 'frame_gold', quantity: 1 }] };

  it.each([{ opens: { bundle: BUNDLE } }, { opens: { table: TABLE } }])('show stored contents and read them back unchanged: $opens', ({ opens }) => {
    const values = opensValues(opens);
    expect(values.opens_mode).toBe('bundle' in opens ? 'bundle' : 'table');
    expect(opensOf(values)).toEqual(opens);
    expect(UpdateItemBodySchema.parse({ opens: opensOf(values) })).toEqual({ opens });
  });

  it('turn a fixed bundle into a one-entry table of weight 1 giving it, edits included', () => {
    const values = { name: 'Chest', ...opensValues({ bundle: BUNDLE }), reward_premium: '3' };
    const switched = withOpensMode(values, 'table');
    expect(switched.opens_mode).toBe('table');
    expect(switched.name).toBe('Chest');
    expect(entryRows(switched)).toHaveLength(1);
    const bundle = { ...BUNDLE, currencies: { soft: 40, premium: 3 } };
    expect(opensOf(switched)).toEqual({ table: [{ weight: 1, bundle }] });
  });

  it('turn a table into the fixed bundle of its first entry, with no table left behind', () => {
    const table = [{ weight: 5, bundle: BUNDLE }, ...TABLE];
    const switched = withOpensMode({ name: 'Chest', ...opensValues({ table }) }, 'bundle');
    expect(switched.opens_mode).toBe('bundle');
    expect(switched.name).toBe('Chest');
    expect(opensOf(switched)).toEqual({ bundle: BUNDLE });
    expect(Object.keys(switched).filter((k) => k.startsWith('table.'))).toEqual([]);
  });

  it('clear the bundle fields the first entry leaves empty', () => {
    const switched = withOpensMode({ ...opensValues({ bundle: BUNDLE }), ...tableValues([{ weight: 2, bundle: { exp: 9 } }]), opens_mode: 'table' }, 'bundle');
    expect(opensOf(switched)).toEqual({ bundle: { exp: 9 } });
  });

  it('change nothing when the mode shown is chosen again', () => {
    const values = opensValues({ table: TABLE });
    expect(withOpensMode(values, 'table')).toBe(values);
  });

  it('send contents switched there and back unchanged not at all, and switched contents whole', () => {
    const initial = { name: 'Chest', ...opensValues({ bundle: BUNDLE }) };
    const toBody = (v: Record<string, string>) => ({ name: v.name, opens: opensOf(v) });
    const there = withOpensMode(initial, 'table');
    expect(changesOf(toBody(initial), toBody(withOpensMode(there, 'bundle')))).toEqual({});
    expect(changesOf(toBody(initial), toBody(there))).toEqual({ opens: { table: [{ weight: 1, bundle: BUNDLE }] } });
  });
});

describe('chances', () => {
  it.each([
    { weights: [1, 1], chances: [0.5, 0.5] },
    { weights: [70, 25, 5], chances: [0.7, 0.25, 0.05] },
    { weights: [3], chances: [1] },
    // An entry the server would refuse has no chance and adds nothing to the total.
    { weights: [3, 0, 1], chances: [0.75, null, 0.25] },
    { weights: [3, undefined, 1.5, -2, 1], chances: [0.75, null, null, null, 0.25] },
    { weights: [1_000_001, 1], chances: [null, 1] },
  ])('of weights $weights are $chances', ({ weights, chances }) => {
    expect(chancesOf(weights)).toEqual(chances);
  });

  it('sum to the total of the valid weights', () => {
    expect(totalWeight([70, 25, 5])).toBe(100);
    expect(totalWeight([3, 0, undefined, 1])).toBe(4);
  });

  it.each([
    { chance: 0.5, lang: 'en', text: '50%' },
    { chance: 1 / 3, lang: 'en', text: '33.33%' },
    { chance: 2 / 3, lang: 'ko', text: '66.67%' },
    { chance: 1, lang: 'en', text: '100%' },
    { chance: 0.00005, lang: 'en', text: '0.01%' },
    // Rare and near-certain entries never read as impossible or certain.
    { chance: 1 / 1_000_001, lang: 'en', text: '< 0.01%' },
    { chance: 1_000_000 / 1_000_001, lang: 'en', text: '> 99.99%' },
    { chance: null, lang: 'en', text: '—' },
  ])('$chance shows as $text', ({ chance, lang, text }) => {
    expect(formatChance(chance, lang)).toBe(text);
  });
});

describe('table error keys', () => {
  it.each([
    { path: ['opens', 'table', '1', 'weight'], key: entryKey(1, 'weight') },
    { path: ['opens', 'table', '0', 'bundle'], key: entryKey(0, 'bundle') },
    { path: ['opens', 'table', '2', 'bundle', 'currencies', 'soft'], key: entryKey(2, 'reward_soft') },
    { path: ['opens', 'table', '2', 'bundle', 'currencies', 'premium'], key: entryKey(2, 'reward_premium') },
    { path: ['opens', 'table', '2', 'bundle', 'exp'], key: entryKey(2, 'reward_exp') },
    { path: ['opens', 'table', '3', 'bundle', 'items', '0', 'item_id'], key: entryKey(3, 'reward_item') },
    { path: ['opens', 'table', '3', 'bundle', 'items', '0', 'quantity'], key: entryKey(3, 'reward_item_qty') },
    // An item the form does not show, or an unknown key, is the entry's.
    { path: ['opens', 'table', '3', 'bundle', 'items', '1', 'quantity'], key: entryKey(3, 'bundle') },
    { path: ['opens', 'table', '4', 'chance'], key: entryKey(4, 'bundle') },
    { path: ['opens', 'table'], key: 'table' },
    { path: ['opens'], key: undefined },
    { path: ['name'], key: undefined },
    { path: ['reward_bundle', 'items', '0', 'item_id'], key: undefined },
  ])('$path → $key', ({ path, key }) => {
    expect(tableErrorKey(path)).toBe(key);
  });
});
