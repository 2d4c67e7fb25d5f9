import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  AuthHeadersSchema,
  AuthResponseSchema,
  IdempotencyHeadersSchema,
  LoginBodySchema,
  LogoutBodySchema,
  MeResponseSchema,
  NoQuerySchema,
  RefreshBodySchema,
  SignupBodySchema,
} from '@playloop/contracts';
import { caller } from '../../plugins/auth.ts';
import type { AuthService } from './service.ts';

const tags = ['auth'];
const bearer = [{ bearerAuth: [] }];

export const authRoutes: FastifyPluginAsyncZod<{ authService: AuthService }> = async (app, { authService }) => {
  app.post(
    '/signup',
    { schema: { tags, body: SignupBodySchema, response: { 201: AuthResponseSchema } } },
    async (request, reply) => reply.code(201).send(await authService.signup(request.body, request.traceId)),
  );

  app.post(
    '/login',
    { schema: { tags, body: LoginBodySchema, response: { 200: AuthResponseSchema } } },
    async (request) => authService.login(request.body, request.ip, request.traceId),
  );

  app.post(
    '/refresh',
    { schema: { tags, body: RefreshBodySchema, response: { 200: AuthResponseSchema } } },
    async (request) => authService.refresh(request.body.refresh_token, request.traceId),
  );

  app.post(
    '/logout',
    {
      schema: { tags, security: bearer, headers: IdempotencyHeadersSchema, body: LogoutBodySchema },
      onRequest: app.authenticate,
    },
    async (request, reply) => {
      await authService.logout(caller(request));
      return reply.code(204).send();
    },
  );

  app.get(
    '/me',
    {
      schema: { tags, security: bearer, headers: AuthHeadersSchema, querystring: NoQuerySchema, response: { 200: MeResponseSchema } },
      onRequest: app.authenticate,
    },
    async (request) => authService.me(caller(request).userId),
  );
};
