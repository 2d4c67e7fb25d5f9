import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { PlayerSummary, Profile } from '@playloop/contracts';
import { Empty, Loading, Section, fmtDate } from '../../components/common';
import { useApp, useAppStore, useT } from '../../hooks';
import { ProfileView } from '../profile/profile-view';
import { DistributeAdmin } from './distribute-admin';

/**
 * Players: find one by the start of a handle or nickname (or an id), open their profile as they
 * see it, and send them a reward. Without a search the newest signups are listed.
 */
export function PlayersAdmin() {
  const t = useT();
  const lang = useApp((s) => s.ui.lang);
  const { api } = useAppStore().deps;
  const toastError = useApp((s) => s.toastError);
  const [query, setQuery] = useState('');
  const [items, setItems] = useState<PlayerSummary[] | null>(null);
  const [openId, setOpenId] = useState<string | null>(null);
  const [profile, setProfile] = useState<Profile | null>(null);

  const search = useCallback(
    (q: string) => {
      setItems(null);
      api.admin.players(q).then(
        (r) => setItems(r.data.items),
        (err: unknown) => {
          setItems([]);
          toastError(err);
        },
      );
    },
    [api, toastError],
  );
  useEffect(() => search(''), [search]);

  const loadProfile = useCallback(
    (id: string) => api.admin.player(id).then((r) => setProfile(r.data), toastError),
    [api, toastError],
  );
  useEffect(() => {
    setProfile(null);
    if (openId) void loadProfile(openId);
  }, [openId, loadProfile]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setOpenId(null);
    search(query);
  };

  if (openId) {
    return (
      <div className="stack" data-testid="player-detail">
        <p>
          <button type="button" className="link" onClick={() => setOpenId(null)} data-testid="player-back">
            ← {t('admin.backToPlayers')}
          </button>
        </p>
        {profile ? <ProfileView profile={profile} /> : <Loading />}
        <DistributeAdmin
          userId={openId}
          onSent={() => {
            void loadProfile(openId);
            search(query);
          }}
        />
      </div>
    );
  }

  return (
    <Section title={t('admin.players')} testId="players">
      <form role="search" className="row wrap" onSubmit={submit}>
        <input
          type="search"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          placeholder={t('admin.playerSearch')}
          aria-label={t('admin.playerSearch')}
          maxLength={64}
          data-testid="player-search"
        />
        <button type="submit" className="primary">
          {t('admin.search')}
        </button>
      </form>
      {!query.trim() && <p className="muted">{t('admin.newestPlayers')}</p>}
      {items === null ? (
        <Loading />
      ) : items.length === 0 ? (
        <Empty />
      ) : (
        <ul className="list" data-testid="player-results">
          {items.map((p) => (
            <li key={p.user.id}>
              <button type="button" className="link" onClick={() => setOpenId(p.user.id)} data-testid={`player-${p.user.site_id}`}>
                {p.user.nickname} @{p.user.site_id}
              </button>{' '}
              <small>
                {t('dash.level', { level: p.level })} · 🪙 {p.balances.soft} · 💎 {p.balances.premium} · {t('admin.joined', { date: fmtDate(p.user.created_at, lang) })}
              </small>
              {p.user.role === 'admin' && <span className="badge">{t('admin.operatorBadge')}</span>}
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}
