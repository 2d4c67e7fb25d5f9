import type { ActivityEntry, RewardItem } from '@playloop/contracts';
import { describe, expect, it } from 'vitest';
import { rewardText } from '../../components/reward-text';
import { translate } from '../../i18n';
import type { Lang } from '../../store/types';
import { describeActivity } from './activity-text';

const at = '2026-11-29T10:00:00.000Z';
const coins = (amount: number): RewardItem => ({ type: 'currency', currency: 'soft', amount });
const entries: ActivityEntry[] = [
  { type: 'grant', at, summary: 'Welcome bonus: 1000 soft', detail: { source: 'signup', title: 'Welcome bonus', reward_items: [coins(1000)] } },
  { type: 'claim', at, summary: '', detail: { source: 'event', title: 'First win', reward_items: [coins(200), { type: 'exp', amount: 5 }] } },
  { type: 'claim', at, summary: '', detail: { source: 'mission', title: 'Daily play', reward_items: [coins(50)] } },
  { type: 'grant', at, summary: '', detail: { source: 'operator', title: 'gift 25', reward_items: [{ type: 'currency', currency: 'premium', amount: 25 }] } },
  { type: 'grant', at, summary: '', detail: { source: 'operator', title: null, reward_items: [coins(5)] } },
  { type: 'grant', at, summary: '', detail: { source: 'item', title: 'Bronze chest', reward_items: [{ type: 'item', item_id: 'gold_frame', quantity: 1 }] } },
  { type: 'grant', at, summary: '', detail: { source: 'game', title: 'Lucky Dice', reward_items: [coins(30)] } },
  { type: 'purchase', at, summary: '', detail: { sku_name: 'Coin pouch', quantity: 2, total_price: 40, currency_type: 'premium' } },
  { type: 'session', at, summary: '', detail: { game_type: 'reaction', game_name: 'Reaction', score: 500, duration: 29.7 } },
];

const lines = (lang: Lang) => {
  const t = (key: string, vars?: Record<string, string | number>) => translate(lang, key, vars);
  // No item names known: items by id.
  const { items } = rewardText(t, {});
  return entries.map((e) => describeActivity(e, t, items));
};

describe('the activity feed in words', () => {
  it('says every kind of entry in English from its detail', () => {
    expect(lines('en')).toEqual([
      'Welcome bonus: 1000 coins',
      'Claimed event "First win": 200 coins, 5 EXP',
      'Claimed mission "Daily play": 50 coins',
      'From the operators (gift 25): 25 gems',
      'From the operators: 5 coins',
      'Opened Bronze chest: gold_frame × 1',
      'Lucky Dice payout: 30 coins',
      'Bought Coin pouch × 2 for 40 gems',
      'Played Reaction: 500 points in 29 s',
    ]);
  });

  it('says them in Korean, with no English word of its own', () => {
    expect(lines('ko')).toEqual([
      '가입 보너스: 코인 1000',
      '이벤트 "First win" 보상 수령: 코인 200, 경험치 5',
      '미션 "Daily play" 보상 수령: 코인 50',
      '운영자 지급 (gift 25): 젬 25',
      '운영자 지급: 코인 5',
      'Bronze chest 개봉: gold_frame × 1',
      'Lucky Dice 보상: 코인 30',
      'Coin pouch × 2 구매 (젬 40)',
      '반응 속도 플레이: 500점, 29초',
    ]);
  });

  it('says a game type the UI does not know by the name the server gave', () => {
    const t = (key: string, vars?: Record<string, string | number>) => translate('ko', key, vars);
    const session: ActivityEntry = { type: 'session', at, summary: '', detail: { game_type: 'snake', game_name: 'Snake', score: 3, duration: 10 } };
    expect(describeActivity(session, t, rewardText(t, {}).items)).toBe('Snake 플레이: 3점, 10초');
  });

  it('names every game type in both languages', () => {
    for (const type of ['reaction', 'lucky_dice']) {
      expect(translate('en', `game.${type}`)).not.toBe(`game.${type}`);
      expect(translate('ko', `game.${type}`)).not.toMatch(/[a-z]/i);
    }
  });

  it('names every tier in both languages', () => {
    for (const tier of ['bronze', 'silver', 'gold', 'platinum', 'diamond']) {
      expect(translate('en', `tier.${tier}`)).not.toBe(`tier.${tier}`);
      expect(translate('ko', `tier.${tier}`)).not.toMatch(/[a-z]/);
    }
  });
});
