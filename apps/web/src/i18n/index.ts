import en from './en.json';
import ko from './ko.json';
import type { Lang } from '../store/types';

export type MessageKey = keyof typeof en;
const dictionaries: Record<Lang, Record<string, string>> = { en, ko };

const pluralRules = new Map<Lang, Intl.PluralRules>();
/** The language's plural categories (English: one, other; Korean: other only), made once per language. */
function pluralCategory(lang: Lang, n: number): Intl.LDMLPluralRule {
  let rules = pluralRules.get(lang);
  if (!rules) pluralRules.set(lang, (rules = new Intl.PluralRules(lang)));
  return rules.select(n);
}

/** The index of the `}` closing the `{` at `open`, or -1 when the text never closes it. */
function closing(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth += 1;
    else if (text[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

/** The forms of a plural choice's body, `one {# game} other {# games}` → {one: '# game', other: '# games'}. */
function pluralForms(body: string): Record<string, string> | null {
  const forms: Record<string, string> = {};
  let i = 0;
  for (;;) {
    while (i < body.length && /\s/.test(body[i]!)) i++;
    if (i >= body.length) return 'other' in forms ? forms : null;
    const selector = /^(=\d+|zero|one|two|few|many|other)\s*\{/.exec(body.slice(i));
    if (!selector) return null;
    const open = i + selector[0].length - 1;
    const end = closing(body, open);
    if (end < 0) return null;
    forms[selector[1]!] = body.slice(open + 1, end);
    i = end + 1;
  }
}

type Vars = Record<string, string | number>;

/** Fills a message's slots and plural choices (see `translate`). */
export function formatMessage(lang: Lang, text: string, vars: Vars): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('{', i);
    if (open < 0) break;
    const end = closing(text, open);
    if (end < 0) break;
    out += text.slice(i, open);
    const inner = text.slice(open + 1, end);
    const choice = /^\s*(\w+)\s*,\s*plural\s*,([\s\S]*)$/.exec(inner);
    const forms = choice ? pluralForms(choice[2]!) : null;
    if (choice && forms) {
      const n = Number(vars[choice[1]!] ?? 0);
      const form = forms[`=${n}`] ?? forms[pluralCategory(lang, n)] ?? forms.other!;
      // `#` is the count, in the form chosen; slots inside the form are filled as anywhere else.
      out += formatMessage(lang, form.replaceAll('#', String(vars[choice[1]!] ?? n)), vars);
    } else if (/^\w+$/.test(inner)) {
      out += vars[inner] !== undefined ? String(vars[inner]) : '';
    } else {
      out += text.slice(open, end + 1);
    }
    i = end + 1;
  }
  return out + text.slice(i);
}

/**
 * Looks a key up in the language's dictionary and fills it: `{name}` slots, and plural choices in
 * ICU MessageFormat's form, `{count, plural, one {# game} other {# games}}` (`=N` for an exact
 * count, `#` for the count), whose form Intl.PluralRules picks for the language. Korean has no
 * plural forms, so its messages need no choices. An unknown key shows as itself.
 */
export function translate(lang: Lang, key: string, vars?: Vars): string {
  const text = dictionaries[lang][key] ?? dictionaries.en[key] ?? key;
  return vars ? formatMessage(lang, text, vars) : text;
}

export const messageKeys = Object.keys(en);
