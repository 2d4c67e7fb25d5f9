import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ProfileHeadersSchema, ProfileQuerySchema, ProfileResponseSchema } from '@playloop/contracts';
import { caller } from '../../plugins/auth.ts';
import { getProfile, type ProfileDeps } from './service.ts';

const tags = ['profile'];
const security = [{ bearerAuth: [] }];

/** The player's profile: progression, stats, inventory, participations and recent activity. */
export const profileRoutes: FastifyPluginAsyncZod<ProfileDeps> = async (app, deps) => {
  app.get(
    '/',
    {
      prefixTrailingSlash: 'no-slash',
      schema: {
        tags,
        security,
        headers: ProfileHeadersSchema,
        querystring: ProfileQuerySchema,
        response: { 200: ProfileResponseSchema },
      },
      onRequest: app.authenticate,
    },
    async (request) => getProfile(deps, caller(request).userId),
  );
};
