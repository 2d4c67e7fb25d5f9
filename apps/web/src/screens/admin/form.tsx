import { useState, type FormEvent, type ReactNode } from 'react';
import type { FieldError, RewardBundle } from '@playloop/contracts';
import type { z } from 'zod';
import { useT } from '../../hooks';
import { issueText, serverFieldText, type FormIssue } from './field-errors';

export interface FieldSpec {
  name: string;
  label: string;
  /** checkbox values are the strings 'true' and 'false'. */
  type?: 'text' | 'number' | 'datetime-local' | 'select' | 'checkbox';
  options?: readonly string[];
  /** The text shown for a select option; the option itself when absent. */
  optionLabel?: (option: string) => string;
  /**
   * The values after the operator sets this field to `value`, for a field that reshapes others (a
   * mode whose fields take over what the old mode's held); only this field changes when absent.
   */
  change?: (values: Record<string, string>, value: string) => Record<string, string>;
  required?: boolean;
}

/**
 * What a form section outside the field grid (the loot-table editor) works with: the form's
 * values, a way to change them, and the errors that landed on its keys.
 */
export interface FormSection {
  values: Record<string, string>;
  /** Replaces the values; a section may add and drop keys of its own. */
  update: (change: (values: Record<string, string>) => Record<string, string>) => void;
  errors: Record<string, string>;
  /** Forgets the errors on keys starting with `prefix`: after rows move, they would sit on the wrong row. */
  clearErrors: (prefix: string) => void;
  /** The element id of a key, in the same scheme as the grid's fields. */
  idOf: (key: string) => string;
}

/** What a submit came to: saved, failed (already told), or refused with a message and field errors to show. */
export type SubmitResult = boolean | { message: string; fields: FieldError[] };

/**
 * The top-level fields of `after` that differ from `before` (compared as JSON): a partial change
 * sends only what the operator edited, so a field the form cannot show exactly (seconds of a
 * date, a second bundle item) is never rewritten by accident.
 */
export function changesOf(before: unknown, after: unknown): Record<string, unknown> {
  if (typeof before !== 'object' || before === null || typeof after !== 'object' || after === null) return {};
  const was = before as Record<string, unknown>;
  return Object.fromEntries(Object.entries(after).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(was[k])));
}

interface Issue extends FormIssue {
  path: PropertyKey[];
  errors?: Issue[][];
}

/**
 * The issues of a failed parse with paths as strings, each union failure replaced by the issues of
 * the branch that came closest (whose issues reach deepest into the input): a table entry with a
 * missing weight is refused on that weight, not as "invalid input" on the whole of `opens`.
 */
export function closestIssues(issues: readonly Issue[], prefix: string[] = []): (FormIssue & { path: string[] })[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path.map(String)];
    if (issue.code !== 'invalid_union' || !issue.errors?.length) {
      const { errors: _branches, ...rest } = issue;
      return [{ ...rest, path }];
    }
    const depth = (branch: Issue[]) => Math.max(0, ...branch.map((i) => i.path.length));
    const closest = issue.errors.reduce((best, branch) => (depth(branch) > depth(best) ? branch : best));
    return closestIssues(closest, path);
  });
}

/**
 * A validated operator form: builds the body from the fields, checks it with the contract's zod
 * schema before sending (the server checks again) and shows each issue beside its field, the
 * server's field errors included. With `partial`, the body holds only the fields that changed
 * from `initial` (a PATCH). `fields` may depend on the values (a field shown only for some kinds);
 * `section` renders inputs the grid cannot (a table of rows), with `errorKeyOf` naming the value
 * key an issue's path belongs to.
 */
