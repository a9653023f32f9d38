import { test } from 'node:test';
import { assert, assertClose, nr } from '../../helpers.js';

const { TextVectorization } = nr.layers;
const throwsWith = (fn: () => unknown, kind: new (...args: never[]) => Error, pattern: RegExp) =>
  assert.throws(fn, (e: Error) => e instanceof kind && pattern.test(e.message), pattern.source);

test("TextVectorization adapt: Keras's docstring example, frequency order with ties broken high to low", () => {
  const layer = new TextVectorization({ maxTokens: 5000, outputMode: 'int', outputSequenceLength: 4 });
  layer.adapt(['foo bar', 'bar baz', 'baz bada boom']);
  // bar and baz twice, the rest once; within a count the token that sorts last comes first.
  assert.deepEqual(layer.getVocabulary(), ['', '[UNK]', 'baz', 'bar', 'foo', 'boom', 'bada']);
  assert.deepEqual(layer.getVocabulary(false), ['baz', 'bar', 'foo', 'boom', 'bada']);
  assert.equal(layer.vocabularySize(), 7);
  const out = layer.apply([['foo qux bar'], ['qux baz']]);
  assert.equal(out.dtype, 'int32');
  assert.deepEqual(out.toArray(), [
    [4, 1, 3, 0],
    [1, 2, 0, 0],
  ]);
  assert.deepEqual(layer.call(['foo qux bar', 'qux baz']).toArray(), out.toArray());
});

test('TextVectorization with a given vocabulary: as Keras, special tokens first, adapt refused', () => {
  const layer = new TextVectorization({ outputSequenceLength: 4, vocabulary: ['baz', 'bar', 'foo'] });
  assert.deepEqual(layer.apply([['foo qux bar'], ['qux baz']]).toArray(), [
    [4, 1, 3, 0],
    [1, 2, 0, 0],
  ]);
  const docs = new TextVectorization({ maxTokens: 5000, vocabulary: ['earth', 'wind', 'and', 'fire'] });
  assert.deepEqual(docs.getVocabulary(), ['', '[UNK]', 'earth', 'wind', 'and', 'fire']);
  const set = new TextVectorization({ max_tokens: 10, output_sequence_length: 4 } as never);
  set.setVocabulary(['', '[UNK]', 'baz', 'bar', 'foo']);
  assert.deepEqual(set.apply('foo qux bar').toArray(), [4, 1, 3, 0]);
  throwsWith(() => set.adapt(['a']), nr.ConfigError, /TextVectorization "text_vectorization.*".adapt: the vocabulary was given/);
  throwsWith(() => set.setVocabulary(['a', '[UNK]']), nr.ConfigError, /reserved token "\[UNK\]" may only lead the vocabulary/);
  throwsWith(() => set.setVocabulary(['a', 'b', 'a']), nr.ConfigError, /repeats a token \(vocabulary entry 2\)/);
  throwsWith(() => set.setVocabulary(Array.from({ length: 9 }, (_, i) => `t${i}`)), nr.ConfigError, /at most maxTokens 10 ids.*got 11/);
});

test('TextVectorization output length: pads with 0 and cuts at the end, or pads to the longest row', () => {
  const layer = new TextVectorization({ vocabulary: ['a', 'b', 'c', 'd', 'e'] });
  assert.deepEqual(layer.apply(['a b c d e', 'e']).toArray(), [
    [2, 3, 4, 5, 6],
    [6, 0, 0, 0, 0],
  ]);
  assert.deepEqual(layer.apply('b a').shape, [2]);
  assert.deepEqual(layer.apply([]).shape, [0, 0]);
  const cut = new TextVectorization({ vocabulary: ['a', 'b', 'c', 'd', 'e'], outputSequenceLength: 3 });
  assert.deepEqual(cut.apply(['a b c d e', '']).toArray(), [
    [2, 3, 4],
    [0, 0, 0],
  ]);
  // No vocabulary yet: 'int' still works, every token out of vocabulary.
  assert.deepEqual(new TextVectorization().apply(['x y']).toArray(), [[1, 1]]);
  const capped = new TextVectorization({ maxTokens: 4 });
  capped.adapt(['a a a b b c']);
  assert.deepEqual(capped.getVocabulary(), ['', '[UNK]', 'a', 'b']);
});

