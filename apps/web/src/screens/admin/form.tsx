import { useState, type FormEvent, type ReactNode } from 'react';
import type { z } from 'zod';
import { useT } from '../../hooks';

export interface FieldSpec {
  name: string;
  label: string;
  type?: 'text' | 'number' | 'datetime-local' | 'select';
  options?: readonly string[];
  required?: boolean;
}

/**
 * A validated operator form: builds the body from the fields, checks it with the contract's zod
 * schema before sending (the server checks again) and shows each issue beside its field.
 */
export function SchemaForm<S extends z.ZodType>({
  title,
  fields,
  initial,
  schema,
  toBody,
  onSubmit,
  testId,
  children,
}: {
  title: string;
  fields: FieldSpec[];
  initial: Record<string, string>;
  schema: S;
  toBody: (v: Record<string, string>) => unknown;
  onSubmit: (body: z.infer<S>) => Promise<boolean>;
  testId: string;
  children?: ReactNode;
}) {
  const t = useT();
  const [values, setValues] = useState(initial);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [sending, setSending] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const parsed = schema.safeParse(toBody(values));
    if (!parsed.success) {
      const next: Record<string, string> = {};
      for (const issue of parsed.error.issues) {
        const path = issue.path.map(String);
        // Map nested paths (rules.target, reward_bundle) to the form field that feeds them.
        const field = fields.find((f) => path.includes(f.name) || path.join('.') === f.name)?.name ?? path[path.length - 1] ?? fields[0]!.name;
        next[field] ??= issue.message;
      }
      setErrors(next);
      return;
    }
    setErrors({});
    setSending(true);
    const ok = await onSubmit(parsed.data);
    setSending(false);
    if (ok) setValues(initial);
  };

  return (
    <form className="card" onSubmit={submit} noValidate data-testid={testId} aria-label={title}>
      <h3>{title}</h3>
      <div className="grid-form">
        {fields.map((f) => {
          const id = `${testId}-${f.name}`;
          const err = errors[f.name];
          const common = {
            id,
            name: f.name,
            value: values[f.name] ?? '',
            'aria-invalid': err ? true : undefined,
            'aria-describedby': err ? `${id}-err` : undefined,
            onChange: (e: { target: { value: string } }) => setValues((v) => ({ ...v, [f.name]: e.target.value })),
          };
          return (
            <label key={f.name} htmlFor={id}>
              {f.label}
              {f.type === 'select' ? (
                <select {...common}>
                  {f.options?.map((o) => (
                    <option key={o} value={o}>
                      {o}
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
      {Object.keys(errors).length > 0 && <p className="field-error">{t('admin.invalid')}</p>}
      {children}
      <button type="submit" className="primary" disabled={sending}>
        {t('common.save')}
      </button>
    </form>
  );
}

/** Numbers from text inputs: empty stays undefined so optional fields stay absent. */
export const num = (s: string | undefined) => (s === undefined || s.trim() === '' ? undefined : Number(s));

/** A reward bundle from the soft/premium/exp/item fields of a form. */
export function bundleOf(v: Record<string, string>) {
  const soft = num(v.reward_soft);
  const premium = num(v.reward_premium);
  const exp = num(v.reward_exp);
  const item = v.reward_item?.trim();
  return {
    ...(soft || premium ? { currencies: { ...(soft ? { soft } : {}), ...(premium ? { premium } : {}) } } : {}),
    ...(exp ? { exp } : {}),
    ...(item ? { items: [{ item_id: item, quantity: 1 }] } : {}),
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
