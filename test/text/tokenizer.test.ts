import { test } from 'node:test';
import { assert, nr } from '../helpers.js';

const { CharTokenizer, WordTokenizer, padSequences } = nr.text;
const throwsWith = (fn: () => unknown, kind: new (...args: never[]) => Error, pattern: RegExp) =>
  assert.throws(fn, (e: Error) => e instanceof kind && pattern.test(e.message), pattern.source);

test('CharTokenizer: special ids 0-3, then characters by frequency (ties in code-point order); encode, decode', () => {
  const chars = new CharTokenizer().fit(['anna', 'bob', 'Zoë']);
  assert.deepEqual(chars.vocabulary, ['<pad>', '<s>', '</s>', '<unk>', 'a', 'b', 'n', 'o', 'Z', 'ë']);
  assert.equal(chars.vocabularySize, 10);
  assert.deepEqual([chars.padId, chars.startId, chars.endId, chars.unknownId], [0, 1, 2, 3]);
  assert.deepEqual(chars.encode('nab'), [6, 4, 5]);
  assert.deepEqual(chars.encode('Zox', { addStart: true, addEnd: true }), [1, 8, 7, 3, 2]);
  // Special tokens are skipped and decoding stops at the first end token.
  assert.equal(chars.decode([1, 6, 4, 0, 5, 2, 4, 4]), 'nab');
  assert.equal(chars.decode(nr.tensor([9, 7], [2], 'int32')), 'ëo');
  assert.deepEqual(new CharTokenizer().fit('😀a😀').encode('😀'), [4]);
  throwsWith(() => chars.decode([10]), nr.ConfigError, /CharTokenizer.decode: ids must be integers in \[0, 9\].*got 10/);
  throwsWith(() => chars.decode(nr.zeros([2, 2])), nr.ConfigError, /a 1-D tensor of ids/);
});

test('WordTokenizer: standardized like TextVectorization, maxTokens counts the special tokens, decode joins with spaces', () => {
  const words = new WordTokenizer({ maxTokens: 7 }).fit(['The cat sat.', 'The dog sat!', 'A cat?']);
  assert.deepEqual(words.vocabulary, ['<pad>', '<s>', '</s>', '<unk>', 'cat', 'sat', 'the']);
  assert.deepEqual(words.encode('The cat ate', { addEnd: true }), [6, 4, 3, 2]);
  assert.equal(words.decode([6, 4, 3, 5]), 'the cat sat');
  const raw = new WordTokenizer({ standardize: null, specialTokens: { padding: '_' } }).fit(['Hi, you']);
  assert.deepEqual(raw.vocabulary, ['_', '<s>', '</s>', '<unk>', 'Hi,', 'you']);
  // A special token's spelling in the text is not learnt as a word.
  assert.deepEqual(new WordTokenizer({ standardize: null }).fit(['<s> hi']).vocabulary.slice(4), ['hi']);
});

test('tokenizers save and load as JSON with the same ids', () => {
  for (const tokenizer of [new CharTokenizer({ maxTokens: 8 }).fit(['hello world']), new WordTokenizer().fit(['one two two'])]) {
    const text = JSON.stringify(tokenizer);
    const Cls = tokenizer instanceof CharTokenizer ? CharTokenizer : WordTokenizer;
    const loaded = Cls.fromJSON(text);
    assert.deepEqual(loaded.vocabulary, tokenizer.vocabulary);
    assert.deepEqual(loaded.toJSON(), tokenizer.toJSON());
    assert.deepEqual(loaded.encode('two hello'), tokenizer.encode('two hello'));
  }
  const json = new WordTokenizer().fit(['a b']).toJSON();
  throwsWith(() => CharTokenizer.fromJSON(json), nr.FormatError, /CharTokenizer.fromJSON: expected \{className: 'CharTokenizer'/);
  throwsWith(() => WordTokenizer.fromJSON('{'), nr.FormatError, /the text is not JSON/);
  throwsWith(() => WordTokenizer.fromJSON({ ...json, vocabulary: ['a', 'a'] }), nr.FormatError, /different strings/);
  throwsWith(() => WordTokenizer.fromJSON({ ...json, vocabulary: ['<pad>'] }), nr.FormatError, /repeats a special token/);
  throwsWith(() => new WordTokenizer({ standardize: (s: string) => s }).toJSON(), nr.ConfigError, /standardize function cannot be written/);
});

test('tokenizer misuse: options and inputs are checked with messages that say what to change', () => {
  throwsWith(() => new CharTokenizer({ maxTokens: 4 }), nr.ConfigError, /CharTokenizer: maxTokens must be at least 5/);
  throwsWith(() => new WordTokenizer({ max_tokenz: 4 } as never), nr.ConfigError, /unknown option 'max_tokenz'; did you mean 'max_tokens'/);
  throwsWith(() => new WordTokenizer({ specialTokens: { start: '<pad>' } }), nr.ConfigError, /four different strings/);
  throwsWith(() => new WordTokenizer().fit(3 as never), nr.ConfigError, /WordTokenizer.fit: texts must be a string or an array/);
  throwsWith(() => new WordTokenizer().encode(3 as never), nr.ConfigError, /WordTokenizer.tokenize: text must be a string/);
});

test("padSequences: Keras's pad_sequences, 'pre' padding and truncation by default", () => {
  const seqs = [[1, 2, 3], [4], []];
  const out = padSequences(seqs);
  assert.equal(out.dtype, 'int32');
  assert.deepEqual(out.toArray(), [
    [1, 2, 3],
    [0, 0, 4],
    [0, 0, 0],
  ]);
  assert.deepEqual(padSequences(seqs, { maxlen: 2 }).toArray(), [
    [2, 3],
    [0, 4],
    [0, 0],
  ]);
  assert.deepEqual(padSequences(seqs, { maxlen: 2, padding: 'post', truncating: 'post', value: 9 }).toArray(), [
    [1, 2],
    [4, 9],
    [9, 9],
  ]);
  const floats = padSequences([[0.5]], { maxlen: 2, value: -1, dtype: 'float32' });
  assert.deepEqual([floats.dtype, floats.toArray()], ['float32', [[-1, 0.5]]]);
  assert.deepEqual(padSequences([]).shape, [0, 0]);
  throwsWith(() => padSequences([[1.5]]), nr.ConfigError, /every value must be an integer for dtype 'int32'; pass dtype: 'float32'/);
  throwsWith(() => padSequences([[1]], { value: 0.5 }), nr.ConfigError, /value must be an integer/);
  throwsWith(() => padSequences([[1], 'ab' as never]), nr.ConfigError, /sequence 1 must be an array of finite numbers/);
  throwsWith(() => padSequences([[1]], { padding: 'both' as never }), nr.ConfigError, /padding must be 'pre' or 'post'/);
});
