import type { RewardBundle, RewardItem } from '@playloop/contracts';

/** What `useT()` returns: a message key and its variables, in the UI's language. */
export type Translate = (key: string, vars?: Record<string, string | number>) => string;

/** Bundles and granted items in words, items by the names the operator gave them (`names`), else by id. */
export function rewardText(t: Translate, names: Readonly<Record<string, string>>) {
  const item = (i: { item_id: string; quantity: number }) => t('reward.item', { item: names[i.item_id] ?? i.item_id, n: i.quantity });
  return {
    bundle(b: RewardBundle) {
      const parts: string[] = [];
      if (b.currencies?.soft) parts.push(t('reward.soft', { n: b.currencies.soft }));
      if (b.currencies?.premium) parts.push(t('reward.premium', { n: b.currencies.premium }));
      if (b.exp) parts.push(t('reward.exp', { n: b.exp }));
      for (const i of b.items ?? []) parts.push(item(i));
      return parts.join(', ');
    },
    items(items: RewardItem[]) {
      return items
        .map((i) =>
          i.type === 'currency' ? t(`reward.${i.currency}`, { n: i.amount }) : i.type === 'exp' ? t('reward.exp', { n: i.amount }) : item(i),
        )
        .join(', ');
    },
  };
}
