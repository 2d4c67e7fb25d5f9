import type { GameType, LuckyDiceOutcome, RewardBundle } from '@playloop/contracts';
import { rollLuckyDice } from './chance.ts';

interface GameTypeBase {
  gameType: string;
  name: string;
  /** Longest play a session may report; also when an untouched active session counts as abandoned. */
  maxDurationS: number;
  /** Shortest play a session may report. */
  minDurationS: number;
  /** Score worth one bonus exp on top of the base exp of a play (see `expForPlay`). */
  scorePerBonusExp: number;
}

/** A skill game: the client reports the score, the server bounds it by the duration. */
export interface ClientScoredGame extends GameTypeBase {
  scoring: 'client';
  maxScorePerSecond: number;
  /** Slack on top of rate × duration for timer edges (a hit landing as the clock runs out). */
  scoreAllowance: number;
  /** A play at or above this score counts as a win (the `wins` metric). */
  winScore: number;
}

/** What a server-scored game decides from the session's seed. */
export interface ServerPlay {
  score: number;
  won: boolean;
  outcome: LuckyDiceOutcome;
  /** Paid through the reward service with grant key `game:{session_id}`; null pays nothing. */
  payout: RewardBundle | null;
}

/** A chance game: the server derives the whole result from a seed drawn at start. */
export interface ServerScoredGame extends GameTypeBase {
  scoring: 'server';
  /**
   * Plays a player may be paid for per local day (RESET_TIMEZONE). A chance game pays from the
   * house on every winning roll, so without a cap it is a faucet a script can drain; past the
   * cap a roll still counts for events and missions, it just pays nothing.
   */
  paidPlaysPerDay: number;
  /** The highest score `play` can give (two dice: 12). */
  maxScore: number;
  play(seed: string): ServerPlay;
}

export type GameTypeDef = ClientScoredGame | ServerScoredGame;

/**
 * Every game type the server knows. `reaction`: targets appear one at a time; each hit scores
 * 10 plus up to 10 for speed, and nobody hits more than 5 a second, so at most 100 points a
 * second. `lucky_dice`: two dice rolled by the server; the total is the score and the payout
 * table in chance.ts pays soft currency.
 */
export const gameTypes: ReadonlyMap<string, GameTypeDef> = new Map<string, GameTypeDef>([
  [
    'reaction',
    {
      gameType: 'reaction',
      name: 'Reaction',
      scoring: 'client',
      maxDurationS: 120,
      minDurationS: 1,
      maxScorePerSecond: 100,
      scoreAllowance: 50,
      winScore: 500,
      scorePerBonusExp: 100,
    },
  ],
  [
    'lucky_dice',
    {
      gameType: 'lucky_dice',
      name: 'Lucky Dice',
      scoring: 'server',
      maxDurationS: 60,
      minDurationS: 0,
      scorePerBonusExp: 1,
      // About 28 % of rolls pay (≈ 8 soft a roll on average): 50 paid plays is ~180 rolls a day.
      paidPlaysPerDay: 50,
      maxScore: 12,
      play(seed) {
        const outcome = rollLuckyDice(seed);
        const payout = outcome.payout_soft > 0 ? { currencies: { soft: outcome.payout_soft } } : null;
        return { score: outcome.total, won: payout !== null, outcome, payout };
      },
    },
  ],
]);

/**
 * The highest score any play of the game type can count with: a client-scored game's rate over its
 * longest play plus the allowance (what plausibility accepts), a server-scored game's best result.
 */
export const highestScoreOf = (def: GameTypeDef): number =>
  def.scoring === 'client' ? Math.floor(def.maxScorePerSecond * def.maxDurationS) + def.scoreAllowance : def.maxScore;

/** The definition of a game type, or undefined if there is none by that name. */
export const getGameType = (gameType: string): GameTypeDef | undefined => gameTypes.get(gameType);

/** A game type's display name, or the type itself for one no longer defined (old sessions keep it). */
export const gameNameOf = (gameType: string): string => gameTypes.get(gameType)?.name ?? gameType;

/** The public description of a game type (`GET /api/game/types`). */
export function describeGameType(def: GameTypeDef): GameType {
  return {
    game_type: def.gameType,
    name: def.name,
    scoring: def.scoring,
    max_duration_s: def.maxDurationS,
    min_duration_s: def.minDurationS,
    max_score_per_second: def.scoring === 'client' ? def.maxScorePerSecond : null,
  };
}
