import { configError, shapeError, show } from '../../core/index.js';

/*
 * The string steps that TextVectorization and the tokenizers share, written to match Keras 3
 * (tf.strings underneath) on what a course feeds them: lower-casing, Keras's punctuation class,
 * ASCII-whitespace splitting, code-point splitting and tf.strings.ngrams.
 */

/** How text is cleaned before splitting: Keras's names, or a function of one string. */
export type Standardize = 'lower_and_strip_punctuation' | 'lower' | 'strip_punctuation' | null | ((text: string) => string);
/** How a cleaned text becomes tokens: Keras's names, or a function of one string. */
export type Split = 'whitespace' | 'character' | null | ((text: string) => readonly string[]);

export const STANDARDIZE_NAMES = ['lower_and_strip_punctuation', 'lower', 'strip_punctuation'] as const;
export const SPLIT_NAMES = ['whitespace', 'character'] as const;

// Keras's DEFAULT_STRIP_REGEX, ASCII punctuation only: `,-\.` in Keras's class is the range , - .
const PUNCTUATION = /[!"#$%&()*+,\-./:;<=>?@[\\\]^_`{|}~']/g;
// tf.strings.split with no separator splits on C's isspace (ASCII), so a no-break space stays inside a token.
const ASCII_WHITESPACE = /[ \t\n\v\f\r]+/;

export function standardizeText(text: string, standardize: Standardize, where: string): string {
  if (standardize === null) return text;
  if (typeof standardize === 'function') {
    const out = standardize(text);
    if (typeof out !== 'string') throw configError(where, { expected: 'the standardize function must return a string', got: show(out) });
    return out;
  }
  if (standardize !== 'strip_punctuation') text = text.toLowerCase();
  return standardize === 'lower' ? text : text.replace(PUNCTUATION, '');
}

export function splitText(text: string, split: Split, where: string): string[] {
  if (split === null) return [text];
  if (split === 'character') return Array.from(text);
  if (split === 'whitespace') return text.split(ASCII_WHITESPACE).filter((t) => t !== '');
  const out = split(text);
  if (!Array.isArray(out) || !out.every((t) => typeof t === 'string')) {
    throw configError(where, { expected: 'the split function must return an array of strings', got: show(out) });
  }
  return out;
}

/** tf.strings.ngrams(tokens, widths, separator ' '): every n-gram of the first width, then of the next. */
export function ngramsOf(tokens: string[], widths: readonly number[] | null): string[] {
  if (widths === null) return tokens;
  const out: string[] = [];
  for (const n of widths) for (let i = 0; i + n <= tokens.length; i++) out.push(n === 1 ? tokens[i]! : tokens.slice(i, i + n).join(' '));
  return out;
}

/** Compares by Unicode code point, as numpy and TensorFlow order the UTF-8 bytes (UTF-16 order differs above U+FFFF). */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  while (i < a.length && i < b.length && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === a.length || i === b.length) return a.length - b.length;
  return codePointRank(a.charCodeAt(i)) - codePointRank(b.charCodeAt(i));
}

// At the first differing UTF-16 unit, a surrogate (part of a code point above U+FFFF) must sort after
// U+E000..U+FFFF: moving surrogates up by 0x2000 and that range down by 0x800 gives code-point order.
function codePointRank(unit: number): number {
  return unit >= 0xe000 ? unit - 0x800 : unit >= 0xd800 ? unit + 0x2000 : unit;
}

/**
 * The `limit` most frequent tokens (all when null), most frequent first; ties broken as Keras's adapt
 * breaks them (numpy's lexsort of (token, count) reversed): the token that sorts last by code point
 * comes first. Tokens are bucketed by count so that only the buckets kept are sorted, as most
 * tokens of a corpus are seen once.
 */
export function byFrequency(
  counts: Iterable<readonly [string, number]>,
  limit: number | null,
  tieOrder: 'descending' | 'ascending' = 'descending',
): string[] {
  const buckets = new Map<number, string[]>();
  for (const [token, count] of counts) {
    const bucket = buckets.get(count);
    if (bucket) bucket.push(token);
    else buckets.set(count, [token]);
  }
  const out: string[] = [];
  const wanted = limit ?? Infinity;
  for (const count of [...buckets.keys()].sort((a, b) => b - a)) {
    if (out.length >= wanted) break;
    const bucket = buckets.get(count)!.sort(compareCodePoints);
    if (tieOrder === 'descending') bucket.reverse();
    for (let i = 0; i < bucket.length && out.length < wanted; i++) out.push(bucket[i]!);
  }
  return out;
}

/** The texts of `input` as a flat list: a string, strings, or Keras's `[batch, 1]` nesting. */
export function textRows(input: unknown, where: string): string[] {
  if (typeof input === 'string') return [input];
  if (!Array.isArray(input))
    throw configError(where, { expected: 'expected a string, an array of strings or an array of [string]', got: show(input) });
  return input.map((row: unknown, i) => {
    if (typeof row === 'string') return row;
    if (Array.isArray(row) && row.length === 1 && typeof row[0] === 'string') return row[0];
    throw (Array.isArray(row) ? shapeError : configError)(where, {
      expected: `row ${i} must be a string or a one-string array (Keras's [batch, 1] input)`,
      got: show(row),
      hint: 'give one text per row; join longer rows into one string first',
    });
  });
}
