import { useEffect, useState } from 'react';
import { Empty, Loading, fmtDate, useRewardText } from '../../components/common';
import { useApp, useT } from '../../hooks';

/** Regular and limited tabs; stock, per-user limits and the end date shown; one purchase per click. */
export function ShopScreen() {
  const t = useT();
  const lang = useApp((s) => s.ui.lang);
  const shop = useApp((s) => s.shop);
  const currencies = useApp((s) => s.dashboard.currencies);
  const fetchCatalog = useApp((s) => s.fetchCatalog);
  const purchase = useApp((s) => s.purchase);
  const fetchDashboard = useApp((s) => s.fetchDashboard);
  const [tab, setTab] = useState<'regular' | 'limited'>('regular');
  const rt = useRewardText();
  useEffect(() => {
    void fetchCatalog();
    void fetchDashboard();
  }, [fetchCatalog, fetchDashboard]);

  if (!shop.catalog) return <Loading />;
  const items = shop.catalog[tab];
  return (
    <div className="stack">
      <h1>{t('shop.title')}</h1>
      {currencies && (
        <p className="balances">
          <span data-testid="balance-soft">🪙 {currencies.soft}</span> <span>💎 {currencies.premium}</span>
        </p>
      )}
      <div role="tablist" className="tabs" aria-label={t('shop.title')}>
        {(['regular', 'limited'] as const).map((k) => (
          <button key={k} type="button" role="tab" aria-selected={tab === k} className={tab === k ? 'active' : ''} onClick={() => setTab(k)} data-testid={`tab-${k}`}>
            {t(`shop.${k}`)}
          </button>
        ))}
      </div>
      <div role="tabpanel">
        {items.length === 0 && <Empty />}
        {items.map((s) => {
          const limitReached = s.per_user_limit !== null && s.purchased_count >= s.per_user_limit;
          const soldOut = s.stock_remaining !== null && s.stock_remaining <= 0;
          // Said before the click rather than after a refusal; the server still decides (402).
          const short = currencies !== null && currencies[s.currency_type] < s.price;
          return (
            <article key={s.sku_id} className="card" data-testid={`sku-${s.sku_id}`}>
              <h2>{s.name}</h2>
              {s.description && <p>{s.description}</p>}
              <p className="muted">{rt.bundle(s.bundle)}</p>
              <p>
                <strong>{t('shop.price', { price: s.price, currency: t(s.currency_type === 'soft' ? 'dash.soft' : 'dash.premium') })}</strong>
                {s.stock_remaining !== null && <span className="badge">{t('shop.stock', { n: s.stock_remaining })}</span>}
                {s.per_user_limit !== null && <span className="badge">{t('shop.limit', { bought: s.purchased_count, limit: s.per_user_limit })}</span>}
                {s.available_until && <span className="badge">{t('shop.until', { date: fmtDate(s.available_until, lang) })}</span>}
              </p>
              <button type="button" className="primary" disabled={shop.purchasingSku === s.sku_id || soldOut || limitReached || short} onClick={() => void purchase(s.sku_id)} data-testid={`buy-${s.sku_id}`}>
                {soldOut
                  ? t('errors.SOLD_OUT')
                  : limitReached
                    ? t('errors.PURCHASE_LIMIT_REACHED')
                    : short
                      ? t(s.currency_type === 'soft' ? 'shop.notEnoughSoft' : 'shop.notEnoughPremium')
                      : t('shop.buy')}
              </button>
            </article>
          );
        })}
      </div>
    </div>
  );
}
