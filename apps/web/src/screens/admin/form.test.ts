import { describe, expect, it } from 'vitest';
import { z } from 'zod';
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
    expect(closestIssues(z.object({ n: z.number() }).safeParse({ n: 'x' }).error!.issues)).toEqual([{ path: ['n'], message: expect.any(String) }]);
  });
});

describe('bundle form values', () => {
  it('round-trip a bundle, items after the first passed in', () => {
    const bundle = { currencies: { soft: 5, premium: 1 }, exp: 3, items: [{ item_id: 'a', quantity: 2 }, { item_id: 'b', quantity: 1 }] };
    expect(bundleOf(bundleValues(bundle), bundle.items.slice(1))).toEqual(bundle);
  });
});
