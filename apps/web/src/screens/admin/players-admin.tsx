import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { SuspendPlayerBodySchema, type AdminPlayer } from '@playloop/contracts';
import { newIdempotencyKey } from '../../api/client';
import { Empty, Loading, Section, fmtDate } from '../../components/common';
import { useApp, useAppStore, useT } from '../../hooks';
import { ProfileView } from '../profile/profile-view';
import { GrantLine } from '../rewards/grant-line';
import { DistributeAdmin } from './distribute-admin';
import { SchemaForm } from './form';
import { useSave } from './admin-shared';
import { usePages } from './use-pages';

/**
 * Players: find one by the start of a handle or nickname (or an id), open their profile as they
 * see it, send them a reward, suspend or reinstate them. Without a search the newest signups are
 * listed.
 */
export function PlayersAdmin() {
  const t = useT();
  const lang = useApp((s) => s.ui.lang);
  const { api } = useAppStore().deps;
  const toastError = useApp((s) => s.toastError);
  const [query, setQuery] = useState('');
  // The search the list shows, and a count of reads asked for (the same search again reads again).
  const [searched, setSearched] = useState({ q: '', reads: 0 });
  const [openId, setOpenId] = useState<string | null>(null);
  const [profile, setProfile] = useState<AdminPlayer | null>(null);
  // Bumped after a change made from the player's page, so the grants list reads again.
  const [changes, setChanges] = useState(0);

  const fetchPage = useCallback((before?: string) => api.admin.players(searched.q, before).then((r) => r.data), [api, searched.q]);
  const results = usePages(fetchPage, searched.reads);
  const search = (q: string) => setSearched((s) => ({ q, reads: s.reads + 1 }));

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
    const refresh = () => {
      void loadProfile(openId);
      setChanges((n) => n + 1);
      search(searched.q);
    };
    return (
      <div className="stack" data-testid="player-detail">
        <p>
          <button type="button" className="link" onClick={() => setOpenId(null)} data-testid="player-back">
            ← {t('admin.backToPlayers')}
          </button>
        </p>
        {/* A suspension is the first thing to know about a player; the form to suspend comes last. */}
        {profile?.suspension && <Suspension player={profile} onChange={refresh} />}
        {profile ? <ProfileView profile={profile} /> : <Loading />}
        <PlayerGrants userId={openId} changes={changes} />
        <DistributeAdmin userId={openId} onSent={refresh} />
        {profile && !profile.suspension && profile.user.role === 'player' && <Suspension player={profile} onChange={refresh} />}
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
      {!searched.q.trim() && <p className="muted">{t('admin.newestPlayers')}</p>}
      {results.items === null ? (
        <Loading />
      ) : results.items.length === 0 ? (
        <Empty />
      ) : (
        <ul className="list" data-testid="player-results">
          {results.items.map((p) => (
            <li key={p.user.id}>
              <button type="button" className="link" onClick={() => setOpenId(p.user.id)} data-testid={`player-${p.user.site_id}`}>
                {p.user.nickname} @{p.user.site_id}
              </button>{' '}
              <small>
                {t('dash.level', { level: p.level })} · 🪙 {p.balances.soft} · 💎 {p.balances.premium} · {t('admin.joined', { date: fmtDate(p.user.created_at, lang) })}
              </small>
              {p.user.role === 'admin' && <span className="badge">{t('admin.operatorBadge')}</span>}
              {p.suspension && <span className="badge warn">{t('admin.suspended')}</span>}
            </li>
          ))}
        </ul>
      )}
      {results.hasMore && (
        <button type="button" disabled={results.loading} onClick={results.more} data-testid="player-results-more">
          {t('admin.morePlayers')}
        </button>
      )}
    </Section>
  );
}

/** A player's standing: suspended since when and why, with a way back; or a form to suspend them. */
function Suspension({ player, onChange }: { player: AdminPlayer; onChange: () => void }) {
  const t = useT();
  const lang = useApp((s) => s.ui.lang);
  const { api } = useAppStore().deps;
  const toast = useApp((s) => s.toast);
  const toastError = useApp((s) => s.toastError);
  const save = useSave();
  const [busy, setBusy] = useState(false);
  const id = player.user.id;

  if (player.suspension) {
    const reinstate = async () => {
      setBusy(true);
      try {
        await api.admin.reinstatePlayer(id, newIdempotencyKey());
        toast('success', 'admin.reinstated');
        onChange();
      } catch (err) {
        toastError(err);
      } finally {
        setBusy(false);
      }
    };
    return (
      <section className="card warn" data-testid="player-suspension">
        <p>
          <strong>{t('admin.suspendedSince', { date: fmtDate(player.suspension.suspended_at, lang), by: player.suspension.by.site_id, reason: player.suspension.reason })}</strong>
        </p>
        <button type="button" disabled={busy} onClick={() => void reinstate()} data-testid="player-reinstate">
          {t('admin.reinstate')}
        </button>
      </section>
    );
  }
  return (
    <SchemaForm
      title={t('admin.suspendTitle')}
      testId="suspend-form"
      schema={SuspendPlayerBodySchema}
      initial={{ reason: '' }}
      fields={[{ name: 'reason', label: t('admin.reason'), required: true }]}
      toBody={(v) => ({ reason: v.reason ?? '' })}
      submitLabel={t('admin.suspend')}
      onSubmit={async (body) => {
        const result = await save(() => api.admin.suspendPlayer(id, body, newIdempotencyKey()));
        if (result === true) onChange();
        return result;
      }}
    >
      <p className="muted">{t('admin.suspendHint')}</p>
    </SchemaForm>
  );
}

/** Every reward the player was granted, newest first, 20 at a time (support: "where is my reward?"). */
function PlayerGrants({ userId, changes }: { userId: string; changes: number }) {
  const t = useT();
  const { api } = useAppStore().deps;
  const fetchPage = useCallback((before?: string) => api.admin.playerGrants(userId, before).then((r) => r.data), [api, userId]);
  const { items: grants, hasMore, loading, more } = usePages(fetchPage, changes);

  return (
    <Section title={t('admin.playerGrants')} testId="player-grants">
      {grants === null ? (
        <Loading />
      ) : grants.length === 0 ? (
        <Empty />
      ) : (
        <ul className="list">
          {grants.map((g) => (
            <GrantLine key={g.grant_id} grant={g} />
          ))}
        </ul>
      )}
      {hasMore && (
        <button type="button" disabled={loading} onClick={more} data-testid="player-grants-more">
          {t('rewards.more')}
        </button>
      )}
    </Section>
  );
}
