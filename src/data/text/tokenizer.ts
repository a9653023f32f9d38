import { configError, formatError, is, isPlainObject, parseOptions, show, type OptionsSpec } from '../../core/index.js';
import { Tensor } from '../../tensor/index.js';
import { STANDARDIZE_NAMES, byFrequency, splitText, standardizeText, type Split, type Standardize } from './preprocess.js';

/** The four reserved tokens, always ids 0 to 3 in this order. */
export interface SpecialTokens {
  padding: string;
  start: string;
  end: string;
  unknown: string;
}

export interface TokenizerOptions {
  /** The most tokens the vocabulary keeps, the four special ones included (default: all seen). */
  maxTokens?: number | null;
  /** Cleaning before splitting, as TextVectorization's (CharTokenizer: null, WordTokenizer: 'lower_and_strip_punctuation'). */
  standardize?: Standardize;
  /** The reserved tokens' spellings; default `<pad>`, `<s>`, `</s>`, `<unk>`. */
  specialTokens?: Partial<SpecialTokens>;
}

export interface EncodeOptions {
  /** Put the start token's id first (default false). */
  addStart?: boolean;
  /** Put the end token's id last (default false). */
  addEnd?: boolean;
}

const DEFAULT_SPECIALS: SpecialTokens = { padding: '<pad>', start: '<s>', end: '</s>', unknown: '<unk>' };

const isStandardize = is.either(
  `null, a function, or ${STANDARDIZE_NAMES.map((n) => `'${n}'`).join(', ')}`,
  is.nullable(is.oneOf(...STANDARDIZE_NAMES)),
  is.function,
);
const SPEC: OptionsSpec = {
  keys: { maxTokens: is.nullable(is.positiveInteger), standardize: isStandardize, specialTokens: is.object },
};

/*
 * A vocabulary fitted on texts: ids 0..3 are padding, start, end and unknown, then the tokens seen,
 * most frequent first (ties in code-point order, so the same texts always give the same ids).
 * Padding is id 0 so that padSequences' default value and Embedding's maskZero agree with it.
 */
abstract class Tokenizer {
  readonly specialTokens: SpecialTokens;
  readonly maxTokens: number | null;
  readonly standardize: Standardize;
  private tokens: string[] = [];
  private ids = new Map<string, number>();

  protected abstract readonly split: Split;
  protected abstract readonly separator: string;

  constructor(options: TokenizerOptions | undefined, defaultStandardize: Standardize) {
    const where = this.constructor.name;
    const parsed = parseOptions<TokenizerOptions>(where, options, SPEC);
    this.maxTokens = parsed.maxTokens ?? null;
    if (this.maxTokens !== null && this.maxTokens < 5) {
      throw configError(where, { expected: 'maxTokens must be at least 5 (4 special tokens and one more)', got: show(this.maxTokens) });
    }
    this.standardize = parsed.standardize === undefined ? defaultStandardize : parsed.standardize;
    const specials = { ...DEFAULT_SPECIALS, ...parsed.specialTokens };
    const spellings = Object.values(specials);
    if (Object.keys(specials).length !== 4 || !spellings.every((s) => typeof s === 'string') || new Set(spellings).size !== 4) {
      throw configError(where, {
        expected: 'specialTokens takes padding, start, end and unknown, four different strings',
        got: show(parsed.specialTokens),
      });
    }
    this.specialTokens = specials;
    this.setVocabulary([]);
  }

  /** Every token by id, the special ones first. */
  get vocabulary(): readonly string[] {
    return this.tokens;
  }

  get vocabularySize(): number {
    return this.tokens.length;
  }

  readonly padId = 0;
  readonly startId = 1;
  readonly endId = 2;
  readonly unknownId = 3;

  /** The tokens of one text (standardized, split), before lookup. */
  tokenize(text: string): string[] {
    const where = `${this.constructor.name}.tokenize`;
    if (typeof text !== 'string') throw configError(where, { expected: 'text must be a string', got: show(text) });
    return splitText(standardizeText(text, this.standardize, where), this.split, where);
  }

  /** Builds the vocabulary from `texts` (replacing any earlier one); returns this tokenizer. */
  fit(texts: string | readonly string[]): this {
    const list = typeof texts === 'string' ? [texts] : texts;
    if (!Array.isArray(list))
      throw configError(`${this.constructor.name}.fit`, { expected: 'texts must be a string or an array of strings', got: show(texts) });
    const reserved = new Set(Object.values(this.specialTokens));
    const counts = new Map<string, number>();
    for (const text of list) for (const t of this.tokenize(text)) if (!reserved.has(t)) counts.set(t, (counts.get(t) ?? 0) + 1);
    this.setVocabulary(byFrequency(counts, this.maxTokens === null ? null : this.maxTokens - 4, 'ascending'));
    return this;
  }

