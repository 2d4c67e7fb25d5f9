import Fastify, { type FastifyServerOptions } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import { systemClock, type Clock } from './lib/clock.ts';
import { MemoryRateLimitStore, type RateLimitStore } from './lib/rate-limit.ts';
import { cryptoRandom, type RandomSource } from './lib/random.ts';
import { adminItemRoutes } from './modules/inventory/admin-routes.ts';
import { inventoryRoutes, itemCatalogRoutes } from './modules/inventory/routes.ts';
import { authRoutes } from './modules/auth/routes.ts';
import { createAuthService, type LoginLimits } from './modules/auth/service.ts';
import { createTokenSigner } from './modules/auth/tokens.ts';
import { dashboardRoutes } from './modules/dashboard/routes.ts';
import { dashboardEtagOf } from './modules/dashboard/service.ts';
import { healthRoutes } from './modules/health/routes.ts';
import { eventsAdminRoutes } from './modules/events/admin-routes.ts';
import { eventsRoutes } from './modules/events/routes.ts';
import { missionsAdminRoutes } from './modules/missions/admin-routes.ts';
import { missionsRoutes } from './modules/missions/routes.ts';
import outboxPlugin from './modules/outbox/plugin.ts';
import type { Pipeline } from './modules/outbox/pipeline.ts';
import { recordLogin, recordSignup } from './modules/outbox/service.ts';
import { gameRoutes } from './modules/games/routes.ts';
import { profileRoutes } from './modules/profile/routes.ts';
import { rewardsRoutes } from './modules/rewards/routes.ts';
import { shopAdminRoutes } from './modules/shop/admin-routes.ts';
import { playersAdminRoutes } from './modules/users/admin-routes.ts';
import { shopRoutes } from './modules/shop/routes.ts';
import { createUserChangeBus } from './modules/stream/bus.ts';
import { streamRoutes } from './modules/stream/routes.ts';
import { grantSignupBonus } from './modules/rewards/signup-bonus.ts';
import { countSignInDay } from './modules/auth/sign-in-days.ts';
import { openPlayerAccounts } from './modules/wallet/ledger.ts';
import authPlugin from './plugins/auth.ts';
import docsPlugin from './plugins/docs.ts';
import drainingPlugin from './plugins/draining.ts';
import errorsPlugin, { clientErrorHandler, frameworkErrors } from './plugins/errors.ts';
import idempotencyPlugin from './plugins/idempotency.ts';
import metricsPlugin from './plugins/metrics.ts';
import requestContextPlugin, { childLoggerWithTrace } from './plugins/request-context.ts';
import { webPlugin, type WebPluginOptions } from './plugins/web.ts';

export interface AppOptions {
  config: Pick<Config, 'jwtSecret' | 'signupBonusSoft' | 'resetTimezone'> & Partial<Pick<Config, 'metricsToken'>>;
  database: Database;
  clock?: Clock;
  rateLimits?: RateLimitStore;
  loginLimits?: LoginLimits;
  logger?: FastifyServerOptions['logger'];
  /** The analytics pipeline (relay publisher and KPI store); without it the outbox is written but not relayed. */
  pipeline?: Pipeline;
  /** Where server-side rolls draw from (item tables); crypto-backed unless a test seeds one. */
  random?: RandomSource;
  /** Serve the built web app (main.ts: apps/web/dist); absent or false serves the API only, as tests do. */
  web?: WebPluginOptions | false;
}

// Bodies past this are refused with 413 before they are parsed.
const BODY_LIMIT_BYTES = 64 * 1024;

