import en from './en.json';
import ko from './ko.json';
import type { Lang } from '../store/types';

export type MessageKey = keyof typeof en;
const dictionaries: Record<Lang, Record<string, string>> = { en, ko };

/** Looks a key up in the language's dictionary and fills `{name}` slots; an unknown key shows as itself. */
export function translate(lang: Lang, key: string, vars?: Record<string, string | number>): string {
  const text = dictionaries[lang][key] ?? dictionaries.en[key] ?? key;
  return vars ? text.replace(/\{(\w+)\}/g, (_, name: string) => (vars[name] !== undefined ? String(vars[name]) : '')) : text;
}

export const messageKeys = Object.keys(en);
