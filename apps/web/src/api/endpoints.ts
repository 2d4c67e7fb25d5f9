import {
  AdminEventListResponseSchema,
  AdminEventSchema,
  AdminMissionListResponseSchema,
  AdminMissionSchema,
  AdminPlayerSchema,
  AdminSkuListResponseSchema,
  AdminSkuSchema,
  AuthResponseSchema,
  CatalogResponseSchema,
  DashboardResponseSchema,
  DistributeResponseSchema,
  EndSessionResponseSchema,
  EventClaimResponseSchema,
  EventListResponseSchema,
  GameSessionListSchema,
  GameTypesResponseSchema,
  InventoryResponseSchema,
  ItemCatalogResponseSchema,
  ItemListResponseSchema,
  ItemSchema,
  KpisResponseSchema,
  MeResponseSchema,
  MissionClaimResponseSchema,
  MissionsResponseSchema,
  ParticipationSchema,
  PendingRewardsResponseSchema,
  PipelineResponseSchema,
  PlayerSearchResponseSchema,
  PlayerSummarySchema,
  ProfileResponseSchema,
  PurchaseResponseSchema,
  RewardHistoryResponseSchema,
  StartSessionResponseSchema,
  UseItemResponseSchema,
  type CreateEventBody,
  type CreateItemBody,
  type CreateMissionBody,
  type CreateSkuBody,
  type EndSessionBody,
  type EventProgressBody,
  type LoginBody,
  type RewardBundle,
  type SuspendPlayerBody,
  type SignupBody,
  type UpdateEventBody,
  type UpdateItemBody,
  type UpdateMissionBody,
  type UpdateSkuBody,
} from '@playloop/contracts';
import { z } from 'zod';
import type { ApiClient } from './client';

const NoContent = z.unknown();
const enc = encodeURIComponent;

