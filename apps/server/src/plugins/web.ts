import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { DomainError } from '../lib/domain-error.ts';

/** Where `npm run build:web` writes the single-page app. */
export const DEFAULT_WEB_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../web/dist');

export interface WebPluginOptions {
  /** The built app (index.html and assets/); the plugin serves nothing when it is missing. */
  distDir?: string;
}

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
      reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });

  app.get('/*', { schema: { hide: true } }, async (request, reply) => {
    const pathname = request.url.split('?')[0] ?? '/';
    const ownedByApi = API_PREFIXES.some((p) => pathname === p || pathname.startsWith(p.endsWith('/') ? p : `${p}/`));
    const wantsHtml = (request.headers.accept ?? '').includes('text/html');
    if (ownedByApi || !wantsHtml) throw new DomainError('NOT_FOUND', `no route ${request.method} ${pathname}`);
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(indexHtml);
  });
  app.get('/', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(indexHtml),
  );
}
