import { configError, formatError, is, isPlainObject, parseOptions, show, type OptionsSpec } from '../../../core/index.js';
import { Tensor } from '../../../tensor/index.js';
import {
  SPLIT_NAMES,
  STANDARDIZE_NAMES,
  byFrequency,
  ngramsOf,
  splitText,
  standardizeText,
  textRows,
  type Split,
  type Standardize,
} from '../../../data/text/preprocess.js';
import { snakeCase, uniqueName } from '../../layer.js';

export type TextOutputMode = 'int' | 'multi_hot' | 'count' | 'tf_idf';

export interface TextVectorizationOptions {
  name?: string;
  /** The largest vocabulary, special tokens included (default: no limit). */
  maxTokens?: number | null;
  /** Default 'lower_and_strip_punctuation'; a function takes and returns one string. */
  standardize?: Standardize;
  /** Default 'whitespace'; a function takes one string and returns its tokens. */
  split?: Split;
  /** n-grams made of the split tokens: n gives widths 1..n, a list gives those widths (default none). */
  ngrams?: number | readonly number[] | null;
  /** Default 'int'. */
  outputMode?: TextOutputMode;
  /** 'int' only: pad with 0 or cut at the end to this length (default: the longest row of each call). */
  outputSequenceLength?: number | null;
  /** Non-'int' modes: output maxTokens columns even when the vocabulary is smaller (default false). */
  padToMaxTokens?: boolean;
  /** A fixed vocabulary instead of adapt (special tokens may lead it, in order). */
  vocabulary?: readonly string[] | null;
  /** 'tf_idf' with a fixed vocabulary: one weight per vocabulary entry. */
  idfWeights?: readonly number[] | null;
  /** Another name of idfWeights. */
  idf?: readonly number[] | null;
  /** Keras's: sparse output is not supported. */
  sparse?: boolean;
  /** Keras's: ragged output is not supported. */
  ragged?: boolean;
  /** Only 'utf-8': JavaScript strings are already text. */
  encoding?: string;
  /** Set by fromConfig: whether the vocabulary was given (so adapt is refused) or learnt. */
  hasInputVocabulary?: boolean;
}

const MODES = ['int', 'multi_hot', 'count', 'tf_idf'] as const;
// Keras's spellings from before it renamed them.
const MODE_ALIASES: Readonly<Record<string, TextOutputMode>> = { binary: 'multi_hot', 'tf-idf': 'tf_idf' };
const OOV = '[UNK]';
const MASK = '';

const SPEC: OptionsSpec = {
  keys: {
    name: is.string,
    maxTokens: is.nullable(is.positiveInteger),
    standardize: is.either(
      `null, a function, or ${STANDARDIZE_NAMES.map((n) => `'${n}'`).join(', ')}`,
      is.nullable(is.oneOf(...STANDARDIZE_NAMES)),
      is.function,
    ),
    split: is.either(
      `null, a function, or ${SPLIT_NAMES.map((n) => `'${n}'`).join(', ')}`,
      is.nullable(is.oneOf(...SPLIT_NAMES)),
      is.function,
    ),
    ngrams: is.either(
      'null, a positive integer or a list of them',
      is.nullable(is.positiveInteger),
      is.arrayOf(is.positiveInteger, 'positive integers'),
    ),
    outputMode: is.string,
    outputSequenceLength: is.nullable(is.positiveInteger),
    padToMaxTokens: is.boolean,
    vocabulary: is.nullable(is.arrayOf(is.string, 'an array of strings')),
    idfWeights: is.nullable(is.arrayOf(is.number, 'an array of finite numbers')),
    sparse: is.boolean,
    ragged: is.boolean,
    encoding: is.string,
    hasInputVocabulary: is.boolean,
    // Keras's get_config writes these two; both are read from the layer itself.
    vocabularySize: is.any,
    trainable: is.any,
    dtype: is.any,
  },
  aliases: { idf: 'idfWeights' },
};

/** What `adapt` reads: texts, or batches of them (an iterable, or an async one such as an nr.data.Dataset). */
export type TextAdaptData = string | readonly string[] | readonly (readonly string[])[] | Iterable<string | readonly string[]>;

