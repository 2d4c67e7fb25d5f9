import type { Translate } from './reward-text';

/**
 * The message key of the label each request field goes by in the forms (the player's signup and
 * login, the operator's console), by the field's name. Labels that explain themselves in
 * parentheses ("Stock (empty = unlimited)") are left out: they would not read inside a sentence.
 */
const FIELD_LABELS = new Map<string, string>([
  ['site_id', 'auth.siteId'],
  ['nickname', 'auth.nickname'],
  ['password', 'auth.password'],
  ['key', 'admin.key'],
  ['title', 'admin.titleField'],
  ['description', 'admin.description'],
  ['type', 'admin.type'],
  ['starts_at', 'admin.startsAt'],
  ['ends_at', 'admin.endsAt'],
  ['metric', 'admin.metric'],
  ['target', 'admin.target'],
  ['period', 'admin.period'],
  ['sku_id', 'admin.skuId'],
  ['name', 'admin.name'],
  ['price', 'admin.price'],
  ['currency_type', 'admin.currency'],
  ['segment', 'admin.segment'],
  ['item_id', 'admin.itemId'],
  ['kind', 'admin.kind'],
  ['reason', 'admin.reason'],
  ['weight', 'admin.tableWeight'],
]);

/**
 * The label of the field a refusal names (`body.nickname`, `body.rules.target`,
 * `body.opens.table.0.weight`) by its last named part, in the UI's language; null for a field the
 * UI has no words for, so a request path is never shown to a person.
 */
export function fieldLabel(t: Translate, path: string): string | null {
  const name = path
    .split('.')
    .filter((part) => part !== '' && !/^\d+$/.test(part))
    .at(-1);
  const key = name === undefined ? undefined : FIELD_LABELS.get(name);
  return key ? t(key) : null;
}

/** The `{field}` of an error message (`errors.VALIDATION_FAILED`): " (Nickname)" for the first field named, else nothing. */
export function fieldNote(t: Translate, fields: readonly { field: string }[]): string {
  const label = fields[0] ? fieldLabel(t, fields[0].field) : null;
  return label ? ` (${label})` : '';
}