  private setVocabulary(tokens: readonly string[]): void {
    const s = this.specialTokens;
    this.tokens = [s.padding, s.start, s.end, s.unknown, ...tokens];
    this.ids = new Map(this.tokens.map((t, i) => [t, i]));
  }

  /** The ids of one text; tokens not in the vocabulary get `unknownId`. */
  encode(text: string, options: EncodeOptions = {}): number[] {
    const ids = this.tokenize(text).map((t) => this.ids.get(t) ?? this.unknownId);
    if (options.addStart) ids.unshift(this.startId);
    if (options.addEnd) ids.push(this.endId);
    return ids;
  }

  /** The text of `ids` (a list or a 1-D tensor): special tokens are left out, and decoding stops at the first end token. */
  decode(ids: readonly number[] | Tensor): string {
    const where = `${this.constructor.name}.decode`;
    if (ids instanceof Tensor && ids.rank !== 1)
      throw configError(where, { expected: 'a 1-D tensor of ids (decode rows one at a time)', got: show(ids) });
    const list = ids instanceof Tensor ? Array.from(ids.data(), Number) : ids;
    const out: string[] = [];
    for (const id of list) {
      if (!Number.isInteger(id) || id < 0 || id >= this.tokens.length) {
        throw configError(where, {
          expected: `ids must be integers in [0, ${this.tokens.length - 1}] (the vocabulary's size)`,
          got: show(id),
        });
      }
      if (id === this.endId) break;
      if (id > this.unknownId) out.push(this.tokens[id]!);
    }
    return out.join(this.separator);
  }

  /** A JSON-ready object that `fromJSON` turns back into the same tokenizer. */
  toJSON(): { className: string; config: Record<string, unknown>; vocabulary: string[] } {
    if (typeof this.standardize === 'function') {
      throw configError(`${this.constructor.name}.toJSON`, {
        expected: 'a standardize function cannot be written to JSON',
        hint: 'use a named standardize, or clean the texts yourself before fit and encode',
      });
    }
    const config = { maxTokens: this.maxTokens, standardize: this.standardize, specialTokens: { ...this.specialTokens } };
    return { className: this.constructor.name, config, vocabulary: this.tokens.slice(4) };
  }

  protected static restore<T extends Tokenizer>(cls: new (options?: TokenizerOptions) => T, json: unknown): T {
    const where = `${cls.name}.fromJSON`;
    let value = json;
    if (typeof json === 'string') {
      try {
        value = JSON.parse(json);
      } catch (cause) {
        throw formatError(where, { expected: 'the text is not JSON', cause });
      }
    }
    if (!isPlainObject(value) || value.className !== cls.name || !isPlainObject(value.config)) {
      throw formatError(where, {
        expected: `expected {className: '${cls.name}', config, vocabulary} as toJSON writes it`,
        got: show(value),
      });
    }
    const vocabulary = value.vocabulary;
    if (!Array.isArray(vocabulary) || !vocabulary.every((t) => typeof t === 'string') || new Set(vocabulary).size !== vocabulary.length) {
      throw formatError(where, { expected: 'vocabulary must be an array of different strings', got: show(vocabulary) });
    }
    const tokenizer = new cls(value.config as TokenizerOptions);
    if (tokenizer.maxTokens !== null && vocabulary.length + 4 > tokenizer.maxTokens) {
      throw formatError(where, {
        expected: `the vocabulary holds ${vocabulary.length} tokens, more than maxTokens - 4`,
        got: show(tokenizer.maxTokens),
      });
    }
    if (vocabulary.some((t) => Object.values(tokenizer.specialTokens).includes(t))) {
      throw formatError(where, { expected: 'the vocabulary repeats a special token', got: show(vocabulary) });
    }
    tokenizer.setVocabulary(vocabulary);
    return tokenizer;
  }
}

/**
 * A character-level vocabulary (one token per Unicode code point), for models that read and write
 * names or words letter by letter. Text is kept as given unless `standardize` says otherwise.
 *
 * ```ts
 * const chars = new nr.text.CharTokenizer().fit(['anna', 'bob']);
 * chars.vocabulary; // ['<pad>', '<s>', '</s>', '<unk>', 'a', 'b', 'n', 'o']
 * chars.encode('nab', { addEnd: true }); // [6, 4, 5, 2]
 * chars.decode([6, 4, 5, 2]); // 'nab'
 * ```
 */
