import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { DomainError } from '../lib/domain-error.ts';

/** Where `npm run build:web` writes the single-page app. */
export const DEFAULT_WEB_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../web/dist');

export interface WebPluginOptions {
  /** The built app (index.html and assets/); the plugin serves nothing when it is missing. */
  distDir?: string;
}

/**
 * What the browser may do with the app's pages: run and style only what this server serves, talk
 * only to this origin (the API and the stream), never be framed (clickjacking), not guess content
 * types, and send no referrer to other sites. Set on the page and on every file it loads; the
 * API's JSON answers need none of it.
 */
export const WEB_SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
};

// Paths the SPA never owns: an unknown one under them stays a 404 problem.
const API_PREFIXES = ['/api/', '/api', '/docs', '/healthz', '/readyz', '/metrics'];

/**
 * Serves the built web app from the API server: its files as they are (hashed assets cached for a
 * year), and index.html for any other GET that asks for HTML, so a reload on /shop works.
 * Registered last; an unknown /api route or a non-HTML request keeps the 404 problem+json.
 */
export async function webPlugin(app: FastifyInstance, options: WebPluginOptions) {
  const distDir = options.distDir ?? DEFAULT_WEB_DIST;
  const indexFile = path.join(distDir, 'index.html');
  if (!existsSync(indexFile)) {
    app.log.warn({ distDir }, 'web app not built (npm run build:web); serving the API only');
    return;
  }
  const indexHtml = readFileSync(indexFile);
  const sendIndex = (reply: FastifyReply) => reply.type('text/html; charset=utf-8').headers(WEB_SECURITY_HEADERS).header('cache-control', 'no-cache').send(indexHtml);

  await app.register(fastifyStatic, {
    root: distDir,
    prefix: '/',
    // One route per file found now (the build is done before start), so our catch-all below
    // is the only wildcard and the API's 404 handler stays in charge of everything else.
    wildcard: false,
    index: false,
    decorateReply: false,
    setHeaders(reply, filePath) {
      const immutable = filePath.includes(`${path.sep}assets${path.sep}`);
      reply.headers(WEB_SECURITY_HEADERS).header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });

  app.get('/*', { schema: { hide: true } }, async (request, reply) => {
    const pathname = request.url.split('?')[0] ?? '/';
    const ownedByApi = API_PREFIXES.some((p) => pathname === p || pathname.startsWith(p.endsWith('/') ? p : `${p}/`));
    const wantsHtml = (request.headers.accept ?? '').includes('text/html');
    if (ownedByApi || !wantsHtml) throw new DomainError('NOT_FOUND', `no route ${request.method} ${pathname}`);
    return sendIndex(reply);
  });
  app.get('/', { schema: { hide: true } }, async (_request, reply) => sendIndex(reply));
}
