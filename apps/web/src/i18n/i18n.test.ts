import { errorCodes } from '@playloop/contracts';
import { describe, expect, it } from 'vitest';
import en from './en.json';
import ko from './ko.json';
import { formatMessage, translate } from './index';

describe('i18n', () => {
  it('ko and en carry the same keys', () => {
    expect(Object.keys(ko).sort()).toEqual(Object.keys(en).sort());
  });
  it.each(errorCodes)('error code %s has a human message in both languages', (code) => {
    expect(en).toHaveProperty(`errors.${code}`);
    expect(ko).toHaveProperty(`errors.${code}`);
    expect(translate('ko', `errors.${code}`, { field: '' })).not.toBe(`errors.${code}`);
  });
  it('fills variables', () => {
    expect(translate('en', 'dash.level', { level: 3 })).toBe('Level 3');
    expect(translate('ko', 'dash.level', { level: 3 })).toBe('레벨 3');
  });
});

describe('i18n plurals', () => {
  it.each([
    ['en', { games: 1, missions: 1 }, 'Last 24 h: 1 game, 1 mission'],
    ['en', { games: 0, missions: 2 }, 'Last 24 h: 0 games, 2 missions'],
    ['en', { games: 21, missions: 1 }, 'Last 24 h: 21 games, 1 mission'],
    // Korean has no plural forms: a counter word, whatever the count.
    ['ko', { games: 1, missions: 1 }, '최근 24시간: 게임 1판, 미션 1개'],
    ['ko', { games: 3, missions: 0 }, '최근 24시간: 게임 3판, 미션 0개'],
  ] as const)('%s %o → %s', (lang, vars, text) => {
    expect(translate(lang, 'dash.last24h', vars)).toBe(text);
  });

  it.each([
    ['reward.soft', { n: 1 }, '1 coin'],
    ['reward.soft', { n: 200 }, '200 coins'],
    ['reward.premium', { n: 1 }, '1 gem'],
    ['dash.streak', { days: 1 }, 'Play streak: 1 day'],
    ['dash.streak', { days: 0 }, 'Play streak: 0 days'],
    ['dash.today', { soft: 1, premium: 2, exp: 1 }, 'Today: +1 coin, +2 gems, +1 EXP'],
    ['play.payout', { soft: 1 }, 'Payout: 1 coin'],
    ['activity.session', { game: 'Reaction', score: 1, seconds: 3 }, 'Played Reaction: 1 point in 3 s'],
    ['kpi.byGameLine', { game: 'Reaction', sessions: 1, players: 1 }, 'Reaction: 1 session by 1 player'],
    ['kpi.byGameLine', { game: 'Reaction', sessions: 4, players: 2 }, 'Reaction: 4 sessions by 2 players'],
    ['admin.tableMoreItems', { n: 1 }, 'Also gives 1 more item not shown here; saving keeps them as they are.'],
  ] as const)('en %s %o → %s', (key, vars, text) => {
    expect(translate('en', key, vars)).toBe(text);
  });

  it.each([
    ['en', '{n, plural, =0 {no games} one {# game} other {# games}}', 0, 'no games'],
    ['en', '{n, plural, =0 {no games} one {# game} other {# games}}', 1, '1 game'],
    ['en', '{n, plural, one {# game of {who}} other {# games of {who}}}', 3, '3 games of Kim'],
    ['ko', '{n, plural, one {# game} other {게임 #판}}', 1, '게임 1판'],
    ['en', 'not a choice: {n, plural, one {x}}', 1, 'not a choice: {n, plural, one {x}}'],
  ] as const)('%s %s with %d → %s', (lang, text, n, expected) => {
    expect(formatMessage(lang, text, { n, who: 'Kim' })).toBe(expected);
  });

  it.each(['en', 'ko'] as const)('every %s message with a plural choice has an `other` form and no slot left unfilled', (lang) => {
    const dict = lang === 'en' ? en : ko;
    for (const [key, text] of Object.entries(dict)) {
      if (!text.includes('plural')) continue;
      const names = [...text.matchAll(/\{(\w+)(?:, plural,)?/g)].map((m) => m[1]!);
      const vars = Object.fromEntries(names.map((n) => [n, 1]));
      for (const count of [0, 1, 2, 5]) {
        const filled = translate(lang, key, Object.fromEntries(Object.keys(vars).map((n) => [n, count])));
        expect(filled, key).not.toMatch(/[{}#]|plural/);
      }
    }
  });
});
