import { lazy, Suspense, useEffect } from 'react';
import { connectStream } from './api/stream';
import { Loading, Toasts } from './components/common';
import { navigate, useApp, useAppStore, usePath, useT } from './hooks';
import { AuthScreen } from './screens/auth/auth-screen';
import { DashboardScreen } from './screens/dashboard/dashboard-screen';
import { EventsScreen } from './screens/events/events-screen';
import { InventoryScreen } from './screens/inventory/inventory-screen';
import { MissionsScreen } from './screens/missions/missions-screen';
import { PlayScreen } from './screens/play/play-screen';
import { ProfileScreen } from './screens/profile/profile-screen';
import { RewardsScreen } from './screens/rewards/rewards-screen';
import { ShopScreen } from './screens/shop/shop-screen';
import type { Lang } from './store/types';

// The operator console and its charts load only when an operator opens them.
const AdminScreen = lazy(() => import('./screens/admin/admin-screen'));

const NAV = [
  ['/', 'nav.dashboard'],
  ['/events', 'nav.events'],
  ['/missions', 'nav.missions'],
  ['/play', 'nav.play'],
  ['/shop', 'nav.shop'],
  ['/inventory', 'nav.inventory'],
  ['/rewards', 'nav.rewards'],
  ['/profile', 'nav.profile'],
] as const;

export function App() {
  const store = useAppStore();
  const path = usePath();
  const t = useT();
  const user = useApp((s) => s.auth.user);
  const token = useApp((s) => s.auth.token);
  const lang = useApp((s) => s.ui.lang);
  const busy = useApp((s) => s.ui.networkBusy > 0);
  const setLang = useApp((s) => s.setLang);
  const logout = useApp((s) => s.logout);
  const restoreSession = useApp((s) => s.restoreSession);
  const fetchItemNames = useApp((s) => s.fetchItemNames);

  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  useEffect(() => {
    void restoreSession();
  }, [restoreSession]);
  // Item names, for bundles shown anywhere, once per login.
  useEffect(() => {
    if (user) void fetchItemNames();
  }, [user, fetchItemNames]);
  // Live updates for as long as someone is logged in.
  useEffect(() => {
    if (!user) return;
    const stream = connectStream(store);
    return () => stream.close();
  }, [user, store]);

  const loggedIn = token !== null;
  useEffect(() => {
    if (!loggedIn && path !== '/login' && path !== '/signup') navigate('/login');
    if (loggedIn && (path === '/login' || path === '/signup')) navigate('/');
  }, [loggedIn, path]);

  const langSwitch = (
    <label className="lang">
      <span className="sr-only">{t('lang.label')}</span>
      <select value={lang} onChange={(e) => setLang(e.target.value as Lang)} data-testid="lang" aria-label={t('lang.label')}>
        <option value="ko">한국어</option>
        <option value="en">English</option>
      </select>
    </label>
  );

  if (!loggedIn) {
    return (
      <>
        <header className="topbar">
          <strong>{t('app.title')}</strong>
          {langSwitch}
        </header>
        <AuthScreen mode={path === '/signup' ? 'signup' : 'login'} />
        <Toasts />
      </>
    );
  }
  if (!user) {
    return (
      <>
        <header className="topbar">
          <strong>{t('app.title')}</strong>
          {langSwitch}
        </header>
        <main className="main">
          <SessionRestore />
        </main>
        <Toasts />
      </>
    );
  }

  const screen = (() => {
    switch (path) {
      case '/events':
        return <EventsScreen />;
      case '/missions':
        return <MissionsScreen />;
      case '/play':
        return <PlayScreen />;
      case '/shop':
        return <ShopScreen />;
      case '/inventory':
        return <InventoryScreen />;
      case '/rewards':
        return <RewardsScreen />;
      case '/profile':
        return <ProfileScreen />;
      case '/admin':
        return user.role === 'admin' ? (
          <Suspense fallback={<Loading />}>
            <AdminScreen />
          </Suspense>
        ) : (
          <p role="alert">{t('errors.FORBIDDEN')}</p>
        );
      default:
        return <DashboardScreen />;
    }
  })();

  return (
    <>
      <header className="topbar">
        <strong>{t('app.title')}</strong>
        <span className={busy ? 'busy on' : 'busy'} aria-hidden="true" />
        {langSwitch}
        <button type="button" className="link" onClick={() => void logout()} data-testid="logout">
          {t('nav.logout')}
        </button>
      </header>
      <nav className="nav" aria-label="main">
        {NAV.map(([href, key]) => (
          <a
            key={href}
            href={href}
            aria-current={path === href ? 'page' : undefined}
            onClick={(e) => {
              e.preventDefault();
              navigate(href);
            }}
          >
            {t(key)}
          </a>
        ))}
        {user.role === 'admin' && (
          <a
            href="/admin"
            aria-current={path === '/admin' ? 'page' : undefined}
            onClick={(e) => {
              e.preventDefault();
              navigate('/admin');
            }}
          >
            {t('nav.admin')}
          </a>
        )}
      </nav>
      <main className="main">{screen}</main>
      <Toasts />
    </>
  );
}

/**
 * A reload's user check: "Loading…" while it waits for its first answer; once a try got none (a
 * deploy, the network), what went wrong, that it is tried again by itself, and a way to try now
 * or to log out instead.
 */
function SessionRestore() {
  const t = useT();
  const error = useApp((s) => s.auth.restoreError);
  const restoreSession = useApp((s) => s.restoreSession);
  const logout = useApp((s) => s.logout);
  if (!error) return <Loading />;
  return (
    <section className="card stack" data-testid="session-restore">
      <p role="alert">
        {t('auth.unreachable')} <span className="muted">{t(`errors.${error}`, { field: '' })}</span>
      </p>
      <div className="row">
        <button type="button" className="primary" onClick={() => void restoreSession()} data-testid="session-retry">
          {t('auth.retryNow')}
        </button>
        <button type="button" onClick={() => void logout()}>
          {t('nav.logout')}
        </button>
      </div>
    </section>
  );
}
