import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestContext } from '../../test/build-app.ts';
import { WEB_SECURITY_HEADERS } from './web.ts';

describe('web plugin: the built SPA served by the API server', () => {
  let ctx: TestContext;
  let dist: string;
  const html = '<!doctype html><title>Playloop</title><div id="root"></div>';

  beforeAll(async () => {
    dist = mkdtempSync(path.join(tmpdir(), 'playloop-web-'));
    mkdirSync(path.join(dist, 'assets'));
    writeFileSync(path.join(dist, 'index.html'), html);
    writeFileSync(path.join(dist, 'assets', 'index-abc123.js'), 'console.log(1)');
    ctx = await buildTestApp({ web: { distDir: dist } });
  });
  afterAll(async () => {
    await ctx.close();
    rmSync(dist, { recursive: true, force: true });
  });

  it('serves index.html at / and for any client route that asks for HTML', async () => {
    for (const url of ['/', '/shop', '/events?x=1', '/admin/deep/link']) {
      const res = await ctx.app.inject({ method: 'GET', url, headers: { accept: 'text/html,application/xhtml+xml' } });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.body).toBe(html);
    }
  });

  it('serves hashed assets with a long cache lifetime', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect(res.headers['cache-control']).toContain('immutable');
  });

  it.each([
    ['GET', '/api/nope', 'text/html'],
    ['GET', '/api', 'text/html'],
    ['GET', '/docs/nope', 'text/html'],
    ['GET', '/shop', 'application/json'],
    ['POST', '/shop', 'text/html'],
    ['GET', '/assets/missing.js', '*/*'],
  ])('%s %s (accept %s) stays a 404 problem', async (method, url, accept) => {
    const res = await ctx.app.inject({ method: method as 'GET' | 'POST', url, headers: { accept } });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });

  it('sends the security headers with the page and its files, not with the API', async () => {
    const page = await ctx.app.inject({ method: 'GET', url: '/shop', headers: { accept: 'text/html' } });
    const asset = await ctx.app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    for (const res of [page, asset]) {
      expect(res.headers).toMatchObject(WEB_SECURITY_HEADERS);
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    }
    const api = await ctx.app.inject({ method: 'GET', url: '/healthz' });
    expect(api.headers).not.toHaveProperty('content-security-policy');
  });

  it('leaves the API and the docs as they were', async () => {
    expect((await ctx.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await ctx.app.inject({ method: 'GET', url: '/docs/json' })).statusCode).toBe(200);
    const me = await ctx.app.inject({ method: 'GET', url: '/api/auth/me', headers: { accept: 'text/html' } });
    expect(me.statusCode).toBe(401);
  });

  it('serves the API only when the app is not built', async () => {
    const bare = await buildTestApp({ web: { distDir: path.join(dist, 'missing') } });
    try {
      const res = await bare.app.inject({ method: 'GET', url: '/', headers: { accept: 'text/html' } });
      expect(res.statusCode).toBe(404);
    } finally {
      await bare.close();
    }
  });
});