export function SchemaForm<S extends z.ZodType>({
  title,
  fields,
  initial,
  schema,
  toBody,
  onSubmit,
  testId,
  partial = false,
  section,
  errorKeyOf,
  children,
  submitLabel,
}: {
  title: string;
  fields: FieldSpec[] | ((values: Record<string, string>) => FieldSpec[]);
  initial: Record<string, string>;
  schema: S;
  toBody: (v: Record<string, string>) => unknown;
  onSubmit: (body: z.infer<S>) => Promise<SubmitResult>;
  testId: string;
  partial?: boolean;
  section?: (form: FormSection) => ReactNode;
  errorKeyOf?: (path: string[]) => string | undefined;
  children?: ReactNode;
  /** The submit button's text (default: Save). */
  submitLabel?: string;
}) {
  const t = useT();
  const [values, setValues] = useState(initial);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const shown = typeof fields === 'function' ? fields(values) : fields;

  // Map a path (zod's rules.target, the server's body.stock) to the form field that feeds it.
  const fieldOf = (path: string[]) =>
    errorKeyOf?.(path) ??
    shown.find((f) => path.includes(f.name) || path.join('.') === f.name)?.name ??
    path[path.length - 1] ??
    shown[0]!.name;
  const showErrors = (issues: { path: string[]; message: string }[]) => {
    const next: Record<string, string> = {};
    for (const issue of issues) next[fieldOf(issue.path)] ??= issue.message;
    setErrors(next);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setFormError(null);
    const body = partial ? changesOf(toBody(initial), toBody(values)) : toBody(values);
    // With its input, an issue tells a value left out (required) from one of the wrong type.
    const parsed = schema.safeParse(body, { reportInput: true });
    if (!parsed.success) {
      // Said in the UI's language from each issue's code and bounds, never zod's English.
      showErrors(closestIssues(parsed.error.issues).map((issue) => ({ path: issue.path, message: issueText(t, issue) })));
      return;
    }
    setErrors({});
    setSending(true);
    const result = await onSubmit(parsed.data);
    setSending(false);
    if (result === true) setValues(initial);
    else if (result !== false) {
      setFormError(result.message);
      showErrors(result.fields.map((f) => ({ path: f.field.replace(/^body\.?/, '').split('.').filter(Boolean), message: serverFieldText(t, f.message) })));
    }
  };

  return (
    <form className="card" onSubmit={submit} noValidate data-testid={testId} aria-label={title}>
      <h3>{title}</h3>
      <div className="grid-form">
        {shown.map((f) => {
          const id = `${testId}-${f.name}`;
          const err = errors[f.name];
          const common = {
            id,
            name: f.name,
            value: values[f.name] ?? '',
            'aria-invalid': err ? true : undefined,
            'aria-describedby': err ? `${id}-err` : undefined,
            onChange: (e: { target: { value: string } }) => {
              const { value } = e.target;
              const { change } = f;
              if (!change) return setValues((v) => ({ ...v, [f.name]: value }));
              // The fields the shown errors were on may be gone or hold other values now.
              setErrors({});
              setValues((v) => change(v, value));
            },
          };
          if (f.type === 'checkbox') {
            return (
              <label key={f.name} htmlFor={id} className="check">
                <input
                  id={id}
                  name={f.name}
                  type="checkbox"
                  checked={values[f.name] === 'true'}
                  aria-invalid={err ? true : undefined}
                  aria-describedby={err ? `${id}-err` : undefined}
                  onChange={(e) => setValues((v) => ({ ...v, [f.name]: String(e.target.checked) }))}
                />
                {f.label}
                {err && (
                  <span id={`${id}-err`} className="field-error" role="alert">
                    {err}
                  </span>
                )}
              </label>
            );
          }
          return (
            <label key={f.name} htmlFor={id}>
              {f.label}
              {f.type === 'select' ? (
                <select {...common}>
                  {f.options?.map((o) => (
                    <option key={o} value={o}>
                      {f.optionLabel ? f.optionLabel(o) : o}
                    </option>
                  ))}
                </select>
              ) : (
                <input {...common} type={f.type ?? 'text'} required={f.required} />
              )}
              {err && (
                <span id={`${id}-err`} className="field-error" role="alert">
                  {err}
                </span>
              )}
            </label>
          );
        })}
      </div>
      {section?.({
        values,
        update: setValues,
        errors,
        clearErrors: (prefix) => setErrors((e) => Object.fromEntries(Object.entries(e).filter(([k]) => !k.startsWith(prefix)))),
        idOf: (key) => `${testId}-${key}`,
      })}
      {formError && (
        <p className="field-error" role="alert" data-testid={`${testId}-error`}>
          {formError}
        </p>
      )}
      {!formError && Object.keys(errors).length > 0 && <p className="field-error">{t('admin.invalid')}</p>}
      {children}
      <button type="submit" className="primary" disabled={sending}>
        {submitLabel ?? t('common.save')}
      </button>
    </form>
  );
}

/** Numbers from text inputs: empty stays undefined so optional fields stay absent. */
export const num = (s: string | undefined) => (s === undefined || s.trim() === '' ? undefined : Number(s));

/**
 * A reward bundle from the soft/premium/exp/item fields of a form (item quantity from
 * reward_item_qty, 1 when the form has none). `moreItems` are kept after the form's one item:
 * an edit form shows the first item of a bundle and leaves the others as they were.
 */
export function bundleOf(v: Record<string, string>, moreItems: { item_id: string; quantity: number }[] = []) {
  const soft = num(v.reward_soft);
  const premium = num(v.reward_premium);
  const exp = num(v.reward_exp);
  const item = v.reward_item?.trim();
  const items = [...(item ? [{ item_id: item, quantity: num(v.reward_item_qty) ?? 1 }] : []), ...moreItems];
  return {
    ...(soft || premium ? { currencies: { ...(soft ? { soft } : {}), ...(premium ? { premium } : {}) } } : {}),
    ...(exp ? { exp } : {}),
    ...(items.length > 0 ? { items } : {}),
  };
}

/** The form values that show a bundle: the inverse of bundleOf for its first item. */
export function bundleValues(b: RewardBundle): Record<string, string> {
  const str = (n: number | undefined) => (n === undefined ? '' : String(n));
  return {
    reward_soft: str(b.currencies?.soft),
    reward_premium: str(b.currencies?.premium),
    reward_exp: str(b.exp),
    reward_item: b.items?.[0]?.item_id ?? '',
    reward_item_qty: str(b.items?.[0]?.quantity),
  };
}

/** A datetime-local value to ISO 8601 UTC; invalid input passes through so the schema names it. */
export function isoOf(local: string | undefined) {
  if (!local) return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? local : d.toISOString();
}

export function localOf(date: Date) {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}T${p(date.getHours())}:${p(date.getMinutes())}`;
}
