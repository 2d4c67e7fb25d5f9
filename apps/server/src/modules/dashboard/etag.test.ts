import { describe, expect, it } from 'vitest';
import { dashboardEtag, ETAG_BUCKET_MS, ifNoneMatchMatches } from './etag.ts';

describe('dashboardEtag', () => {
  const at = new Date('2026-11-28T12:00:30Z');
  const minute = Math.floor(at.getTime() / ETAG_BUCKET_MS);

  it('is a weak tag of the state version, the content version and the minute', () => {
    expect(dashboardEtag({ state: 7, content: 3 }, at)).toBe(`W/"7-3-${minute}"`);
  });

  it.each([
    ['another state version', { state: 8, content: 3 }, at, false],
    ['another content version', { state: 7, content: 4 }, at, false],
    ['later in the same minute', { state: 7, content: 3 }, new Date('2026-11-28T12:00:59.999Z'), true],
    ['the start of the minute', { state: 7, content: 3 }, new Date('2026-11-28T12:00:00Z'), true],
    ['the next minute', { state: 7, content: 3 }, new Date('2026-11-28T12:01:00Z'), false],
  ])('%s → same tag: %s', (_what, versions, when, same) => {
    expect(dashboardEtag(versions, when) === dashboardEtag({ state: 7, content: 3 }, at)).toBe(same);
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
