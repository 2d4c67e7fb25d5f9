import { errorCodes } from '@playloop/contracts';
import { describe, expect, it } from 'vitest';
import en from './en.json';
import ko from './ko.json';
import { translate } from './index';

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