/**
 * Keras 3's TextVectorization: strings to token ids ('int') or to one row of counts per text
 * ('multi_hot', 'count', 'tf_idf'). `adapt(texts)` learns the vocabulary, most frequent first;
 * in 'int' mode id 0 is padding ('') and id 1 the out-of-vocabulary token '[UNK]', in the other
 * modes column 0 counts out-of-vocabulary tokens. neurona's tensors hold numbers, so this layer
 * works before a model, not inside it: `vectorizer.apply(texts)` gives the int32 (or float32)
 * tensor that the model's first layer (Embedding, Dense) reads. Output: `[batch, length]` for
 * 'int', `[batch, vocabularySize]` otherwise; a single string gives one row without the batch axis.
 *
 * ```ts
 * const vectorizer = new nr.layers.TextVectorization({ outputSequenceLength: 4 });
 * vectorizer.adapt(['the cat sat', 'the dog']);
 * vectorizer.getVocabulary(); // ['', '[UNK]', 'the', 'sat', 'dog', 'cat']
 * vectorizer.apply(['The dog sat!', 'a cat']).toArray(); // [[2, 4, 3, 0], [1, 5, 0, 0]]
 * ```
 */
export class TextVectorization {
  readonly name: string;
  readonly maxTokens: number | null;
  readonly standardize: Standardize;
  readonly split: Split;
  readonly ngrams: number | readonly number[] | null;
  readonly outputMode: TextOutputMode;
  readonly outputSequenceLength: number | null;
  readonly padToMaxTokens: boolean;
  private readonly widths: readonly number[] | null;
  private hasInputVocabulary: boolean;
  /** Learnt or given tokens, special ones excluded. */
  private tokens: string[] = [];
  private lookup = new Map<string, number>();
  /** One weight per output column ('tf_idf'). */
  private idf: Float32Array | null = null;
  private readonly where: string;

  constructor(options: TextVectorizationOptions = {}) {
    const given = isPlainObject(options) && typeof options.name === 'string' ? options.name : undefined;
    this.name = given ?? uniqueName(snakeCase('TextVectorization'));
    this.where = `TextVectorization "${this.name}"`;
    const o = parseOptions<TextVectorizationOptions>(this.where, options, SPEC);
    const mode: string = o.outputMode === undefined ? 'int' : (MODE_ALIASES[o.outputMode] ?? o.outputMode);
    if (mode === 'one_hot') {
      throw configError(this.where, {
        expected: "outputMode 'one_hot' is not supported",
        hint: "use 'int' and nr.oneHot(ids, depth), or 'multi_hot' for one row per text",
      });
    }
    if (!(MODES as readonly string[]).includes(mode)) {
      throw configError(this.where, { expected: `outputMode must be ${MODES.map((m) => `'${m}'`).join(', ')}`, got: show(o.outputMode) });
    }
    this.outputMode = mode as TextOutputMode;
    if (o.sparse)
      throw configError(this.where, { expected: 'sparse output is not supported', hint: 'drop sparse: the output is a dense tensor' });
    if (o.ragged) {
      throw configError(this.where, {
        expected: 'ragged output is not supported (neurona has no ragged tensors)',
        hint: 'drop ragged: rows are padded with 0 to the longest or to outputSequenceLength, and the zeros can be masked (maskZero)',
      });
    }
    if (o.encoding !== undefined && o.encoding.toLowerCase().replace('_', '-') !== 'utf-8') {
      throw configError(this.where, {
        expected: "encoding must be 'utf-8' (JavaScript strings are already decoded)",
        got: show(o.encoding),
      });
    }
    this.maxTokens = o.maxTokens ?? null;
    if (this.maxTokens !== null && this.maxTokens < 2) {
      throw configError(this.where, { expected: 'maxTokens must be greater than 1 (Keras has the same rule)', got: show(this.maxTokens) });
    }
    this.padToMaxTokens = o.padToMaxTokens ?? false;
    if (this.padToMaxTokens && this.maxTokens === null) {
      throw configError(this.where, { expected: 'padToMaxTokens needs maxTokens', hint: 'give maxTokens, the number of output columns' });
    }
    if (this.outputMode !== 'int' && o.outputSequenceLength != null) {
      throw configError(this.where, {
        expected: "outputSequenceLength is only for outputMode 'int'",
        got: show(o.outputSequenceLength),
        hint: `drop it: '${this.outputMode}' gives one row per text`,
      });
    }
    this.outputSequenceLength = o.outputSequenceLength ?? null;
    this.standardize = o.standardize === undefined ? 'lower_and_strip_punctuation' : o.standardize;
    this.split = o.split === undefined ? 'whitespace' : o.split;
    this.ngrams = o.ngrams ?? null;
    this.widths =
      this.ngrams === null ? null : typeof this.ngrams === 'number' ? Array.from({ length: this.ngrams }, (_, i) => i + 1) : this.ngrams;
    if (o.idfWeights != null && this.outputMode !== 'tf_idf') {
      throw configError(this.where, { expected: "idfWeights is only for outputMode 'tf_idf'", hint: 'drop idfWeights' });
    }
    this.hasInputVocabulary = o.hasInputVocabulary ?? o.vocabulary != null;
    if (o.vocabulary != null) this.assignVocabulary(o.vocabulary, o.idfWeights ?? null, this.where);
    else if (this.outputMode === 'tf_idf' && this.hasInputVocabulary) {
      throw configError(this.where, { expected: "outputMode 'tf_idf' with a given vocabulary needs idfWeights" });
    }
  }