test('TextVectorization standardize and split: Keras punctuation class, Unicode lower case, ASCII whitespace, code points', () => {
  const layer = new TextVectorization({ vocabulary: ['x'] });
  const tokens = (options: object, text: string) => {
    const v = new TextVectorization({ ...options, outputMode: 'count', padToMaxTokens: true, maxTokens: 50 });
    v.adapt([text]);
    return v.getVocabulary(false).sort();
  };
  assert.deepEqual(tokens({}, "Ünïcode, ÇA! «quoted» it's a-b_c"), ['abc', 'ça', 'its', 'ünïcode', '«quoted»'].sort());
  assert.deepEqual(tokens({ standardize: 'lower' }, 'Hi, There!'), ['hi,', 'there!']);
  assert.deepEqual(tokens({ standardize: 'strip_punctuation' }, 'Hi, There!'), ['Hi', 'There']);
  assert.deepEqual(tokens({ standardize: null }, 'Hi, There!'), ['Hi,', 'There!']);
  // tf.strings.split splits on ASCII whitespace only: a no-break space stays inside its token.
  assert.deepEqual(tokens({}, ' a\u00a0b \t\n c  '), ['a\u00a0b', 'c']);
  assert.deepEqual(tokens({ split: 'character', standardize: null }, 'a😀a'), ['a', '😀']);
  assert.deepEqual(tokens({ split: null }, 'Two Words'), ['two words']);
  assert.deepEqual(tokens({ split: (s: string) => s.split('|'), standardize: (s: string) => s.toUpperCase() }, 'a|b'), ['A', 'B']);
  // Ties break by code point as numpy orders UTF-8, not by UTF-16 units (U+1F600 sorts after U+FF5E).
  const order = new TextVectorization({ standardize: null });
  order.adapt(['\uff5e 😀 a']);
  assert.deepEqual(order.getVocabulary(false), ['😀', '\uff5e', 'a']);
  assert.equal(layer.apply([['x']]).size, 1);
});

test('TextVectorization ngrams: widths 1..n, each width in turn, joined with a space', () => {
  const layer = new TextVectorization({ ngrams: 2 });
  layer.adapt(['a b c']);
  assert.deepEqual(layer.getVocabulary(false), ['c', 'b c', 'b', 'a b', 'a']);
  assert.deepEqual(layer.apply('a b').toArray(), [6, 4, 5]);
  const bigrams = new TextVectorization({ ngrams: [2], vocabulary: ['a b', 'b c'] });
  assert.deepEqual(bigrams.apply(['a b c d', 'a']).toArray(), [
    [2, 3, 1],
    [0, 0, 0],
  ]);
});

test('TextVectorization multi_hot, count and tf_idf: column 0 is out of vocabulary, tf_idf weights log(1 + n / (1 + df))', () => {
  const texts = ['foo bar', 'bar baz', 'baz bada boom'];
  const vocabulary = ['[UNK]', 'baz', 'bar', 'foo', 'boom', 'bada'];
  const query = ['foo bar bar qux', 'boom'];
  const multi = new TextVectorization({ outputMode: 'multi_hot' });
  multi.adapt(texts);
  assert.deepEqual(multi.getVocabulary(), vocabulary);
  assert.equal(multi.apply(query).dtype, 'float32');
  assert.deepEqual(multi.apply(query).toArray(), [
    [1, 0, 1, 1, 0, 0],
    [0, 0, 0, 0, 1, 0],
  ]);
  const count = new TextVectorization({ output_mode: 'count' } as never);
  count.adapt(texts);
  assert.deepEqual(count.apply(query).toArray(), [
    [1, 0, 2, 1, 0, 0],
    [0, 0, 0, 0, 1, 0],
  ]);
  const tfidf = new TextVectorization({ outputMode: 'tf_idf' });
  tfidf.adapt(texts);
  const twice = Math.log(1 + 3 / 3);
  const once = Math.log(1 + 3 / 2);
  const mean = (2 * twice + 3 * once) / 5; // '[UNK]' gets the mean of the learnt weights
  assertClose(tfidf.apply(query), [mean, 0, 2 * twice, once, 0, 0, 0, 0, 0, 0, once, 0], { rtol: 1e-6, atol: 1e-7 });
  const padded = new TextVectorization({ outputMode: 'multi_hot', maxTokens: 8, padToMaxTokens: true });
  padded.adapt(texts);
  assert.deepEqual(padded.apply('foo').toArray(), [0, 0, 0, 1, 0, 0, 0, 0]);
  const given = new TextVectorization({ outputMode: 'tf_idf', vocabulary: ['a', 'b'], idf: [1, 3] });
  assertClose(given.apply(['a a b c']), [2, 2, 3], { rtol: 1e-7, atol: 0 });
  throwsWith(() => new TextVectorization({ outputMode: 'count' }).apply(['a']), nr.ConfigError, /'count' needs a vocabulary.*call adapt/);
});

