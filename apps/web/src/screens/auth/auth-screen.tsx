import { useState, type FormEvent } from 'react';
import { SignupBodySchema } from '@playloop/contracts';
import { navigate, useApp, useT } from '../../hooks';
import { issueText } from '../admin/field-errors';

type Field = 'site_id' | 'nickname' | 'password';

/** Signup and login in one form; the mode follows the path. */
export function AuthScreen({ mode }: { mode: 'login' | 'signup' }) {
  const t = useT();
  const loading = useApp((s) => s.auth.loading);
  const login = useApp((s) => s.login);
  const signup = useApp((s) => s.signup);
  const [siteId, setSiteId] = useState('');
  const [nickname, setNickname] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    // Site ids are lowercase only, and a phone capitalises the first letter typed: the handle is
    // the same whatever case it was typed in.
    const handle = siteId.trim().toLowerCase();
    if (mode === 'login') {
      if (await login(handle, password)) navigate('/');
      return;
    }
    // The contract's own check before sending (a nickname of spaces, say), said beside its field
    // in the UI's language; the server checks again.
    const parsed = SignupBodySchema.safeParse({ site_id: handle, nickname, password }, { reportInput: true });
    if (!parsed.success) {
      const next: Partial<Record<Field, string>> = {};
      for (const issue of parsed.error.issues) next[issue.path[0] as Field] ??= issueText(t, issue);
      setErrors(next);
      return;
    }
    setErrors({});
    if (await signup(parsed.data.site_id, parsed.data.nickname, parsed.data.password)) navigate('/');
  };

  /** The attributes that tie a field to the check's message about it, if any. */
  const described = (field: Field, hint?: string) => {
    const ids = [hint, errors[field] ? `${field}-err` : undefined].filter(Boolean).join(' ');
    return { 'aria-invalid': errors[field] ? true : undefined, 'aria-describedby': ids || undefined };
  };
  const errorOf = (field: Field) =>
    errors[field] && (
      <span id={`${field}-err`} className="field-error" role="alert">
        {errors[field]}
      </span>
    );

  return (
    <main className="auth">
      <h1>{t('app.title')}</h1>
      <form className="card form" onSubmit={submit} aria-label={t(mode === 'signup' ? 'auth.signup' : 'auth.login')}>
        <h2>{t(mode === 'signup' ? 'auth.signup' : 'auth.login')}</h2>
        <label>
          {t('auth.siteId')}
          {/* Capitals are allowed in: the handle is sent lowercased. */}
          <input
            name="site_id"
            autoComplete="username"
            autoCapitalize="none"
            autoCorrect="off"
            spellCheck={false}
            required
            minLength={3}
            maxLength={32}
            pattern={mode === 'signup' ? '[A-Za-z0-9_]{3,32}' : undefined}
            value={siteId}
            onChange={(e) => setSiteId(e.target.value)}
            {...described('site_id', mode === 'signup' ? 'site-id-hint' : undefined)}
          />
          {mode === 'signup' && <small id="site-id-hint">{t('auth.siteIdHint')}</small>}
          {errorOf('site_id')}
        </label>
        {mode === 'signup' && (
          <label>
            {t('auth.nickname')}
            <input name="nickname" required maxLength={32} value={nickname} onChange={(e) => setNickname(e.target.value)} {...described('nickname')} />
            {errorOf('nickname')}
          </label>
        )}
        <label>
          {t('auth.password')}
          <input name="password" type="password" autoComplete={mode === 'signup' ? 'new-password' : 'current-password'} required minLength={mode === 'signup' ? 8 : 1} value={password} onChange={(e) => setPassword(e.target.value)} {...described('password')} />
          {mode === 'signup' && <small>{t('auth.passwordHint')}</small>}
          {errorOf('password')}
        </label>
        <button type="submit" className="primary" disabled={loading}>
          {t(mode === 'signup' ? 'auth.signup' : 'auth.login')}
        </button>
        <button
          type="button"
          className="link"
          onClick={() => {
            setErrors({});
            navigate(mode === 'signup' ? '/login' : '/signup');
          }}
        >
          {t(mode === 'signup' ? 'auth.toLogin' : 'auth.toSignup')}
        </button>
      </form>
    </main>
  );
}
