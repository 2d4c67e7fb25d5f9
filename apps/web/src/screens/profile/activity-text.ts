import type { ActivityEntry, RewardItem } from '@playloop/contracts';
import { gameNameIn } from '../../components/game-name';
import type { Translate } from '../../components/reward-text';

/**
 * One line of the activity feed in the reader's language, from the entry's `detail` (its
 * `summary` is English only). Rewards are said as everywhere else (`useRewardText().items`).
 */
export function describeActivity(entry: ActivityEntry, t: Translate, rewards: (items: RewardItem[]) => string): string {
  switch (entry.type) {
    case 'claim': {
      const { source, title, reward_items } = entry.detail;
      return t(`activity.claim.${source}`, { title: title ?? '', rewards: rewards(reward_items) });
    }
    case 'grant': {
      const { source, title, reward_items } = entry.detail;
      // An operator's grant is titled with the reason given, if any.
      const key = source === 'operator' && title ? 'activity.grant.operatorWithReason' : `activity.grant.${source}`;
      return t(key, { title: title ?? '', rewards: rewards(reward_items) });
    }
    case 'purchase': {
      const { sku_name, quantity, total_price, currency_type } = entry.detail;
      return t('activity.purchase', { sku: sku_name, n: quantity, price: t(`reward.${currency_type}`, { n: total_price }) });
    }
    case 'session': {
      const { game_type, game_name, score, duration } = entry.detail;
      return t('activity.session', { game: gameNameIn(t, game_type, game_name), score, seconds: Math.floor(duration) });
    }
  }
}
