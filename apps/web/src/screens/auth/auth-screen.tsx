import { useState, type FormEvent } from 'react';
import { navigate, useApp, useT } from '../../hooks';

/** Signup and login in one form; the mode follows the path. */
export function AuthScreen({ mode }: { mode: 'login' | 'signup' }) {
  const t = useT();
  const loading = useApp((s) => s.auth.loading);
  const login = useApp((s) => s.login);
  const signup = useApp((s) => s.signup);
  const [siteId, setSiteId] = useState('');
  const [nickname, setNickname] = useState('');
  const [password, setPassword] = useState('');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const ok = mode === 'signup' ? await signup(siteId.trim(), nickname.trim(), password) : await login(siteId.trim(), password);
    if (ok) navigate('/');
  };

  return (
    <main className="auth">
      <h1>{t('app.title')}</h1>
      <form className="card form" onSubmit={submit} aria-label={t(mode === 'signup' ? 'auth.signup' : 'auth.login')}>
        <h2>{t(mode === 'signup' ? 'auth.signup' : 'auth.login')}</h2>
        <label>
          {t('auth.siteId')}
          <input name="site_id" autoComplete="username" required minLength={3} maxLength={32} pattern={mode === 'signup' ? '[a-z0-9_]{3,32}' : undefined} value={siteId} onChange={(e) => setSiteId(e.target.value)} aria-describedby="site-id-hint" />
          {mode === 'signup' && <small id="site-id-hint">{t('auth.siteIdHint')}</small>}
        </label>
        {mode === 'signup' && (
          <label>
            {t('auth.nickname')}
            <input name="nickname" required maxLength={32} value={nickname} onChange={(e) => setNickname(e.target.value)} />
          </label>
        )}
        <label>
          {t('auth.password')}
          <input name="password" type="password" autoComplete={mode === 'signup' ? 'new-password' : 'current-password'} required minLength={mode === 'signup' ? 8 : 1} value={password} onChange={(e) => setPassword(e.target.value)} />
          {mode === 'signup' && <small>{t('auth.passwordHint')}</small>}
        </label>
        <button type="submit" className="primary" disabled={loading}>
          {t(mode === 'signup' ? 'auth.signup' : 'auth.login')}
        </button>
        <button type="button" className="link" onClick={() => navigate(mode === 'signup' ? '/login' : '/signup')}>
          {t(mode === 'signup' ? 'auth.toLogin' : 'auth.toSignup')}
        </button>
      </form>
    </main>
  );
}