  /** Index of the first learnt token: 2 in 'int' mode ('' and '[UNK]' first), else 1 ('[UNK]'). */
  private get tokenStart(): number {
    return this.outputMode === 'int' ? 2 : 1;
  }

  private get specials(): string[] {
    return this.outputMode === 'int' ? [MASK, OOV] : [OOV];
  }

  /** The vocabulary by id: with the special tokens first (default) or without them. */
  getVocabulary(includeSpecialTokens = true): string[] {
    return includeSpecialTokens ? [...this.specials, ...this.tokens] : [...this.tokens];
  }

  /** The number of ids, special tokens included. */
  vocabularySize(): number {
    return this.tokenStart + this.tokens.length;
  }

  /** Sets the vocabulary (and 'tf_idf''s weights) directly; adapt is refused afterwards, as in Keras. */
  setVocabulary(vocabulary: readonly string[], idfWeights: readonly number[] | null = null): void {
    const where = `${this.where}.setVocabulary`;
    if (!Array.isArray(vocabulary) || !vocabulary.every((t) => typeof t === 'string')) {
      throw configError(where, { expected: 'vocabulary must be an array of strings', got: show(vocabulary) });
    }
    if (idfWeights !== null && (!Array.isArray(idfWeights) || !idfWeights.every(Number.isFinite))) {
      throw configError(where, { expected: 'idfWeights must be an array of finite numbers', got: show(idfWeights) });
    }
    this.assignVocabulary(vocabulary, idfWeights, where);
    this.hasInputVocabulary = true;
  }

  private assignVocabulary(vocabulary: readonly string[], idfWeights: readonly number[] | null, where: string): void {
    if (this.outputMode === 'tf_idf' && idfWeights === null) {
      throw configError(where, {
        expected: "outputMode 'tf_idf' needs idfWeights with the vocabulary",
        hint: 'give one weight per vocabulary entry',
      });
    }
    if (this.outputMode !== 'tf_idf' && idfWeights !== null) {
      throw configError(where, { expected: "idfWeights is only for outputMode 'tf_idf'", hint: 'drop idfWeights' });
    }
    const specials = this.specials;
    const leads = specials.every((s, i) => vocabulary[i] === s);
    const tokens = leads ? vocabulary.slice(specials.length) : [...vocabulary];
    const seen = new Set<string>();
    for (const [i, t] of tokens.entries()) {
      const shown = `vocabulary entry ${i + (leads ? specials.length : 0)}`;
      if (seen.has(t))
        throw configError(where, { expected: `the vocabulary repeats a token (${shown})`, got: show(t), hint: 'remove repeats' });
      if (specials.includes(t)) {
        throw configError(where, {
          expected: `the reserved token ${show(t)} may only lead the vocabulary, in this order: ${show(specials)}`,
          got: `it at ${shown}`,
          hint: 'leave the special tokens out of the vocabulary, or put them first',
        });
      }
      seen.add(t);
    }
    if (this.maxTokens !== null && tokens.length + this.tokenStart > this.maxTokens) {
      throw configError(where, {
        expected: `a vocabulary of at most maxTokens ${this.maxTokens} ids (special tokens included)`,
        got: `${tokens.length + this.tokenStart}`,
      });
    }
    if (idfWeights !== null) {
      if (idfWeights.length !== vocabulary.length) {
        throw configError(where, {
          expected: `idfWeights must have one weight per vocabulary entry (${vocabulary.length})`,
          got: `${idfWeights.length}`,
        });
      }
      // As Keras: without special tokens given, '[UNK]' gets the average of the given weights.
      const mean = idfWeights.reduce((a, b) => a + b, 0) / Math.max(idfWeights.length, 1);
      this.setIdf(leads ? idfWeights : [mean, ...idfWeights]);
    }
    this.setTokens(tokens);
  }

  private setTokens(tokens: string[]): void {
    this.tokens = tokens;
    this.lookup = new Map(tokens.map((t, i) => [t, i + this.tokenStart]));
  }

