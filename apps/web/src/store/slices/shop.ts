import type { ShopSlice, SliceCreator } from '../types';

/** The shop before its first answer, and again after a session ends (the catalog holds the player's counts). */
export const initialShopState: ShopSlice['shop'] = {
  catalog: null,
  purchasingSku: null,
  purchaseResult: null,
  inventory: null,
  itemNames: {},
  usingItem: null,
  useResult: null,
};

/** shop {catalog, purchasingSku, purchaseResult} and the inventory it fills. */
export const createShopSlice: SliceCreator<ShopSlice> = (set, get, { api, once, session }) => ({
  shop: initialShopState,

  async fetchCatalog() {
    const current = session.begin();
    try {
      const { data } = await api.catalog();
      if (current()) set((s) => ({ shop: { ...s.shop, catalog: data } }));
    } catch (err) {
      if (current()) get().toastError(err);
    }
  },

  purchase(skuId) {
    // One key per click: a double click joins the purchase in flight instead of buying twice.
    return once(`purchase:${skuId}`, async (key) => {
      set((s) => ({ shop: { ...s.shop, purchasingSku: skuId, purchaseResult: null } }));
      const current = session.begin();
      try {
        const { data } = await api.purchase(skuId, 1, key);
        if (!current()) return null;
        set((s) => ({
          shop: { ...s.shop, purchasingSku: null, purchaseResult: data },
          dashboard: { ...s.dashboard, currencies: data.balances },
        }));
        get().toast('success', 'toast.purchased');
        void get().fetchCatalog();
        void get().fetchInventory();
        void get().invalidateDashboard();
        return data;
      } catch (err) {
        if (!current()) return null;
        set((s) => ({ shop: { ...s.shop, purchasingSku: null } }));
        get().toastError(err);
        return null;
      }
    });
  },

  async fetchInventory() {
    const current = session.begin();
    try {
      const { data } = await api.inventory();
      if (current()) set((s) => ({ shop: { ...s.shop, inventory: data.items } }));
    } catch (err) {
      if (current()) get().toastError(err);
    }
  },

  async fetchItemNames() {
    try {
      const { data } = await api.itemCatalog();
      set((s) => ({ shop: { ...s.shop, itemNames: Object.fromEntries(data.items.map((i) => [i.item_id, i.name])) } }));
    } catch {
      // Names are a nicety on top of screens that work without them (ids show instead); a lost
      // session is already handled by the client.
    }
  },

  async useItem(itemId) {
    if (get().shop.usingItem) return;
    set((s) => ({ shop: { ...s.shop, usingItem: itemId, useResult: null } }));
    const current = session.begin();
    try {
      const { data } = await once(`use:${itemId}`, (key) => api.useItem(itemId, key));
      if (!current()) return;
      set((s) => ({
        shop: { ...s.shop, usingItem: null, useResult: { item_id: itemId, reward_items: data.reward_items } },
        dashboard: { ...s.dashboard, currencies: data.balances },
      }));
      void get().fetchInventory();
      void get().invalidateDashboard();
    } catch (err) {
      if (!current()) return;
      set((s) => ({ shop: { ...s.shop, usingItem: null } }));
      get().toastError(err);
    }
  },
});
