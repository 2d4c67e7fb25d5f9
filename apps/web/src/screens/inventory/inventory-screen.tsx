import { useEffect } from 'react';
import { Empty, Loading, useRewardText } from '../../components/common';
import { useApp, useT } from '../../hooks';

/** Held items; a consumable opens on the server and shows what it gave. */
export function InventoryScreen() {
  const t = useT();
  const shop = useApp((s) => s.shop);
  const fetchInventory = useApp((s) => s.fetchInventory);
  const useItem = useApp((s) => s.useItem);
  const rt = useRewardText();
  useEffect(() => {
    void fetchInventory();
  }, [fetchInventory]);

  if (!shop.inventory) return <Loading />;
  return (
    <div className="stack">
      <h1>{t('inventory.title')}</h1>
      {shop.useResult && (
        <p className="card success" data-testid="use-result" aria-live="polite">
          {t('inventory.gave', { reward: rt.items(shop.useResult.reward_items) })}
        </p>
      )}
      {shop.inventory.length === 0 && <Empty />}
      <ul className="list">
        {shop.inventory.map((i) => (
          <li key={i.item_id} className="card row spread" data-testid={`item-${i.item_id}`}>
            <span>
              {i.name} {t('inventory.qty', { n: i.quantity })}
            </span>
            {i.kind === 'consumable' ? (
              <button type="button" className="primary" disabled={shop.usingItem !== null || i.quantity < 1} onClick={() => void useItem(i.item_id)} data-testid={`use-${i.item_id}`}>
                {t('inventory.use')}
              </button>
            ) : (
              <span className="badge">{t('inventory.cosmetic')}</span>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