  private setIdf(weights: readonly number[] | Float32Array): void {
    const columns = this.padToMaxTokens ? this.maxTokens! : weights.length;
    this.idf = new Float32Array(columns);
    this.idf.set(weights);
  }

  /** One text's tokens: standardized, split, n-grams. */
  private tokenize(text: string): string[] {
    const tokens = splitText(standardizeText(text, this.standardize, this.where), this.split, this.where);
    return ngramsOf(tokens, this.widths);
  }

  /**
   * Learns the vocabulary (and 'tf_idf''s document frequencies) from texts, replacing the last one.
   * Each string is one document. Batches from an async iterable (an nr.data.Dataset) make it async.
   */
  adapt(data: TextAdaptData, options?: { steps?: number }): void;
  adapt(data: AsyncIterable<string | readonly string[]>, options?: { steps?: number }): Promise<void>;
  adapt(data: TextAdaptData | AsyncIterable<string | readonly string[]>, options: { steps?: number } = {}): void | Promise<void> {
    const where = `${this.where}.adapt`;
    // Keras's steps: how many batches of an iterable to read, so that an endless one (dataset.repeat()) ends.
    const { steps } = parseOptions<{ steps?: number }>(where, options, { keys: { steps: is.positiveInteger } });
    if (this.hasInputVocabulary) {
      throw configError(where, {
        expected: 'the vocabulary was given (vocabulary option or setVocabulary), so it cannot be adapted',
        hint: 'construct a TextVectorization without a vocabulary to learn one',
      });
    }
    // One entry per token: its count, the documents holding it ('tf_idf'), and the last document seen.
    const stats = new Map<string, { count: number; documents: number; last: number }>();
    let n = 0;
    const add = (batch: unknown) => {
      for (const text of textRows(batch, where)) {
        for (const t of this.tokenize(text)) {
          const entry = stats.get(t);
          if (!entry) stats.set(t, { count: 1, documents: 1, last: n });
          else {
            entry.count++;
            if (entry.last !== n) {
              entry.documents++;
              entry.last = n;
            }
          }
        }
        n++;
      }
    };
    let read = 0;
    if (typeof data === 'string' || Array.isArray(data)) {
      if (steps !== undefined) throw configError(where, { expected: 'steps is for an iterable of batches, not an array of texts' });
      add(data);
    } else if (data !== null && typeof data === 'object' && Symbol.asyncIterator in data) {
      return (async () => {
        for await (const batch of data as AsyncIterable<unknown>) {
          add(batch);
          if (++read === steps) break;
        }
        this.finishAdapt(stats, n);
      })();
    } else if (data !== null && typeof data === 'object' && Symbol.iterator in data) {
      for (const batch of data as Iterable<unknown>) {
        add(batch);
        if (++read === steps) break;
      }
    } else {
      throw configError(where, { expected: 'data must be texts (strings) or an iterable of batches of texts', got: show(data) });
    }
    this.finishAdapt(stats, n);
  }

  private finishAdapt(stats: Map<string, { count: number; documents: number }>, n: number): void {
    stats.delete(MASK);
    stats.delete(OOV);
    const counts = Array.from(stats, ([t, s]) => [t, s.count] as const);
    const tokens = byFrequency(counts, this.maxTokens === null ? null : this.maxTokens - this.tokenStart);
    if (this.outputMode === 'tf_idf') {
      const weights = tokens.map((t) => Math.fround(Math.log(1 + n / (1 + stats.get(t)!.documents))));
      let mean = 0;
      for (const w of weights) mean += w;
      mean = weights.length > 0 ? Math.fround(mean / weights.length) : 0;
      this.setIdf([mean, ...weights]);
    }
    this.setTokens(tokens);
  }

