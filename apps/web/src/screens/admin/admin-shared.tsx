/** What the operator console's tabs share: list loading, saving, the edit dialog and common form fields. */
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { MetricSchema } from '@playloop/contracts';
import { ApiError } from '../../api/client';
import { fieldNote } from '../../components/field-label';
import { useApp, useT } from '../../hooks';
import { num, type FieldSpec, type SubmitResult } from './form';
import { OPENS_MODES } from './loot-table';

/** Metrics an event or mission can track, for the rules fields of their forms. */
const METRICS = MetricSchema.options;

/** The metric select of an event or mission form: the metrics in words, their ids as values. */
export const metricField = (t: (k: string) => string): FieldSpec => ({
  name: 'metric',
  label: t('admin.metric'),
  type: 'select',
  options: METRICS,
  optionLabel: (o) => t(`admin.metric.${o}`),
});

/** A rule as a list row says it: "Games played ≥ 3". */
export const ruleText = (t: (k: string, vars?: Record<string, string | number>) => string, rules: { metric: string; target: number }) =>
  t('admin.rule', { metric: t(`admin.metric.${rules.metric}`), target: rules.target });

/** Loads a list through the store's client; reload() after a save. */
export function useList<T>(load: () => Promise<{ data: { items: T[] } }>) {
  const toastError = useApp((s) => s.toastError);
  const [items, setItems] = useState<T[] | null>(null);
  const reload = useCallback(() => {
    load().then(
      (r) => setItems(r.data.items),
      (err: unknown) => {
        setItems([]);
        toastError(err);
      },
    );
  }, [load, toastError]);
  useEffect(reload, [reload]);
  return { items, reload };
}

/** Runs a save: a toast either way, and a refusal handed back to the form to show beside its fields. */
export function useSave() {
  const t = useT();
  const toast = useApp((s) => s.toast);
  const toastError = useApp((s) => s.toastError);
  return async (run: () => Promise<unknown>): Promise<SubmitResult> => {
    try {
      await run();
      toast('success', 'admin.saved');
      return true;
    } catch (err) {
      toastError(err);
      const code = err instanceof ApiError ? err.code : 'NETWORK';
      const fields = err instanceof ApiError ? err.fields : [];
      return { message: t(`errors.${code}`, { field: fieldNote(t, fields) }), fields };
    }
  };
}

/** Saves, then on success closes the edit dialog and reloads the list. */
export function useSaveEdit(reload: () => void) {
  const save = useSave();
  const closeModal = useApp((s) => s.closeModal);
  return async (run: () => Promise<unknown>): Promise<SubmitResult> => {
    const result = await save(run);
    if (result === true) {
      closeModal();
      reload();
    }
    return result;
  };
}

/** The item of `items` the store's ui.modal names for editing (`edit-<kind>`, vars.id), if any. */
export function useEditing<T>(kind: string, items: T[] | null, idOf: (item: T) => string): T | undefined {
  const modal = useApp((s) => s.ui.modal);
  if (modal?.key !== `edit-${kind}`) return undefined;
  return items?.find((item) => idOf(item) === modal.vars?.id);
}

/**
 * The edit dialog: a native modal <dialog>, so the page behind is inert, Tab stays inside, Escape
 * closes it (through the store, which owns ui.modal) and focus returns to the button that opened it.
 */
export function EditDialog({ label, testId, children }: { label: string; testId: string; children: ReactNode }) {
  const closeModal = useApp((s) => s.closeModal);
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (dialog && !dialog.open) dialog.showModal();
    return () => {
      if (dialog?.open) dialog.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      className="modal"
      aria-label={label}
      data-testid={testId}
      onCancel={(e) => {
        e.preventDefault();
        closeModal();
      }}
    >
      {children}
    </dialog>
  );
}

/** The Cancel button of an edit form. */
export function CancelEdit() {
  const t = useT();
  const closeModal = useApp((s) => s.closeModal);
  return (
    <button type="button" onClick={closeModal}>
      {t('common.cancel')}
    </button>
  );
}

/** The Edit button of a list row; it names what it edits for screen readers. */
export function EditButton({ kind, id, name }: { kind: string; id: string; name: string }) {
  const t = useT();
  const openModal = useApp((s) => s.openModal);
  return (
    <button type="button" aria-label={`${t('common.edit')}: ${name}`} data-testid={`edit-${kind}-${id}`} onClick={() => openModal(`edit-${kind}`, { id })}>
      {t('common.edit')}
    </button>
  );
}

export const rewardFields = (t: (k: string) => string) => [
  { name: 'reward_soft', label: t('admin.rewardSoft'), type: 'number' as const },
  { name: 'reward_premium', label: t('admin.rewardPremium'), type: 'number' as const },
  { name: 'reward_exp', label: t('admin.rewardExp'), type: 'number' as const },
  { name: 'reward_item', label: t('admin.bundleItem') },
];
/** What a consumable opens, a fixed bundle or a weighted table (create and edit forms). */
export const opensModeField = (t: (k: string) => string): FieldSpec => ({
  name: 'opens_mode',
  label: t('admin.opensMode'),
  type: 'select',
  options: OPENS_MODES,
  optionLabel: (o) => t(`admin.opensMode.${o}`),
});
/** An edit form also shows the quantity of the bundle's item. */
export const rewardEditFields = (t: (k: string) => string) => [...rewardFields(t), { name: 'reward_item_qty', label: t('admin.rewardItemQty'), type: 'number' as const }];

/** Rules from a form: the stored rules with the form's metric, target and game type (min_score etc. kept). */
export function rulesOf<R extends { metric: string; target: number; game_type?: string | undefined }>(stored: R, v: Record<string, string>) {
  const { game_type: _gameType, ...rest } = stored;
  return { ...rest, metric: v.metric, target: num(v.target), ...(v.game_type?.trim() ? { game_type: v.game_type.trim() } : {}) };
}
