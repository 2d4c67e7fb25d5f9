import { useEffect, useRef } from 'react';
import { MAX_TABLE_ENTRIES, MAX_TABLE_WEIGHT } from '@playloop/contracts';
import { useApp, useT } from '../../hooks';
import { num, type FormSection } from './form';
import {
  ENTRY_FIELDS,
  addEntry,
  chancesOf,
  entryKey,
  entryRows,
  formatChance,
  hiddenItemsOf,
  removeEntry,
  totalWeight,
  type EntryField,
} from './loot-table';

const LABELS: Record<EntryField, string> = {
  weight: 'admin.tableWeight',
  reward_soft: 'admin.rewardSoft',
  reward_premium: 'admin.rewardPremium',
  reward_exp: 'admin.rewardExp',
  reward_item: 'admin.bundleItem',
  reward_item_qty: 'admin.rewardItemQty',
};

/**
 * The weighted-table editor of an item form (a SchemaForm section): one group per entry with its
 * weight, its chance and its bundle, a button to add an entry (up to MAX_TABLE_ENTRIES) and one to
 * remove each (the last stays). It edits the form's values under `table.<i>.<field>`; the form
 * checks the table with the contract's schema and shows each issue beside its entry's field.
 */
export function LootTableEditor({ form }: { form: FormSection }) {
  const t = useT();
  const lang = useApp((s) => s.ui.lang);
  const rows = entryRows(form.values);
  const weights = rows.map((row) => num(row.weight));
  const chances = chancesOf(weights);
  const id = form.idOf('table');
  const count = new Intl.NumberFormat(lang);

  // After an add or a remove, focus goes to an entry's weight (the button pressed may be gone),
  // selected so that typing replaces it.
  const focusEntry = useRef<number | null>(null);
  useEffect(() => {
    if (focusEntry.current === null) return;
    const weight = document.getElementById(form.idOf(entryKey(focusEntry.current, 'weight')));
    focusEntry.current = null;
    if (weight instanceof HTMLInputElement) {
      weight.focus();
      weight.select();
    }
  });
  const restructure = (change: (v: Record<string, string>) => Record<string, string>, focus: number) => {
    // Errors are keyed by entry index; once entries move they would sit on the wrong entry.
    form.clearErrors('table');
    form.update(change);
    focusEntry.current = focus;
  };

  return (
    <fieldset className="loot-table" data-testid={id} aria-describedby={`${id}-hint`}>
      <legend>{t('admin.opensMode.table')}</legend>
      <p className="muted" id={`${id}-hint`}>
        {t('admin.tableHint', { max: count.format(MAX_TABLE_WEIGHT) })}
      </p>
      <p data-testid={`${id}-summary`}>{t('admin.tableSummary', { n: rows.length, max: MAX_TABLE_ENTRIES, total: count.format(totalWeight(weights)) })}</p>
      <ol className="list">
        {rows.map((row, i) => {
          const entry = t('admin.tableEntry', { n: i + 1 });
          const bundleError = form.errors[entryKey(i, 'bundle')];
          const hidden = hiddenItemsOf(row).length;
          const chance = chances[i] ?? null;
          return (
            <li key={i}>
              <fieldset className="loot-entry" data-testid={`${id}-entry-${i}`}>
                <legend>{entry}</legend>
                <div className="progress">
                  <div className="progress-fill" style={{ width: `${(chance ?? 0) * 100}%` }} />
                  <span className="progress-text" data-testid={`${id}-chance-${i}`}>
                    {t('admin.tableChance', { p: formatChance(chance, lang) })}
                  </span>
                </div>
                <div className="grid-form">
                  {ENTRY_FIELDS.map((field) => {
                    const key = entryKey(i, field);
                    const inputId = form.idOf(key);
                    const error = form.errors[key];
                    return (
                      <label key={field} htmlFor={inputId}>
                        {t(LABELS[field])}
                        <input
                          id={inputId}
                          name={key}
                          type={field === 'reward_item' ? 'text' : 'number'}
                          {...(field === 'weight' ? { min: 1, max: MAX_TABLE_WEIGHT, step: 1 } : {})}
                          value={row[field] ?? ''}
                          aria-invalid={error ? true : undefined}
                          aria-describedby={error ? `${inputId}-err` : undefined}
                          onChange={(e) => {
                            const value = e.target.value;
                            form.update((v) => ({ ...v, [key]: value }));
                          }}
                        />
                        {error && (
                          <span id={`${inputId}-err`} className="field-error" role="alert">
                            {error}
                          </span>
                        )}
                      </label>
                    );
                  })}
                </div>
                {hidden > 0 && <p className="muted">{t('admin.tableMoreItems', { n: hidden })}</p>}
                {bundleError && (
                  <p className="field-error" role="alert">
                    {bundleError}
                  </p>
                )}
                <button
                  type="button"
                  disabled={rows.length <= 1}
                  aria-label={`${t('admin.tableRemove')}: ${entry}`}
                  onClick={() => restructure((v) => removeEntry(v, i), Math.min(i, rows.length - 2))}
                >
                  {t('admin.tableRemove')}
                </button>
              </fieldset>
            </li>
          );
        })}
      </ol>
      {form.errors.table && (
        <p className="field-error" role="alert">
          {form.errors.table}
        </p>
      )}
      <button type="button" disabled={rows.length >= MAX_TABLE_ENTRIES} onClick={() => restructure(addEntry, rows.length)}>
        {t('admin.tableAdd')}
      </button>
    </fieldset>
  );
}
