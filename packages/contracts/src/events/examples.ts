import type { EnvelopeEventType, EnvelopePayload } from './envelope.ts';

/** One valid payload per event type: documentation, and fixtures for the tests of every consumer. */
export const examplePayloads: { [T in EnvelopeEventType]: EnvelopePayload<T> } = {
  'user.signup': { site_id: 'mina_01' },
  'user.login': { site_id: 'mina_01' },
  'event.participate': { event_id: '6f1c2b1e-8a4f-4c3e-9a57-1d2e3f4a5b6c', event_key: 'weekend_rush', target: 5 },
  'event.progress': {
    event_id: '6f1c2b1e-8a4f-4c3e-9a57-1d2e3f4a5b6c',
    metric: 'games_played',
    delta: 1,
    progress: 3,
    target: 5,
    completed: false,
    progress_version: 3,
  },
  'event.claim': {
    event_id: '6f1c2b1e-8a4f-4c3e-9a57-1d2e3f4a5b6c',
    grant_id: '0b9f6a52-3c1d-4e7f-8a90-b1c2d3e4f5a6',
    reward_items: [{ type: 'currency', currency: 'soft', amount: 500 }],
  },
  'mission.progress': {
    mission_id: '2d4e6f80-1a2b-4c3d-8e9f-a0b1c2d3e4f5',
    period_key: '2026-11-28',
    metric: 'score_total',
    delta: 120,
    progress: 420,
    target: 1000,
    completed: false,
    progress_version: 4,
  },
  'mission.claim': {
    mission_id: '2d4e6f80-1a2b-4c3d-8e9f-a0b1c2d3e4f5',
    period_key: '2026-W48',
    grant_id: '9e8d7c6b-5a49-4382-a716-0f1e2d3c4b5a',
    reward_items: [{ type: 'exp', amount: 50 }],
  },
  'game.session.start': { session_id: 'c3d4e5f6-a7b8-4c9d-8e0f-112233445566', game_type: 'tap_rush' },
  'game.session.end': {
    session_id: 'c3d4e5f6-a7b8-4c9d-8e0f-112233445566',
    game_type: 'tap_rush',
    score: 1280,
    duration: 45,
    exp_gained: 30,
    level: 2,
    level_up: true,
  },
  'reward.granted': {
    grant_id: '0b9f6a52-3c1d-4e7f-8a90-b1c2d3e4f5a6',
    grant_key: 'signup:user:5b0c7a1e-2f3d-4b5c-9d6e-7f8091a2b3c4',
    source: 'signup',
    source_id: null,
    reward_items: [
      { type: 'currency', currency: 'soft', amount: 1000 },
      { type: 'item', item_id: 'starter_box', quantity: 1 },
    ],
  },
  'shop.purchase.succeeded': {
    purchase_id: 'f0e1d2c3-b4a5-4968-8776-655443322110',
    sku_id: 'gem_pack_small',
    quantity: 2,
    price: 150,
    total_price: 300,
    currency_type: 'soft',
  },
  'shop.purchase.failed': {
    purchase_id: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
    sku_id: 'limited_bundle',
    quantity: 1,
    total_price: 900,
    currency_type: 'premium',
    failure_code: 'INSUFFICIENT_FUNDS',
  },
};
