import { describe, expect, it } from 'vitest';
import { isWellFormedJson, isWellFormedText, TextSchema } from './common.ts';

describe('isWellFormedText', () => {
  it.each([
    ['', true],
    ['plain ASCII', true],
    ['한글 Ünïcödé', true],
    ['an emoji 😀 (a surrogate pair)', true],
    ['𝒜𝒷𝒸 and 🎮🎮', true],
    ['\ufffd (the replacement character itself)', true],
    ['\ud800', false],
    ['\udfff', false],
    ['lone high at the end \ud83d', false],
    ['\ude00 lone low at the start', false],
    ['a pair in the wrong order \ude00\ud83d', false],
    ['two highs \ud83d\ud83d', false],
  ])('%j → %s', (text, ok) => {
    expect(isWellFormedText(text)).toBe(ok);
    expect(TextSchema.safeParse(text).success).toBe(ok);
  });
});

describe('isWellFormedJson', () => {
  it.each([
    [null, true],
    [42, true],
    [{ score: 1, tags: ['😀', { deep: 'ok' }] }, true],
    ['\ud800', false],
    [['fine', ['\udc00']], false],
    [{ a: { b: { c: 'x\ud800' } } }, false],
    [{ ['key \ud800']: 1 }, false],
  ])('%j → %s', (value, ok) => {
    expect(isWellFormedJson(value)).toBe(ok);
  });

  it('walks any nesting without running out of stack', () => {
    let deep: unknown = '\ud800';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(isWellFormedJson(deep)).toBe(false);
  });
});