/** Every route the web app calls, typed by the contracts; mutating calls take the action's idempotency key. */
export function endpoints(client: ApiClient) {
  const r = client.request;
  return {
    signup: (body: SignupBody, key: string) =>
      r('POST', '/api/auth/signup', { schema: AuthResponseSchema, body, auth: false, idempotencyKey: key }),
    login: (body: LoginBody) => r('POST', '/api/auth/login', { schema: AuthResponseSchema, body, auth: false }),
    logout: (refresh: string | undefined) =>
      r('POST', '/api/auth/logout', { schema: NoContent, body: refresh ? { refresh_token: refresh } : {} }),
    me: () => r('GET', '/api/auth/me', { schema: MeResponseSchema }),

    dashboard: (etag: string | null) => r('GET', '/api/dashboard', { schema: DashboardResponseSchema, etag }),
    profile: () => r('GET', '/api/profile', { schema: ProfileResponseSchema }),

    events: () => r('GET', '/api/events?active=true', { schema: EventListResponseSchema }),
    participate: (id: string, key: string) =>
      r('POST', `/api/events/${enc(id)}/participate`, { schema: ParticipationSchema, idempotencyKey: key }),
    reportProgress: (id: string, body: EventProgressBody, key: string) =>
      r('POST', `/api/events/${enc(id)}/progress`, { schema: ParticipationSchema, body, idempotencyKey: key }),
    claimEvent: (id: string, key: string) =>
      r('POST', `/api/events/${enc(id)}/claim`, { schema: EventClaimResponseSchema, idempotencyKey: key }),
    missions: () => r('GET', '/api/events/missions', { schema: MissionsResponseSchema }),
    claimMission: (id: string, key: string) =>
      r('POST', `/api/events/missions/${enc(id)}/claim`, { schema: MissionClaimResponseSchema, idempotencyKey: key }),

    gameTypes: () => r('GET', '/api/game/types', { schema: GameTypesResponseSchema }),
    startSession: (gameType: string, key: string) =>
      r('POST', '/api/game/sessions/start', { schema: StartSessionResponseSchema, body: { game_type: gameType }, idempotencyKey: key }),
    endSession: (id: string, body: EndSessionBody, key: string) =>
      r('POST', `/api/game/sessions/${enc(id)}/end`, { schema: EndSessionResponseSchema, body, idempotencyKey: key }),
    recentSessions: () => r('GET', '/api/game/sessions/recent?limit=10', { schema: GameSessionListSchema }),
    activeSessions: () => r('GET', '/api/game/sessions/active', { schema: GameSessionListSchema }),

    catalog: () => r('GET', '/api/shop/catalog', { schema: CatalogResponseSchema }),
    purchase: (skuId: string, quantity: number, key: string) =>
      r('POST', '/api/shop/purchase', { schema: PurchaseResponseSchema, body: { sku_id: skuId, quantity }, idempotencyKey: key }),
    inventory: () => r('GET', '/api/inventory', { schema: InventoryResponseSchema }),
    itemCatalog: () => r('GET', '/api/items', { schema: ItemCatalogResponseSchema }),
    useItem: (itemId: string, key: string) =>
      r('POST', `/api/inventory/${enc(itemId)}/use`, { schema: UseItemResponseSchema, idempotencyKey: key }),

    pendingRewards: () => r('GET', '/api/rewards/pending', { schema: PendingRewardsResponseSchema }),
    rewardHistory: (before?: string) =>
      r('GET', `/api/rewards/history?limit=50${before ? `&before=${enc(before)}` : ''}`, { schema: RewardHistoryResponseSchema }),

    admin: {
      events: () => r('GET', '/api/admin/events', { schema: AdminEventListResponseSchema }),
      createEvent: (body: CreateEventBody, key: string) =>
        r('POST', '/api/admin/events', { schema: AdminEventSchema, body, idempotencyKey: key }),
      updateEvent: (id: string, body: UpdateEventBody) =>
        r('PATCH', `/api/admin/events/${enc(id)}`, { schema: AdminEventSchema, body }),
      missions: () => r('GET', '/api/admin/missions', { schema: AdminMissionListResponseSchema }),
      createMission: (body: CreateMissionBody, key: string) =>
        r('POST', '/api/admin/missions', { schema: AdminMissionSchema, body, idempotencyKey: key }),
      updateMission: (id: string, body: UpdateMissionBody) =>
        r('PATCH', `/api/admin/missions/${enc(id)}`, { schema: AdminMissionSchema, body }),
      skus: () => r('GET', '/api/admin/shop/skus', { schema: AdminSkuListResponseSchema }),
      createSku: (body: CreateSkuBody, key: string) =>
        r('POST', '/api/admin/shop/skus', { schema: AdminSkuSchema, body, idempotencyKey: key }),
      updateSku: (skuId: string, body: UpdateSkuBody) =>
        r('PATCH', `/api/admin/shop/skus/${enc(skuId)}`, { schema: AdminSkuSchema, body }),
      items: () => r('GET', '/api/admin/items', { schema: ItemListResponseSchema }),
      createItem: (body: CreateItemBody, key: string) =>
        r('POST', '/api/admin/items', { schema: ItemSchema, body, idempotencyKey: key }),
      updateItem: (itemId: string, body: UpdateItemBody) =>
        r('PATCH', `/api/admin/items/${enc(itemId)}`, { schema: ItemSchema, body }),
      pipeline: () => r('GET', '/api/admin/pipeline', { schema: PipelineResponseSchema }),
      kpis: (from: string, to: string) =>
        r('GET', `/api/admin/analytics/kpis?from=${enc(from)}&to=${enc(to)}`, { schema: KpisResponseSchema }),
      players: (q: string, before?: string, limit = 20) =>
        r('GET', `/api/admin/players?${q.trim() ? `q=${enc(q.trim())}&` : ''}limit=${limit}${before ? `&before=${enc(before)}` : ''}`, {
          schema: PlayerSearchResponseSchema,
        }),
      player: (id: string) => r('GET', `/api/admin/players/${enc(id)}`, { schema: AdminPlayerSchema }),
      playerGrants: (id: string, before?: string) =>
        r('GET', `/api/admin/players/${enc(id)}/grants?limit=20${before ? `&before=${enc(before)}` : ''}`, { schema: RewardHistoryResponseSchema }),
      suspendPlayer: (id: string, body: SuspendPlayerBody, key: string) =>
        r('POST', `/api/admin/players/${enc(id)}/suspend`, { schema: PlayerSummarySchema, body, idempotencyKey: key }),
      reinstatePlayer: (id: string, key: string) =>
        r('POST', `/api/admin/players/${enc(id)}/reinstate`, { schema: PlayerSummarySchema, idempotencyKey: key }),
      distribute: (body: { user_id: string; bundle: RewardBundle; reason: string }, key: string) =>
        r('POST', '/api/rewards/distribute', { schema: DistributeResponseSchema, body, idempotencyKey: key }),
    },
  };
}

export type Endpoints = ReturnType<typeof endpoints>;