  /** Vectorizes texts: a string, an array of strings, or Keras's `[batch, 1]` nesting. */
  apply(texts: string | readonly string[] | readonly (readonly string[])[]): Tensor {
    const where = this.where;
    if ((texts as unknown) instanceof Tensor) {
      throw configError(where, {
        expected: 'TextVectorization takes strings, not tensors',
        hint: 'call vectorizer.apply(texts) before the model and give the model the tensor it returns',
      });
    }
    const rows = textRows(texts, where).map((text) => this.tokenize(text));
    const single = typeof texts === 'string';
    if (this.outputMode === 'int') {
      const length = this.outputSequenceLength ?? rows.reduce((m, r) => Math.max(m, r.length), 0);
      const out = new Int32Array(rows.length * length);
      rows.forEach((row, i) => {
        for (let j = 0; j < Math.min(length, row.length); j++) out[i * length + j] = row[j] === MASK ? 0 : (this.lookup.get(row[j]!) ?? 1);
      });
      return new Tensor(out, single ? [length] : [rows.length, length], 'int32');
    }
    if (!this.padToMaxTokens && this.tokens.length === 0 && !this.hasInputVocabulary) {
      throw configError(where, {
        expected: `outputMode '${this.outputMode}' needs a vocabulary before it is applied`,
        hint: 'call adapt(texts) first, give vocabulary, or set padToMaxTokens with maxTokens',
      });
    }
    const depth = this.padToMaxTokens ? this.maxTokens! : this.vocabularySize();
    const out = new Float32Array(rows.length * depth);
    rows.forEach((row, i) => {
      for (const t of row) {
        if (t === MASK) continue;
        const k = i * depth + (this.lookup.get(t) ?? 0);
        out[k] = this.outputMode === 'multi_hot' ? 1 : out[k]! + 1;
      }
    });
    if (this.outputMode === 'tf_idf') for (let k = 0; k < out.length; k++) out[k]! *= this.idf![k % depth]!;
    return new Tensor(out, single ? [depth] : [rows.length, depth], 'float32');
  }

  /** Keras's name for the same computation. */
  call(texts: string | readonly string[] | readonly (readonly string[])[]): Tensor {
    return this.apply(texts);
  }

  /**
   * The options that rebuild this vectorizer with `fromConfig`, its vocabulary (special tokens
   * first) and 'tf_idf''s weights included, so that a JSON round trip predicts bit for bit the same.
   */
  getConfig(): Record<string, unknown> {
    for (const [key, value] of [
      ['standardize', this.standardize],
      ['split', this.split],
    ] as const) {
      if (typeof value === 'function') {
        throw configError(`${this.where}.getConfig`, {
          expected: `a ${key} function cannot be written to a config`,
          hint: `use a named ${key}, or rebuild the vectorizer in code with setVocabulary(getVocabulary())`,
        });
      }
    }
    return {
      name: this.name,
      maxTokens: this.maxTokens,
      standardize: this.standardize,
      split: this.split,
      ngrams: Array.isArray(this.ngrams) ? [...this.ngrams] : this.ngrams,
      outputMode: this.outputMode,
      outputSequenceLength: this.outputSequenceLength,
      padToMaxTokens: this.padToMaxTokens,
      sparse: false,
      ragged: false,
      vocabulary: this.getVocabulary(),
      idfWeights: this.idf ? Array.from(this.idf.subarray(0, this.vocabularySize())) : null,
      encoding: 'utf-8',
      vocabularySize: this.vocabularySize(),
      hasInputVocabulary: this.hasInputVocabulary,
    };
  }

  /** The vectorizer `getConfig()` described (the object, or the JSON text of it). */
  static fromConfig(config: unknown): TextVectorization {
    const where = 'TextVectorization.fromConfig';
    const value = typeof config === 'string' ? parseJson(config) : config;
    if (!isPlainObject(value)) throw formatError(where, { expected: 'expected a config object', got: show(value) });
    if (value.vocabulary != null && (!Array.isArray(value.vocabulary) || !value.vocabulary.every((t) => typeof t === 'string'))) {
      throw formatError(where, { expected: 'vocabulary must be an array of strings', got: show(value.vocabulary) });
    }
    // Keras's snake_case config reads the same as ours once its keys are normalised.
    const { vocabulary, idfWeights, hasInputVocabulary, ...rest } = parseOptions<TextVectorizationOptions>(where, value, SPEC);
    const layer = new TextVectorization(rest);
    // A layer never adapted wrote only the special tokens (and, in 'tf_idf', no weights): nothing to set.
    const onlySpecials =
      vocabulary != null && layer.specials.every((t, i) => vocabulary[i] === t) && vocabulary.length === layer.tokenStart;
    if (vocabulary != null && !(onlySpecials && idfWeights == null)) layer.assignVocabulary(vocabulary, idfWeights ?? null, where);
    // As Keras: a config without the flag (Keras's own) has a fixed vocabulary when it lists one.
    layer.hasInputVocabulary = hasInputVocabulary ?? vocabulary != null;
    return layer;
  }

  /** The same as getConfig: `JSON.stringify(vectorizer)` saves it. */
  toJSON(): Record<string, unknown> {
    return this.getConfig();
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw formatError('TextVectorization.fromConfig', { expected: 'the text is not JSON', cause });
  }
}
