import { describe, expect, it } from 'vitest';
import { translate } from '../i18n';
import { fieldLabel, fieldNote } from './field-label';

describe('fieldLabel: a refused field by the label its form shows, never its request path', () => {
  it.each([
    ['body.nickname', 'Nickname', '닉네임'],
    ['body.site_id', 'Site ID', '사이트 ID'],
    ['body.rules.target', 'Target', translate('ko', 'admin.target')],
    ['body.opens.table.0.weight', 'Weight', translate('ko', 'admin.tableWeight')],
    // No words for these: nothing rather than a path.
    ['body.bundle.items.0.quantity', null, null],
    ['query.limit', null, null],
    ['body', null, null],
    ['body.constructor', null, null],
  ])('%s → %s / %s', (path, en, ko) => {
    expect(fieldLabel((key, vars) => translate('en', key, vars), path)).toBe(en);
    expect(fieldLabel((key, vars) => translate('ko', key, vars), path)).toBe(ko);
  });

  it('fieldNote names the first field in parentheses, or says nothing', () => {
    const t = (key: string) => translate('en', key);
    expect(fieldNote(t, [{ field: 'body.password' }, { field: 'body.nickname' }])).toBe(' (Password)');
    expect(fieldNote(t, [{ field: 'body.bundle' }])).toBe('');
    expect(fieldNote(t, [])).toBe('');
  });
});