/** Builds the app: external plugins → app plugins → modules. Listening is the caller's job. */
export async function buildApp(options: AppOptions) {
  const clock = options.clock ?? systemClock;
  const rateLimits = options.rateLimits ?? new MemoryRateLimitStore();
  const { db } = options.database;

  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: BODY_LIMIT_BYTES,
    // genReqId reads x-request-id itself; with requestIdHeader set Fastify would trust it unchecked.
    requestIdHeader: false,
    // Our ids are trusted only if short and plain; anything else gets a fresh one.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : crypto.randomUUID();
    },
    ajv: { customOptions: { removeAdditional: false } },
    trustProxy: false,
    childLoggerFactory: childLoggerWithTrace,
    // A request arriving while the server shuts down is answered by the draining plugin, as a problem.
    return503OnClosing: false,
    // Fastify's own refusals before routing (a broken %-escape, an overlong path parameter), as problems.
    frameworkErrors,
    // And Node's HTTP parser's refusals (headers over the size limit, not HTTP at all).
    clientErrorHandler,
  }).withTypeProvider<ZodTypeProvider>();

  // The API speaks JSON only; a text body is refused with 415 instead of failing validation.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const signer = createTokenSigner(options.config.jwtSecret);
  const authService = createAuthService({
    db,
    clock,
    signer,
    rateLimits,
    ...(options.loginLimits ? { loginLimits: options.loginLimits } : {}),
    onSignup: [
      (trx, user) => openPlayerAccounts(trx, user.id),
      (trx, user, at) => grantSignupBonus(trx, user.id, options.config.signupBonusSoft, at),
      recordSignup,
    ],
    onLogin: [recordLogin],
    onSignIn: [(trx, user, at) => countSignInDay(trx, user.id, at, options.config.resetTimezone)],
  });

  await app.register(errorsPlugin);
  await app.register(drainingPlugin);
  await app.register(requestContextPlugin);
  await app.register(metricsPlugin, { token: options.config.metricsToken });
  await app.register(docsPlugin);
  await app.register(authPlugin, { authService });
  await app.register(outboxPlugin, { db, clock, pipeline: options.pipeline, holdLock: (key1, key2) => options.database.holdAdvisoryLock(key1, key2) });
  await app.register(idempotencyPlugin, { db, clock });

  await app.register(healthRoutes, { database: options.database, rateLimits });
  await app.register(authRoutes, { prefix: '/api/auth', authService });
  await app.register(rewardsRoutes, { prefix: '/api/rewards', db, clock });
  await app.register(dashboardRoutes, { prefix: '/api/dashboard', db, clock, resetTimezone: options.config.resetTimezone });
  await app.register(profileRoutes, { prefix: '/api/profile', db, clock, resetTimezone: options.config.resetTimezone });
  await app.register(missionsRoutes, { prefix: '/api/events/missions', db, clock, resetTimezone: options.config.resetTimezone });
  await app.register(eventsRoutes, { prefix: '/api/events', db, clock });
  await app.register(eventsAdminRoutes, { prefix: '/api/admin/events', db, clock });
  await app.register(missionsAdminRoutes, { prefix: '/api/admin/missions', db, clock });
  await app.register(gameRoutes, { prefix: '/api/game', db, clock, resetTimezone: options.config.resetTimezone });
  await app.register(shopRoutes, { prefix: '/api/shop', db, clock, resetTimezone: options.config.resetTimezone });
  await app.register(shopAdminRoutes, { prefix: '/api/admin/shop', db, clock });
  await app.register(inventoryRoutes, { prefix: '/api/inventory', db, clock, random: options.random ?? cryptoRandom });
  await app.register(itemCatalogRoutes, { prefix: '/api/items', db });
  await app.register(adminItemRoutes, { prefix: '/api/admin/items', db, clock });
  await app.register(playersAdminRoutes, { prefix: '/api/admin/players', db, clock, resetTimezone: options.config.resetTimezone });

  const userChanges = createUserChangeBus(options.database, (err) => app.log.warn({ err }, 'live update listener failed'));
  await app.register(streamRoutes, { prefix: '/api/stream', bus: userChanges, clock, etagOf: (userId) => dashboardEtagOf(db, userId, clock.now()) });
  app.addHook('onClose', () => userChanges.close());

  // Last: the SPA's catch-all must not shadow any API route.
  if (options.web) await app.register(webPlugin, options.web);

  app.addHook('onClose', async () => {
    await rateLimits.close();
  });

  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
