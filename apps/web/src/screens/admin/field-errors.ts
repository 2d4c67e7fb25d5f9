import { NOT_WELL_FORMED } from '@playloop/contracts';
import type { Translate } from '../../components/reward-text';

/** What the console reads of a zod issue (zod 4's shapes); `input` is there when parsed with `reportInput`. */
export interface FormIssue {
  code?: string;
  message: string;
  origin?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  inclusive?: boolean;
  expected?: string;
  format?: string;
  divisor?: number | bigint;
  input?: unknown;
}

type Said = { key: string; vars?: Record<string, string | number> };

/**
 * The messages the contracts and the server write in English (refinements, patterns with a
 * message of their own, the server's field errors), each as a message key of the UI: they say
 * more than the issue's code would. A pattern's groups fill the key's variables.
 */
const KNOWN_MESSAGES: [RegExp, string, ...string[]][] = [
  [/^a-z, 0-9 and _, at most (\d+)$/, 'form.idChars', 'max'],
  [/^only a-z, 0-9 and _$/, 'form.idCharsOnly'],
  [/^no control characters$/, 'form.noControl'],
  [new RegExp(`^${escape(NOT_WELL_FORMED)}$`), 'form.wellFormed'],
  [/^must fall between 1970 and 9998 \(UTC\)$/, 'form.dateYears'],
  [/^game_type and min_score apply only to play metrics$/, 'form.playFilters'],
  [/^ends_at must be after starts_at$/, 'form.endsAfterStarts'],
  [/^available_until must be after available_from$/, 'form.untilAfterFrom'],
  [/^a consumable must define what it opens$/, 'form.consumableOpens'],
  [/^a cosmetic opens nothing$/, 'form.cosmeticOpens'],
  [/^change at least one field$/, 'form.changeSomething'],
  [/^a bundle must give something$/, 'form.bundleEmpty'],
  [/^already exists$/, 'form.taken'],
  [/^cannot be below the (\d+) units already sold$/, 'form.belowSold', 'n'],
  [/^unknown game type; known: (.*)$/, 'form.unknownGameType', 'known'],
  [/^no play(?: of \S+)? scores above (\d+)$/, 'form.minScoreTooHigh', 'max'],
  [/^unknown fields?$/, 'form.unknownField'],
];

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function knownMessage(message: string): Said | null {
  for (const [pattern, key, ...names] of KNOWN_MESSAGES) {
    const match = pattern.exec(message);
    if (match) return { key, vars: Object.fromEntries(names.map((name, i) => [name, match[i + 1]!])) };
  }
  return null;
}

/** A bound as people write it: 1,000,000,000 rather than 1000000000. */
const bound = (n: number | bigint | undefined) => (n === undefined ? '' : n.toLocaleString('en-US'));

/** What a zod issue says, by its code and bounds. */
function byCode(issue: FormIssue): Said {
  const kind = issue.origin === 'string' ? 'text' : issue.origin === 'array' || issue.origin === 'set' ? 'list' : issue.origin === 'number' || issue.origin === 'bigint' ? 'number' : null;
  switch (issue.code) {
    case 'too_small':
      // An empty text where one is needed is simply missing.
      if (kind === 'text' && Number(issue.minimum) <= 1) return { key: 'form.required' };
      if (kind === null) return { key: 'form.invalid' };
      return { key: `form.${kind}.${kind === 'number' && issue.inclusive === false ? 'above' : 'min'}`, vars: { min: bound(issue.minimum) } };
    case 'too_big':
      if (kind === null) return { key: 'form.invalid' };
      return { key: `form.${kind}.${kind === 'number' && issue.inclusive === false ? 'below' : 'max'}`, vars: { max: bound(issue.maximum) } };
    case 'invalid_type':
      // Only a value left out has no input (zod reports it when asked to).
      if (issue.input === undefined) return { key: 'form.required' };
      if (issue.expected === 'int') return { key: 'form.type.int' };
      if (issue.expected === 'number' || issue.expected === 'bigint') return { key: 'form.type.number' };
      return { key: 'form.invalid' };
    case 'invalid_format':
      return { key: issue.format === 'datetime' || issue.format === 'date' ? 'form.type.dateTime' : 'form.format' };
    case 'not_multiple_of':
      return issue.divisor === 1 ? { key: 'form.type.int' } : { key: 'form.multipleOf', vars: { n: bound(issue.divisor) } };
    case 'invalid_value':
      return { key: 'form.choice' };
    case 'unrecognized_keys':
      return { key: 'form.unknownField' };
    default:
      return { key: 'form.invalid' };
  }
}

/**
 * An issue of a form's check (the contract's zod schema) beside its field, in the UI's language:
 * a known contract message by its own key, else by the issue's code with its bounds (at least 1,
 * at most 64 characters, a whole number…). zod's own English messages are never shown.
 */
export function issueText(t: Translate, issue: FormIssue): string {
  const said = knownMessage(issue.message) ?? (issue.code === 'custom' ? { key: 'form.refused', vars: { message: issue.message } } : byCode(issue));
  return t(said.key, said.vars);
}

/**
 * A field error of the server's (`{field, message}`, the message in English): a known one in the
 * UI's language; any other as `form.refused` says it (English shows the server's words, Korean a
 * message of its own).
 */
export function serverFieldText(t: Translate, message: string): string {
  const said = knownMessage(message) ?? { key: 'form.refused', vars: { message } };
  return t(said.key, said.vars);
}
