import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CreateEventBodySchema } from '@playloop/contracts';
import type { Translate } from '../../components/reward-text';
import { translate } from '../../i18n';
import type { Lang } from '../../store/types';
import { issueText, serverFieldText } from './field-errors';
import { bundleOf, bundleValues, closestIssues } from './form';

describe('closestIssues', () => {
  const Opens = z.object({ opens: z.union([z.strictObject({ bundle: z.strictObject({ exp: z.number() }) }), z.strictObject({ table: z.array(z.strictObject({ weight: z.number().int() })) })]) });
  const issuesOf = (input: unknown) => closestIssues(Opens.safeParse(input).error!.issues);

  it.each([
    { input: { opens: { table: [{ weight: 1 }, { weight: 1.5 }] } }, paths: [['opens', 'table', '1', 'weight']] },
    { input: { opens: { table: [{}] } }, paths: [['opens', 'table', '0', 'weight']] },
    { input: { opens: { bundle: { exp: 'x' } } }, paths: [['opens', 'bundle', 'exp']] },
    { input: { opens: 3 }, paths: [['opens']] },
  ])('names the field of the union branch that came closest: $paths', ({ input, paths }) => {
    expect(issuesOf(input).map((i) => i.path)).toEqual(paths);
  });

  it('keeps issues outside unions as they are', () => {
    expect(closestIssues(z.object({ n: z.number() }).safeParse({ n: 'x' }).error!.issues)).toEqual([expect.objectContaining({ path: ['n'], code: 'invalid_type', expected: 'number' })]);
  });
});

describe('bundle form values', () => {
  it('round-trip a bundle, items after the first passed in', () => {
    const bundle = { currencies: { soft: 5, premium: 1 }, exp: 3, items: [{ item_id: 'a', quantity: 2 }, { item_id: 'b', quantity: 1 }] };
    expect(bundleOf(bundleValues(bundle), bundle.items.slice(1))).toEqual(bundle);
  });
});

describe('field errors in the UI language', () => {
  const body = {
    key: 'spring_event',
    title: 'Spring',
    type: 'limited',
    starts_at: '2026-03-01T00:00:00.000Z',
    ends_at: '2026-03-08T00:00:00.000Z',
    rules: { metric: 'games_played', target: 3 },
    reward_bundle: { currencies: { soft: 100 } },
  };
  /** The message beside each field of a create-event body with `change`, as the form says it in `lang`. */
  const said = (lang: Lang, change: Record<string, unknown>) => {
    const parsed = CreateEventBodySchema.safeParse({ ...body, ...change }, { reportInput: true });
    const t: Translate = (key, vars) => translate(lang, key, vars);
    return closestIssues(parsed.error!.issues).map((issue) => `${issue.path.join('.')}: ${issueText(t, issue)}`);
  };

  it.each([
    [{ rules: { metric: 'games_played', target: 0 } }, 'rules.target: 0보다 커야 합니다', 'rules.target: Must be more than 0'],
    [{ rules: { metric: 'games_played', target: 1.5 } }, 'rules.target: 정수를 입력하세요', 'rules.target: Enter a whole number'],
    [{ rules: { metric: 'games_played', target: Number('x') } }, 'rules.target: 숫자를 입력하세요', 'rules.target: Enter a number'],
    [{ rules: { metric: 'games_played', target: undefined } }, 'rules.target: 필수 항목입니다', 'rules.target: Required'],
    [{ rules: { metric: 'games_played', target: 2_000_000_000 } }, 'rules.target: 1,000,000,000 이하여야 합니다', 'rules.target: Must be at most 1,000,000,000'],
    [{ title: '  ' }, 'title: 필수 항목입니다', 'title: Required'],
    [{ title: 'x'.repeat(101) }, 'title: 100자 이하여야 합니다', 'title: At most 100 characters'],
    [{ key: 'Spring Event' }, 'key: a-z, 0-9, _ 만 쓸 수 있으며 64자 이하여야 합니다', 'key: Only a-z, 0-9 and _, at most 64 characters'],
    [{ type: 'weekly' }, 'type: 목록에서 하나를 고르세요', 'type: Choose one of the options'],
    [{ starts_at: 'soon' }, 'starts_at: 날짜와 시간을 입력하세요', 'starts_at: Enter a date and time'],
    [{ ends_at: '2026-02-01T00:00:00.000Z' }, 'ends_at: 시작 시각보다 뒤여야 합니다', 'ends_at: Must be after the start'],
    [{ reward_bundle: {} }, 'reward_bundle: 보상을 하나 이상 정해야 합니다', 'reward_bundle: A bundle must give something'],
    [{ rules: { metric: 'logins', target: 1, game_type: 'reaction' } }, 'rules.game_type: 게임 종류와 최소 점수는 플레이 지표에만 쓸 수 있습니다', 'rules.game_type: Game type and minimum score apply only to play metrics'],
  ])('%o → %s', (change, ko, en) => {
    // The first issue is the field's own (a date that is none also fails the checks on dates after it).
    expect(said('ko', change)[0]).toBe(ko);
    expect(said('en', change)[0]).toBe(en);
  });

  it('says none of zod\'s English in Korean', () => {
    const issues = said('ko', { key: 'x', title: '', rules: { metric: 'games_played', target: 0 }, description: 5, extra: true });
    expect(issues.length).toBeGreaterThan(1);
    expect(issues.map((i) => i.replace(/^[\w.]+: /, '')).filter((m) => /[A-Za-z]{3,}/.test(m))).toEqual([]);
  });

  it.each([
    ['cannot be below the 3 units already sold', '이미 판매된 3개보다 적을 수 없습니다', 'Cannot be below the 3 units already sold'],
    ['already exists', '이미 있는 ID입니다', 'This ID already exists'],
    ['no play of reaction scores above 420', '420점을 넘은 플레이가 없습니다', 'No play has scored above 420'],
    ['a rule the console does not know yet', '올바른 값이 아닙니다', 'a rule the console does not know yet'],
  ])("the server's %j", (message, ko, en) => {
    expect(serverFieldText((key, vars) => translate('ko', key, vars), message)).toBe(ko);
    expect(serverFieldText((key, vars) => translate('en', key, vars), message)).toBe(en);
  });
});