test('TextVectorization adapt reads batches from an iterable, and from an nr.data.Dataset (then it returns a promise)', async () => {
  function* batches() {
    yield ['hello world', 'foo bar'];
    yield ['baz qux', 'hello foo'];
  }
  const layer = new TextVectorization();
  layer.adapt(batches());
  assert.deepEqual(layer.getVocabulary().slice(0, 4), ['', '[UNK]', 'hello', 'foo']);
  const fromDataset = new TextVectorization();
  const pending = fromDataset.adapt(nr.data.Dataset.fromGenerator(() => ['b a', 'b']));
  assert.ok(pending instanceof Promise);
  await pending;
  assert.deepEqual(fromDataset.getVocabulary(), ['', '[UNK]', 'b', 'a']);
  // steps ends an endless iterable, as Keras's adapt(data, steps=...).
  function* forever() {
    for (let i = 0; ; i++) yield [`w${i}`];
  }
  const endless = new TextVectorization();
  endless.adapt(forever(), { steps: 3 });
  assert.deepEqual(endless.getVocabulary(), ['', '[UNK]', 'w2', 'w1', 'w0']);
  await endless.adapt(nr.data.Dataset.fromGenerator(() => ['x', 'y']).repeat(), { steps: 4 });
  assert.deepEqual(endless.getVocabulary(), ['', '[UNK]', 'y', 'x']);
  assert.throws(() => endless.adapt(['a'], { steps: 1 }), /steps is for an iterable of batches/);
  // adapt starts over each time, as Keras's.
  fromDataset.adapt(['z']);
  assert.deepEqual(fromDataset.getVocabulary(), ['', '[UNK]', 'z']);
});