export class CharTokenizer extends Tokenizer {
  protected readonly split: Split = 'character';
  protected readonly separator = '';

  constructor(options?: TokenizerOptions) {
    super(options, null);
  }

  /** The tokenizer that `toJSON()` described (the object, or its JSON text). */
  static fromJSON(json: unknown): CharTokenizer {
    return Tokenizer.restore(CharTokenizer, json);
  }
}

/**
 * A word-level vocabulary: texts are standardized as TextVectorization's default (lower case,
 * Keras's punctuation removed) and split on whitespace; decode joins words with one space.
 *
 * ```ts
 * const words = new nr.text.WordTokenizer({ maxTokens: 6 }).fit(['The cat sat.', 'The dog!']);
 * words.vocabulary; // ['<pad>', '<s>', '</s>', '<unk>', 'the', 'cat']
 * words.encode('the dog'); // [4, 3]
 * ```
 */
export class WordTokenizer extends Tokenizer {
  protected readonly split: Split = 'whitespace';
  protected readonly separator = ' ';

  constructor(options?: TokenizerOptions) {
    super(options, 'lower_and_strip_punctuation');
  }

  static fromJSON(json: unknown): WordTokenizer {
    return Tokenizer.restore(WordTokenizer, json);
  }
}

export interface PadSequencesOptions {
  /** The length of every row; default the longest sequence. */
  maxlen?: number | null;
  /** 'pre' (default, as Keras) pads at the start, 'post' at the end. */
  padding?: 'pre' | 'post';
  /** 'pre' (default, as Keras) drops values from the start of a longer sequence, 'post' from its end. */
  truncating?: 'pre' | 'post';
  /** The padding value (default 0). */
  value?: number;
  /** 'int32' (default) or 'float32'. */
  dtype?: 'int32' | 'float32';
}

const PAD_SPEC: OptionsSpec = {
  keys: {
    maxlen: is.nullable(is.nonNegativeInteger),
    padding: is.oneOf('pre', 'post'),
    truncating: is.oneOf('pre', 'post'),
    value: is.number,
    dtype: is.oneOf('int32', 'float32'),
  },
};

/**
 * Keras's `pad_sequences`: a list of sequences of different lengths as one `[n, maxlen]` tensor.
 * Note Keras's defaults: padding and truncation both happen at the start ('pre').
 *
 * ```ts
 * nr.text.padSequences([[1, 2, 3], [4]]).toArray(); // [[1, 2, 3], [0, 0, 4]]
 * nr.text.padSequences([[1, 2, 3], [4]], { maxlen: 2, padding: 'post' }).toArray(); // [[2, 3], [4, 0]]
 * ```
 */
export function padSequences(sequences: readonly (readonly number[])[], options: PadSequencesOptions = {}): Tensor {
  const where = 'padSequences';
  const o = parseOptions<PadSequencesOptions>(where, options, PAD_SPEC);
  if (!Array.isArray(sequences))
    throw configError(where, { expected: 'sequences must be an array of arrays of numbers', got: show(sequences) });
  sequences.forEach((s, i) => {
    if (!Array.isArray(s) || !s.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw configError(where, { expected: `sequence ${i} must be an array of finite numbers`, got: show(s) });
    }
  });
  const dtype = o.dtype ?? 'int32';
  const value = o.value ?? 0;
  if (dtype === 'int32' && !Number.isInteger(value)) {
    throw configError(where, { expected: "value must be an integer for dtype 'int32'", got: show(value), hint: "pass dtype: 'float32'" });
  }
  if (dtype === 'int32' && !sequences.every((s) => s.every(Number.isInteger))) {
    throw configError(where, { expected: "every value must be an integer for dtype 'int32'", hint: "pass dtype: 'float32'" });
  }
  const maxlen = o.maxlen ?? sequences.reduce((m, s) => Math.max(m, s.length), 0);
  const out = dtype === 'int32' ? new Int32Array(sequences.length * maxlen) : new Float32Array(sequences.length * maxlen);
  out.fill(value);
  sequences.forEach((s, i) => {
    const kept = s.length <= maxlen ? s : o.truncating === 'post' ? s.slice(0, maxlen) : s.slice(s.length - maxlen);
    out.set(kept, i * maxlen + (o.padding === 'post' ? 0 : maxlen - kept.length));
  });
  return new Tensor(out, [sequences.length, maxlen], dtype);
}
