import { describe, expect, it } from 'vitest';
import { dashboardEtag, ETAG_BUCKET_MS, ifNoneMatchMatches } from './etag.ts';

describe('dashboardEtag', () => {
  const at = new Date('2026-11-28T12:00:30Z');
  const minute = Math.floor(at.getTime() / ETAG_BUCKET_MS);

  const user = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';

  it('is a weak tag of the player, the state version, the content version and the minute', () => {
    expect(dashboardEtag(user, { state: 7, content: 3 }, at)).toBe(`W/"0190a1b2c3d47e5f8a9b0c1d2e3f4a5b-7-3-${minute}"`);
  });

  it("differs from another player's at the same versions and minute", () => {
    expect(dashboardEtag(user, { state: 7, content: 3 }, at)).not.toBe(dashboardEtag('0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c', { state: 7, content: 3 }, at));
  });

  it.each([
    ['another state version', { state: 8, content: 3 }, at, false],
    ['another content version', { state: 7, content: 4 }, at, false],
    ['later in the same minute', { state: 7, content: 3 }, new Date('2026-11-28T12:00:59.999Z'), true],
    ['the start of the minute', { state: 7, content: 3 }, new Date('2026-11-28T12:00:00Z'), true],
    ['the next minute', { state: 7, content: 3 }, new Date('2026-11-28T12:01:00Z'), false],
  ])('%s → same tag: %s', (_what, versions, when, same) => {
    expect(dashboardEtag(user, versions, when) === dashboardEtag(user, { state: 7, content: 3 }, at)).toBe(same);
  });
});

describe('ifNoneMatchMatches', () => {
  const tag = 'W/"7-3-29876543"';
  it.each([
    [undefined, false],
    ['', false],
    [tag, true],
    ['"7-3-29876543"', true],
    [` ${tag} `, true],
    ['*', true],
    [`"a", ${tag}`, true],
    [`W/"a",W/"b",${tag}`, true],
    [`"a,b", ${tag}`, true],
    [`, ,${tag}`, true],
    ['"a", "b"', false],
    ['W/"7-3-29876544"', false],
    ['7-3-29876543', false],
    [`W/"x" junk, ${tag}`, false],
    ['"7-3-29876543', false],
  ])('If-None-Match %j → %s', (header, expected) => {
    expect(ifNoneMatchMatches(header, tag)).toBe(expected);
  });
});
