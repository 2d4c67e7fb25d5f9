import { MAX_TABLE_ENTRIES, MAX_TABLE_WEIGHT, type ItemOpens, type RewardBundle } from '@playloop/contracts';
import { bundleOf, bundleValues, num } from './form';

/** A weighted table as stored: each entry's weight and the bundle it gives. */
export type LootTable = Extract<ItemOpens, { table: unknown }>['table'];
type Values = Record<string, string>;
type BundleItem = { item_id: string; quantity: number };

/** The fields of one entry the editor shows: its weight and the bundle fields bundleOf reads. */
export const ENTRY_FIELDS = ['weight', 'reward_soft', 'reward_premium', 'reward_exp', 'reward_item', 'reward_item_qty'] as const;
export type EntryField = (typeof ENTRY_FIELDS)[number];
/**
 * The items of an entry after its first, as JSON: the form shows one item per entry (as the bundle
 * edit does), so the others pass through untouched rather than being dropped on save.
 */
const MORE_ITEMS = 'more_items';
const PREFIX = 'table.';

/** The form key of an entry's field: entry i lives under `table.<i>.<field>` in the form values. */
export const entryKey = (index: number, field: string) => `${PREFIX}${index}.${field}`;

/** The entries of the table in the form values, in order, each as its own field values. */
export function entryRows(v: Values): Values[] {
  const rows: Values[] = [];
  for (let i = 0; entryKey(i, 'weight') in v; i++) {
    rows.push(Object.fromEntries([...ENTRY_FIELDS, MORE_ITEMS].map((f) => [f, v[entryKey(i, f)] ?? ''])));
  }
  return rows;
}

/** The form values with `rows` as the table, in place of any table they held. */
export function withRows(v: Values, rows: Values[]): Values {
  const rest = Object.entries(v).filter(([k]) => !k.startsWith(PREFIX));
  const table = rows.flatMap((row, i) => [...ENTRY_FIELDS, MORE_ITEMS].map((f) => [entryKey(i, f), row[f] ?? '']));
  return Object.fromEntries([...rest, ...table]);
}

/** A bundle as form values: the fields bundleOf reads, and its items after the first as they are. */
function bundleFormValues(bundle: RewardBundle): Values {
  return { ...bundleValues(bundle), [MORE_ITEMS]: (bundle.items?.length ?? 0) > 1 ? JSON.stringify(bundle.items!.slice(1)) : '' };
}

/** The form values that show a stored table: each entry's weight and bundle fields, its further items kept. */
export function tableValues(table: LootTable): Values {
  return withRows(
    {},
    table.map((entry) => ({ weight: String(entry.weight), ...bundleFormValues(entry.bundle) })),
  );
}

/** The items of an entry (or of a fixed bundle in the form) the form does not show: kept as they are on save. */
export const hiddenItemsOf = (row: Values): BundleItem[] => (row[MORE_ITEMS] ? (JSON.parse(row[MORE_ITEMS]) as BundleItem[]) : []);

/** The two ways a consumable opens, as the form's `opens_mode` select names them. */
export const OPENS_MODES = ['bundle', 'table'] as const;
/** The form keys of a fixed bundle: the same as an entry's, without the weight. */
const BUNDLE_KEYS = [...ENTRY_FIELDS.filter((f) => f !== 'weight'), MORE_ITEMS];

/**
 * The form values that show stored contents: `opens_mode`, and the fixed bundle's fields at the
 * top level (its further items kept) or the table under `table.<i>.<field>`.
 */
export function opensValues(opens: ItemOpens): Values {
  return 'table' in opens ? { opens_mode: 'table', ...tableValues(opens.table) } : { opens_mode: 'bundle', ...bundleFormValues(opens.bundle) };
}

/** The contents the form values describe, in the mode `opens_mode` names: the inverse of opensValues. */
export function opensOf(v: Values) {
  return v.opens_mode === 'table' ? { table: tableOf(v) } : { bundle: bundleOf(v, hiddenItemsOf(v)) };
}

/**
 * The form values after the operator switches the contents to `mode`, carrying what the form
 * holds over: a fixed bundle becomes a one-entry table (weight 1) giving that bundle, and a table
 * becomes the fixed bundle of its first entry (the other entries are dropped). Items the form does
 * not show go along. Choosing the mode already shown changes nothing.
 */
