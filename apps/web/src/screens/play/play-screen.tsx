import { useCallback, useEffect } from 'react';
import type { EndSessionResponse } from '@playloop/contracts';
import { useGameName, useRewardText } from '../../components/common';
import { useApp, useT } from '../../hooks';
import { ReactionGame } from './reaction-game';

/** Both game types: 'reaction' (client-scored, played here) and 'lucky_dice' (the server rolls). */
export function PlayScreen() {
  const t = useT();
  const gameName = useGameName();
  const game = useApp((s) => s.game);
  // One selector per action: selecting the whole store would re-render on every write to it.
  const fetchGameTypes = useApp((s) => s.fetchGameTypes);
  const fetchEvents = useApp((s) => s.fetchEvents);
  const fetchMissions = useApp((s) => s.fetchMissions);
  const startGame = useApp((s) => s.startGame);
  const endGame = useApp((s) => s.endGame);
  const resetGame = useApp((s) => s.resetGame);
  // The reaction game's answer to its end: null tells it the game goes on (Finish again).
  const endReaction = useCallback((score: number, hits: number) => endGame(score, { hits }), [endGame]);
  useEffect(() => {
    void fetchGameTypes();
    // Titles for the progress a game makes.
    void fetchEvents();
    void fetchMissions();
  }, [fetchGameTypes, fetchEvents, fetchMissions]);

  const session = game.currentSession;
  const playing = game.status === 'playing' || game.status === 'ending';

  return (
    <div className="stack">
      <h1>{t('play.title')}</h1>
      {!playing && (
        <section className="card">
          <h2>{t('play.choose')}</h2>
          <div className="row wrap">
            {game.types.map((g) => (
              <button key={g.game_type} type="button" className="primary" disabled={game.status === 'starting'} onClick={() => void startGame(g.game_type)} data-testid={`start-${g.game_type}`}>
                {t('play.start')}: {gameName(g.game_type)}
              </button>
            ))}
          </div>
          <p className="muted">{t('play.reactionHelp')}</p>
          <p className="muted">{t('play.diceHelp')}</p>
        </section>
      )}
      {playing && session?.game_type === 'reaction' && (
        <section className="card">
          <ReactionGame key={session.session_id} onEnd={endReaction} />
        </section>
      )}
      {playing && session && session.game_type !== 'reaction' && (
        <section className="card">
          <p>{t('play.diceHelp')}</p>
          <button type="button" className="primary big" disabled={game.status === 'ending'} onClick={() => void endGame(undefined)} data-testid="roll">
            🎲 {t('play.roll')}
          </button>
        </section>
      )}
      {game.status === 'ended' && game.lastResult && <Result result={game.lastResult} onAgain={resetGame} />}
    </div>
  );
}

function Result({ result, onAgain }: { result: EndSessionResponse; onAgain: () => void }) {
  const t = useT();
  const rt = useRewardText();
  const events = useApp((s) => s.events.list);
  const missions = useApp((s) => s.events.missions);
  const titleOf = (kind: string, id: string) =>
    (kind === 'event' ? events.find((e) => e.id === id)?.title : [...missions.daily, ...missions.weekly].find((m) => m.id === id)?.title) ?? t(kind === 'event' ? 'nav.events' : 'nav.missions');
  const server = result.result;
  const dice = server?.outcome;
  // The dice line already says the coins it paid; the rest (if a payout ever gives more) is listed.
  const extraRewards = dice ? result.reward_items.filter((r) => !(r.type === 'currency' && r.currency === 'soft')) : result.reward_items;
  return (
    <section className="card result" data-testid="game-result" aria-live="polite">
      <h2>{t('play.result')}</h2>
      <p>
        <strong>{t('play.score', { score: result.session.score })}</strong> · {t('play.expGained', { exp: result.exp_gained })}
      </p>
      {dice && (
        <p data-testid="dice-result">
          <span className="dice">
            {dieFace(dice.dice[0])} {dieFace(dice.dice[1])}
          </span>{' '}
          {t('play.dice', { a: dice.dice[0], b: dice.dice[1], total: dice.total })} —{' '}
          {server?.daily_payout_limit_reached
            ? t('play.payoutLimit', { soft: dice.payout_soft })
            : (server?.paid_soft ?? 0) > 0
              ? t('play.payout', { soft: server?.paid_soft ?? 0 })
              : t('play.noPayout')}
        </p>
      )}
      {extraRewards.length > 0 && <p data-testid="reward-items">{rt.items(extraRewards)}</p>}
      {result.level_up && (
        <p className="level-up" data-testid="level-up">
          {t('play.levelUp', { level: result.level })}
        </p>
      )}
      {result.progress_updates.length > 0 && (
        <>
          <h3>{t('play.progressUpdates')}</h3>
          <ul className="list" data-testid="progress-updates">
            {result.progress_updates.map((u) => (
              <li key={`${u.kind}:${u.id}`}>
                {titleOf(u.kind, u.id)}: {u.progress} / {u.target} {u.completed ? '✓' : ''}
              </li>
            ))}
          </ul>
        </>
      )}
      <button type="button" onClick={onAgain} data-testid="play-again">
        {t('play.again')}
      </button>
    </section>
  );
}

const dieFace = (n: number) => ['⚀', '⚁', '⚂', '⚃', '⚄', '⚅'][n - 1] ?? String(n);