test('TextVectorization getConfig/fromConfig: a JSON round trip keeps the vocabulary and weights, bit for bit', () => {
  const texts = ['the cat sat on the mat', 'the dog ate my homework', 'a cat and a dog'];
  for (const options of [
    { outputSequenceLength: 6, ngrams: [1, 2] },
    { outputMode: 'tf_idf' as const, maxTokens: 12, padToMaxTokens: true },
    { outputMode: 'count' as const, split: 'character' as const },
  ]) {
    const layer = new TextVectorization({ ...options, name: 'vectorizer' });
    layer.adapt(texts);
    const restored = TextVectorization.fromConfig(JSON.stringify(layer));
    assert.equal(restored.name, 'vectorizer');
    assert.deepEqual(restored.getVocabulary(), layer.getVocabulary());
    assert.deepEqual(restored.getConfig(), layer.getConfig());
    assert.deepEqual(Array.from(restored.apply(texts).data()), Array.from(layer.apply(texts).data()));
    // An adapted layer stays adaptable after loading; a given vocabulary stays fixed.
    restored.adapt(['new words']);
  }
  // A config as Keras 3's get_config writes it: snake_case keys, the given vocabulary without special tokens.
  const keras = TextVectorization.fromConfig({
    name: 'text_vectorization',
    trainable: true,
    dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' } },
    max_tokens: null,
    standardize: 'lower_and_strip_punctuation',
    split: 'whitespace',
    ngrams: null,
    output_mode: 'int',
    output_sequence_length: 5,
    pad_to_max_tokens: false,
    sparse: false,
    ragged: false,
    vocabulary: ['one', 'two'],
    idf_weights: null,
    encoding: 'utf-8',
    vocabulary_size: 4,
  });
  assert.deepEqual(keras.apply(['two one three']).toArray(), [[3, 2, 1, 0, 0]]);
  throwsWith(() => keras.adapt(['b']), nr.ConfigError, /vocabulary was given/);
  const kerasTfidf = { output_mode: 'tf_idf', vocabulary: ['a', 'b'], idf_weights: [0.5, 1.5] };
  assertClose(TextVectorization.fromConfig(kerasTfidf).apply(['b c']), [1, 0, 1.5], { rtol: 1e-7, atol: 0 });
  const fresh = TextVectorization.fromConfig(JSON.stringify(new TextVectorization({ outputMode: 'tf_idf' })));
  fresh.adapt(['a']);
  assert.deepEqual(fresh.getVocabulary(), ['[UNK]', 'a']);
  const fixed = TextVectorization.fromConfig(new TextVectorization({ vocabulary: ['a'] }).getConfig());
  throwsWith(() => fixed.adapt(['b']), nr.ConfigError, /vocabulary was given/);
  throwsWith(() => new TextVectorization({ split: (s: string) => [s] }).getConfig(), nr.ConfigError, /a split function cannot be written/);
  throwsWith(() => TextVectorization.fromConfig('{oops'), nr.FormatError, /TextVectorization.fromConfig: the text is not JSON/);
  throwsWith(() => TextVectorization.fromConfig({ vocabulary: [1] }), nr.FormatError, /vocabulary must be an array of strings/);
});

test('TextVectorization misuse: each message names the layer and says what to change', () => {
  const where = /TextVectorization "tv"/;
  const make = (options: object) => () => new TextVectorization({ name: 'tv', ...options });
  throwsWith(make({ sparse: true }), nr.ConfigError, /"tv": sparse output is not supported/);
  throwsWith(make({ ragged: true }), nr.ConfigError, /no ragged tensors.*outputSequenceLength/);
  throwsWith(make({ outputMode: 'one_hot' }), nr.ConfigError, /'one_hot' is not supported; use 'int' and nr.oneHot/);
  throwsWith(make({ outputMode: 'words' }), nr.ConfigError, /outputMode must be 'int', 'multi_hot', 'count', 'tf_idf', got "words"/);
  throwsWith(make({ outputMode: 'count', outputSequenceLength: 3 }), nr.ConfigError, /outputSequenceLength is only for outputMode 'int'/);
  throwsWith(make({ padToMaxTokens: true }), nr.ConfigError, /padToMaxTokens needs maxTokens/);
  throwsWith(make({ maxTokens: 1 }), nr.ConfigError, /maxTokens must be greater than 1/);
  throwsWith(make({ standardize: 'upper' }), nr.ConfigError, /standardize must be null, a function, or 'lower_and_strip_punctuation'/);
  throwsWith(
    make({ output_sequence_lenght: 3 }),
    nr.ConfigError,
    /unknown option 'output_sequence_lenght'; did you mean 'output_sequence_length'/,
  );
  throwsWith(make({ outputMode: 'tf_idf', vocabulary: ['a'] }), nr.ConfigError, /'tf_idf' needs idfWeights/);
  throwsWith(make({ encoding: 'latin-1' }), nr.ConfigError, /encoding must be 'utf-8'/);
  const layer = new TextVectorization({ name: 'tv' });
  throwsWith(() => layer.apply(nr.tensor([1]) as never), nr.ConfigError, /takes strings, not tensors.*before the model/);
  throwsWith(
    () => layer.apply([['a', 'b']] as never),
    nr.ShapeError,
    /row 0 must be a string or a one-string array \(Keras's \[batch, 1\] input\)/,
  );
  throwsWith(() => layer.apply([3] as never), nr.ConfigError, where);
  throwsWith(() => layer.adapt(5 as never), nr.ConfigError, /"tv".adapt: data must be texts/);
});