export function withOpensMode(v: Values, mode: string): Values {
  if (mode === v.opens_mode) return v;
  const pick = (from: Values) => Object.fromEntries(BUNDLE_KEYS.map((k) => [k, from[k] ?? '']));
  if (mode === 'table') return withRows({ ...v, opens_mode: mode }, [{ weight: '1', ...pick(v) }]);
  const first = entryRows(v)[0] ?? {};
  return withRows({ ...v, opens_mode: mode, ...pick(first) }, []);
}

/**
 * The table the form values describe, the inverse of tableValues. Weights go as typed (an empty
 * one is left out) so the contract's schema, here and on the server, names what is wrong.
 */
export function tableOf(v: Values): { weight: number | undefined; bundle: ReturnType<typeof bundleOf> }[] {
  return entryRows(v).map((row) => ({ weight: num(row.weight), bundle: bundleOf(row, hiddenItemsOf(row)) }));
}

/** A new entry: weight 1 and nothing in its bundle yet (the schema asks for something). */
export function addEntry(v: Values): Values {
  const rows = entryRows(v);
  if (rows.length >= MAX_TABLE_ENTRIES) return v;
  return withRows(v, [...rows, { weight: '1' }]);
}

/** The table without entry `index`; the last entry stays, as a table needs one. */
export function removeEntry(v: Values, index: number): Values {
  const rows = entryRows(v);
  if (rows.length <= 1 || index < 0 || index >= rows.length) return v;
  return withRows(v, rows.filter((_, i) => i !== index));
}

const validWeight = (w: number | undefined): w is number => w !== undefined && Number.isInteger(w) && w >= 1 && w <= MAX_TABLE_WEIGHT;

/**
 * Each entry's chance of being drawn, as the server rolls it: weight / total (a fraction in
 * [0, 1]). An entry whose weight the server would refuse has no chance (null) and adds nothing
 * to the total.
 */
export function chancesOf(weights: (number | undefined)[]): (number | null)[] {
  const total = weights.reduce<number>((sum, w) => sum + (validWeight(w) ? w : 0), 0);
  return weights.map((w) => (validWeight(w) ? w / total : null));
}

/** The sum of the valid weights: the denominator of every chance. */
export const totalWeight = (weights: (number | undefined)[]) => weights.reduce<number>((sum, w) => sum + (validWeight(w) ? w : 0), 0);

/**
 * A chance as a percentage with up to two decimals. A chance that would round to 0% or 100% but
 * is not says so ("< 0.01%", "> 99.99%"): an operator must not read a rare entry as impossible.
 */
export function formatChance(chance: number | null, lang: string): string {
  if (chance === null) return '—';
  const pct = new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 2 });
  const step = 0.0001; // the smallest step two decimals of a percentage show
  if (chance > 0 && chance < step / 2) return `< ${pct.format(step)}`;
  if (chance < 1 && chance >= 1 - step / 2) return `> ${pct.format(1 - step)}`;
  return pct.format(chance);
}

/**
 * The form key an issue at `path` belongs to, for an issue inside the table: zod's
 * ['opens', 'table', 1, 'weight'] and the server's body.opens.table.1.bundle.currencies.soft both
 * land on the entry's field; an issue on a whole bundle lands on the entry (`table.<i>.bundle`),
 * one on the whole table on `table`. Other paths are not the table's (undefined).
 */
export function tableErrorKey(path: string[]): string | undefined {
  const at = path.indexOf('table');
  if (at < 0 || path[at - 1] !== 'opens') return undefined;
  const [index, part, ...rest] = path.slice(at + 1);
  if (index === undefined || !/^\d+$/.test(index)) return 'table';
  const i = Number(index);
  if (part === 'weight') return entryKey(i, 'weight');
  if (part !== 'bundle') return entryKey(i, 'bundle');
  const [group, key, field] = rest;
  if (group === 'currencies' && key === 'soft') return entryKey(i, 'reward_soft');
  if (group === 'currencies' && key === 'premium') return entryKey(i, 'reward_premium');
  if (group === 'exp') return entryKey(i, 'reward_exp');
  if (group === 'items' && key === '0') return entryKey(i, field === 'quantity' ? 'reward_item_qty' : 'reward_item');
  return entryKey(i, 'bundle');
}
