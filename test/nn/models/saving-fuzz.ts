/**
 * Fuzz harness for `nr.loadModel`: a few valid saved models (a Sequential of several layer types,
 * compiled with an optimizer that has state; a functional model with a shared layer and two
 * outputs) are saved once, then each case mutates `model.json` (JSON-aware edits or byte-level
 * damage) and/or `model.safetensors` (the safetensors harness's mutators plus model-aware edits:
 * swapped, reshaped, renamed, retyped or dropped tensors), writes the mutant into a fresh directory
 * and loads it. A case passes when
 * - it loads and the model predicts, or it is rejected with a FormatError (ConfigError is not
 *   acceptable: loadModel documents FormatError for every bad file), within the time box;
 * - no file outside the case directory was read, stat'ed, opened or written while loading (the
 *   fs functions are wrapped and every path they receive is checked), the case directory holds the
 *   same two files afterwards and nothing new appeared beside it;
 * - Object.prototype and Array.prototype are unchanged.
 * model.json edits include type swaps (a value replaced by one of another JSON type) and the
 * names every object inherits in name-valued fields; exceptions that are not NeuronaErrors are
 * counted on their own. Used by saving-fuzz.test.ts (CI) and scripts/fuzz.ts (`npm run fuzz`, second phase).
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { cpSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import * as nr from '../../../src/index.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsDType } from '../../../src/io/safetensors.js';
import { MUTATIONS as SAFETENSORS_MUTATIONS, rng } from '../../io/safetensors.fuzz.js';

export interface SavingFuzzReport {
  cases: number;
  accepted: number;
  rejected: number;
  /** Exceptions other than FormatError, failed predictions of accepted models (the two below included). */
  crashes: number;
  /** Exceptions that are not NeuronaErrors at all (a TypeError, a RangeError, ...): bugs in a check. */
  nonNeuronaErrors: number;
  /** NeuronaErrors of another class than FormatError escaping loadModel. */
  wrongErrorClass: number;
  /** Cases whose model.json had a field's value replaced by another JSON type, or a hostile name. */
  typeSwaps: number;
  hostileNames: number;
  /** Cases slower than the time box. */
  hangs: number;
  /** Files touched outside the case directory, or directory listings that changed. */
  escapes: number;
  /** Cases after which Object.prototype or Array.prototype differ. */
  pollutions: number;
  examples: string[];
  seconds: number;
}

const L = nr.layers;

interface Seed {
  name: string;
  json: string;
  weights: Uint8Array;
}

/** The valid models every case starts from (saved once per run). */
async function makeSeeds(root: string): Promise<Seed[]> {
  nr.setSeed(3);
  const x = nr.randn([8, 4]);
  const seq = new nr.Sequential([
    new L.Reshape({ targetShape: [2, 2], inputShape: [4] }),
    new L.Flatten(),
    new L.Dense({ units: 6, activation: 'tanh' }),
    new L.Dropout({ rate: 0.3 }),
    new L.Maxout({ units: 3, pieces: 2 }),
    new L.LeakyReLU({ alpha: 0.2 }),
    new L.Dense({ units: 2 }),
    new L.Softmax(),
  ]);
  seq.compile({ optimizer: new nr.optimizers.Adam({ learningRate: 0.01 }), loss: 'categorical_crossentropy', metrics: ['accuracy'] });
  await seq.fit(
    x,
    nr.tensor([
      [1, 0],
      [0, 1],
      [1, 0],
      [0, 1],
      [1, 0],
      [0, 1],
      [1, 0],
      [0, 1],
    ]),
    { epochs: 1, verbose: 0 },
  );

  const input = nr.Input({ shape: [4] });
  const shared = new L.Dense({ units: 4, activation: 'tanh' });
  const h = shared.apply(shared.apply(input));
  const a = new L.Dense({ units: 2, name: 'out_a' }).apply(h);
  const b = new L.Dense({ units: 1, activation: 'sigmoid', name: 'out_b' }).apply(new L.Dropout({ rate: 0.2 }).apply(h));
  const fn = new nr.Model({ inputs: input, outputs: [a, b] });
  fn.compile({ optimizer: 'sgd', loss: { out_a: 'mse', out_b: 'binary_crossentropy' }, lossWeights: { out_a: 1, out_b: 0.5 } });

  const uncompiled = new nr.Sequential([new L.Dense({ units: 3, activation: 'relu', inputShape: [4] }), new L.Dense({ units: 2 })]);

  const seeds: Seed[] = [];
  for (const [name, model, includeOptimizer] of [
    ['sequential', seq, true],
    ['functional', fn, true],
    ['plain', uncompiled, false],
  ] as const) {
    const dir = join(root, `seed-${name}`);
    await model.save(dir, { includeOptimizer });
    seeds.push({
      name,
      json: readFileSync(join(dir, 'model.json'), 'utf8'),
      weights: new Uint8Array(readFileSync(join(dir, 'model.safetensors'))),
    });
  }
  return seeds;
}

// ---------------------------------------------------------------------------------------------
// model.json mutations

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Loc = { parent: Json[] | { [k: string]: Json }; key: string | number; value: Json };

function locations(root: Json): Loc[] {
  const out: Loc[] = [];
  const walk = (v: Json, depth: number) => {
    if (depth > 100) return; // values nested deeper by an earlier edit are not walked into
    if (Array.isArray(v))
      v.forEach((c, i) => {
        out.push({ parent: v, key: i, value: c });
        walk(c, depth + 1);
      });
    else if (v && typeof v === 'object')
      for (const [k, c] of Object.entries(v)) {
        out.push({ parent: v, key: k, value: c });
        walk(c, depth + 1);
      }
  };
  walk(root, 0);
  return out;
}

const pick = <T>(xs: readonly T[], r: () => number): T => xs[Math.floor(r() * xs.length)]!;

const PATHS = [
  '../../etc/passwd',
  '/etc/passwd',
  '..',
  '../model.json',
  '..\\..\\windows\\win.ini',
  'C:\\x',
  'file:///etc/passwd',
  '\u0000',
  '~/.ssh/id_rsa',
  './model.safetensors',
  '/dev/zero',
  '/proc/self/environ',
];
const CLASS_NAMES = [
  'Conv2D',
  'Lambda',
  'Function',
  'eval',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'Object',
  'Model',
  'Layer',
  'Sequential',
  'Functional',
  'InputLayer',
  'Dense',
  'Adam',
  'SGD',
  'Optimizer',
  'Loss',
  'MeanSquaredError',
  '',
];
const DTYPE_NAMES = ['float16', 'float64', 'int32', 'int64', 'bool', 'complex64', 'string', '__proto__', 'float32 ', 'FLOAT32', ''];
const NUMBERS = [-1, 0, 1, 2, 1.5, -0.5, 1e9, 2 ** 31, 2 ** 53 + 2, 1e300, -1e300, 4, 3];
const OTHER_VALUES: Json[] = [null, true, false, '', 'x', [], {}, [null], [1, 2], { className: 'Dense', config: {} }, 'relu', 'linear'];
const FIELDS = [
  'units',
  'activation',
  'rate',
  'alpha',
  'pieces',
  'targetShape',
  'inputShape',
  'batchInputShape',
  'dtype',
  'name',
  'trainable',
  'layers',
  'nodes',
  'inputs',
  'outputs',
  'className',
  'config',
  'learningRate',
  'useBias',
  'kernelInitializer',
  'axis',
];

function randomValue(r: () => number, depth = 0): Json {
  const k = Math.floor(r() * 9);
  if (k === 0) return pick(NUMBERS, r);
  if (k === 1) return pick(PATHS, r);
  if (k === 2) return pick(CLASS_NAMES, r);
  if (k === 3) return pick(DTYPE_NAMES, r);
  if (k === 4 && depth < 3)
    return Array.from({ length: Math.floor(r() * 4) }, () => (r() < 0.5 ? pick(NUMBERS, r) : randomValue(r, depth + 1)));
  if (k === 5) return Array.from({ length: 1 + Math.floor(r() * 3) }, () => pick([null, ...NUMBERS], r)); // shapes
  if (k === 6 && depth < 3) return { [pick(FIELDS, r)]: randomValue(r, depth + 1) };
  return structuredClone(pick(OTHER_VALUES, r)); // a copy: later edits must not change the shared constant
}

/** Names every object inherits: name tables must not resolve them. */
const HOSTILE_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];
/** Fields whose value is looked up by name somewhere (classes, activations, losses, ...). */
const NAME_FIELDS = new Set([
  'className',
  'activation',
  'kernelInitializer',
  'biasInitializer',
  'depthwiseInitializer',
  'pointwiseInitializer',
  'kernelRegularizer',
  'biasRegularizer',
  'padding',
  'dtype',
  'mode',
  'interpolation',
  'fillMode',
  'layer',
  'name',
  'reduction',
]);

/** A value of another JSON type than `v`: string, number, boolean, null, object or array. */
function otherType(v: Json, r: () => number): Json {
  const kind = (x: Json) => (x === null ? 'null' : Array.isArray(x) ? 'array' : typeof x);
  const candidates: Json[] = [
    'Dense',
    'x',
    '',
    0,
    1.5,
    -1,
    true,
    false,
    null,
    {},
    { className: 'Dense', config: {} },
    [],
    [1, 2],
    ['relu'],
    pick(HOSTILE_NAMES, r),
  ];
  const others = candidates.filter((c) => kind(c) !== kind(v));
  return structuredClone(pick(others, r));
}

/** Type swaps and hostile names (counted: the issue asks for these by name). */
const SWAP_EDITS: ((root: Json, r: () => number) => 'swap' | 'name' | null)[] = [
  // a field replaced by a value of another JSON type
  (root, r) => {
    const locs = locations(root);
    if (!locs.length) return null;
    const l = pick(locs, r);
    set(l, otherType(l.value, r));
    return 'swap';
  },
  // a hostile name in a name-valued field (or in a loss / metric list)
  (root, r) => {
    const locs = locations(root).filter(
      (x) => typeof x.value === 'string' && (NAME_FIELDS.has(String(x.key)) || (typeof x.key === 'number' && Array.isArray(x.parent))),
    );
    if (!locs.length) return null;
    set(pick(locs, r), pick(HOSTILE_NAMES, r));
    return 'name';
  },
];

/** Object-level edits on the parsed model.json. */
const JSON_EDITS: ((loc: Loc, root: Json, r: () => number) => void)[] = [
  // delete a field / array element
  (l) => {
    if (Array.isArray(l.parent)) l.parent.splice(l.key as number, 1);
    else delete l.parent[l.key as string];
  },
  // duplicate a value (array push, or copy into a sibling under another field name)
  (l, _, r) => {
    if (Array.isArray(l.parent)) l.parent.splice(l.key as number, 0, structuredClone(l.value));
    else l.parent[pick(FIELDS, r)] = structuredClone(l.value);
  },
  // retype or replace with an odd value
  (l, _, r) => set(l, randomValue(r)),
  // wrong numbers: negative, huge, fractional, off by one
  (l, _, r) =>
    set(
      l,
      typeof l.value === 'number'
        ? pick([l.value + 1, l.value - 1, -l.value, l.value * 1e6, l.value + 0.5, ...NUMBERS], r)
        : pick(NUMBERS, r),
    ),
  // shape-ish arrays: every number in an array made odd
  (l, _, r) => {
    if (Array.isArray(l.value))
      l.value.forEach((v, i, a) => {
        if (typeof v === 'number' || v === null) a[i] = pick([null, ...NUMBERS], r);
      });
    else set(l, [pick(NUMBERS, r), pick(NUMBERS, r)]);
  },
  // unknown classNames (or real classes in the wrong place)
  (l, root, r) => {
    const specs = locations(root).filter((x) => x.key === 'className');
    const s = specs.length ? pick(specs, r) : l;
    set(s, pick(CLASS_NAMES, r) + (r() < 0.3 ? String(Math.floor(r() * 9)) : ''));
  },
  // dtypes
  (l, root, r) => {
    const cfgs = locations(root).filter((x) => x.key === 'config' && x.value && typeof x.value === 'object' && !Array.isArray(x.value));
    const c = cfgs.length ? (pick(cfgs, r).value as { [k: string]: Json }) : null;
    if (c) c.dtype = pick(DTYPE_NAMES, r);
    else set(l, pick(DTYPE_NAMES, r));
  },
  // path-like strings in a string field (or anywhere)
  (l, root, r) => {
    const strs = locations(root).filter((x) => typeof x.value === 'string');
    set(strs.length ? pick(strs, r) : l, pick(PATHS, r));
  },
  // very long strings
  (l, root, r) => {
    const strs = locations(root).filter((x) => typeof x.value === 'string');
    set(strs.length && r() < 0.8 ? pick(strs, r) : l, 'a'.repeat(pick([1000, 100_000, 2_000_000], r)));
  },
  // deep nesting
  (l, _, r) => {
    let v: Json = 1;
    const depth = pick([10, 62, 63, 64, 65, 200], r);
    for (let i = 0; i < depth; i++) v = r() < 0.5 ? [v] : { a: v };
    set(l, v);
  },
  // unknown extra fields in a config
  (l, root, r) => {
    const objs = locations(root).filter((x) => x.value && typeof x.value === 'object' && !Array.isArray(x.value));
    const o = (objs.length ? pick(objs, r).value : l.value) as { [k: string]: Json };
    if (o && typeof o === 'object' && !Array.isArray(o))
      o[pick(['extra', 'eval', 'require', 'path', 'file', 'url', ...FIELDS], r)] = randomValue(r);
  },
  // swap two layer entries or two nodes
  (_, root, r) => {
    const arrs = locations(root).filter((x) => Array.isArray(x.value) && x.value.length > 1);
    if (!arrs.length) return;
    const a = pick(arrs, r).value as Json[];
    const i = Math.floor(r() * a.length);
    const j = Math.floor(r() * a.length);
    [a[i], a[j]] = [a[j]!, a[i]!];
  },
];

function set(l: Loc, value: Json): void {
  (l.parent as Record<string | number, Json>)[l.key] = value;
}

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];

/** Text-level edits of the model.json text (applied to the original or to an edited JSON text). */
const TEXT_EDITS: ((text: string, r: () => number) => string)[] = [
  // prototype-pollution keys, spliced in as raw text so JSON.parse makes them own properties
  (t, r) => {
    const braces = [...t.matchAll(/\{/g)];
    const m = pick(braces, r);
    const key = pick(PROTO_KEYS, r);
    const value = pick(
      [
        '{"polluted":1}',
        '{"className":"Dense","config":{}}',
        '1',
        'null',
        '"x"',
        '[]',
        '{"prototype":{"polluted":1}}',
        '{"__proto__":{"polluted":1}}',
      ],
      r,
    );
    return `${t.slice(0, m.index! + 1)}"${key}":${value},${t.slice(m.index! + 1)}`;
  },
  // renames an existing key to a prototype key
  (t, r) => {
    const keys = [...t.matchAll(/"([A-Za-z_]+)":/g)];
    const m = pick(keys, r);
    return `${t.slice(0, m.index)}"${pick(PROTO_KEYS, r)}":${t.slice(m.index! + m[0].length)}`;
  },
  // duplicate keys (JSON.parse keeps the last one)
  (t, r) => {
    const fields = [...t.matchAll(/"(units|name|className|format|formatVersion|weights|rate|activation)": ("[^"]*"|-?\d+(\.\d+)?)/g)];
    if (!fields.length) return t;
    const m = pick(fields, r);
    const end = m.index! + m[0].length;
    return `${t.slice(0, end)}, ${m[0].replace(/: .*/, `: ${JSON.stringify(randomValue(r))}`)}${t.slice(end)}`;
  },
  // numbers JSON.stringify cannot produce
  (t, r) => {
    const nums = [...t.matchAll(/-?\d+(\.\d+)?(e[+-]?\d+)?/g)];
    if (!nums.length) return t;
    const m = pick(nums, r);
    return (
      t.slice(0, m.index) +
      pick(['1e400', '-1e400', '-0', '9007199254740993', '1E2', '0.0000001', '4.0', '18446744073709551616'], r) +
      t.slice(m.index! + m[0].length)
    );
  },
  // byte-level: flip a character, drop or duplicate one, truncate
  (t, r) => {
    const i = Math.floor(r() * t.length);
    return t.slice(0, i) + String.fromCharCode(t.charCodeAt(i) ^ (1 << Math.floor(r() * 7))) + t.slice(i + 1);
  },
  (t, r) => {
    const i = Math.floor(r() * t.length);
    return r() < 0.5 ? t.slice(0, i) + t.slice(i + 1) : t.slice(0, i) + t[i] + t.slice(i);
  },
  (t, r) => t.slice(0, Math.floor(r() * t.length)),
  // escapes and odd unicode inside strings
  (t, r) => {
    const strs = [...t.matchAll(/"[a-z_]+"/g)];
    const m = pick(strs, r);
    return t.slice(0, m.index! + 1) + pick(['\\u0000', '\\ud800', '\\u002e\\u002e/', '\u202e', '\\"', '\\\\'], r) + t.slice(m.index! + 1);
  },
  // deep raw nesting (beyond what a parsed-then-stringified value would have)
  (t, r) => {
    const depth = pick([100, 10_000, 200_000], r);
    return t.replace(/"weights": \[/, `"deep": ${'['.repeat(depth)}${r() < 0.7 ? ']'.repeat(depth) : ''}, "weights": [`);
  },
];

/** Byte-level edits of the encoded model.json (invalid UTF-8, BOM, NUL). */
function byteEdit(bytes: Uint8Array, r: () => number): Uint8Array {
  const k = Math.floor(r() * 4);
  if (k === 0) {
    const out = bytes.slice();
    out[Math.floor(r() * out.length)] = pick([0xff, 0xc0, 0x80, 0xed, 0xf8, 0x00], r);
    return out;
  }
  if (k === 1) {
    const out = new Uint8Array(bytes.length + 3);
    out.set([0xef, 0xbb, 0xbf]);
    out.set(bytes, 3);
    return out;
  }
  if (k === 2) return new Uint8Array(0);
  const out = bytes.slice();
  for (let n = 1 + Math.floor(r() * 4); n > 0; n--) out[Math.floor(r() * out.length)]! ^= 1 << Math.floor(r() * 8);
  return out;
}

function mutateJson(text: string, r: () => number, counts: { typeSwaps: number; hostileNames: number }): Uint8Array {
  let out = text;
  const mode = r();
  if (mode < 0.25) {
    // One or two type swaps / hostile names alone, so most cases get past the other checks to them.
    const root = JSON.parse(text) as Json;
    const done = new Set<string>();
    for (let n = 1 + Math.floor(r() * 2); n > 0; n--) {
      const what = pick(SWAP_EDITS, r)(root, r);
      if (what) done.add(what);
    }
    if (done.has('swap')) counts.typeSwaps++;
    if (done.has('name')) counts.hostileNames++;
    out = JSON.stringify(root, null, 2);
  } else if (mode < 0.65) {
    const root = JSON.parse(text) as Json;
    for (let n = 1 + Math.floor(r() * 3); n > 0; n--) {
      const locs = locations(root);
      if (!locs.length) break;
      pick(JSON_EDITS, r)(pick(locs, r), root, r);
    }
    try {
      out = JSON.stringify(root, null, r() < 0.5 ? 2 : undefined);
    } catch {
      /* nested too deep for this process's stack by several edits: fall back to a text edit */
    }
    if (r() < 0.15) out = pick(TEXT_EDITS, r)(out, r);
  } else {
    out = pick(TEXT_EDITS, r)(text, r);
  }
  const bytes = new TextEncoder().encode(out);
  return r() < 0.05 ? byteEdit(bytes, r) : bytes;
}

// ---------------------------------------------------------------------------------------------
// model.safetensors mutations: the safetensors harness's byte-level mutators plus model-aware edits

type Tensors = Record<string, { dtype: SafetensorsDType; shape: number[]; data: Uint8Array }>;

function readTensors(bytes: Uint8Array): { tensors: Tensors; metadata: Record<string, string> } {
  const { tensors, metadata } = decodeSafetensors(bytes, 'seed');
  const out: Tensors = {};
  for (const [k, t] of Object.entries(tensors)) out[k] = { dtype: t.dtype as SafetensorsDType, shape: [...t.shape], data: t.data.slice() };
  return { tensors: out, metadata };
}

const TENSOR_EDITS: ((t: Tensors, r: () => number) => void)[] = [
  // swap the contents of two tensors (shapes and dtypes follow the data)
  (t, r) => {
    const ks = Object.keys(t);
    const a = pick(ks, r);
    const b = pick(ks, r);
    [t[a], t[b]] = [t[b]!, t[a]!];
  },
  // a tensor replaced by another tensor's data under its own name (wrong shape)
  (t, r) => {
    const ks = Object.keys(t);
    t[pick(ks, r)] = { ...t[pick(ks, r)]! };
  },
  // drop a tensor
  (t, r) => {
    delete t[pick(Object.keys(t), r)];
  },
  // add an unexpected tensor (optimizer-like, path-like or prototype names)
  (t, r) => {
    t[
      pick(
        [
          'extra/w',
          'optimizer/extra',
          'optimizer/dense/kernel/m',
          'optimizer/nope/m',
          'optimizer/',
          'optimizer//',
          '../../etc/passwd',
          '__proto__',
          'constructor',
          'optimizer/__proto__/m',
          'optimizer/iterations/x',
        ],
        r,
      )
    ] = { dtype: 'F32', shape: [2], data: new Uint8Array(8) };
  },
  // rename a tensor
  (t, r) => {
    const k = pick(Object.keys(t), r);
    const v = t[k]!;
    delete t[k];
    t[
      pick(
        [
          `${k}x`,
          k.toUpperCase(),
          k.replace(/\/[^/]*$/, '/bias'),
          `optimizer/${k}`,
          `optimizer/${k}/velocity`,
          `optimizer/${k}/m`,
          k.replace(/^optimizer\//, ''),
        ],
        r,
      )
    ] = v;
  },
  // change the shape, keeping the byte count (transposed / flattened / scalar)
  (t, r) => {
    const k = pick(Object.keys(t), r);
    const v = t[k]!;
    const n = v.shape.reduce((a, b) => a * b, 1);
    v.shape = pick([[n], [1, n], [n, 1], [...v.shape].reverse(), n === 1 ? [] : [n]], r);
  },
  // retype: F32 data as F64 / I32 / F16 with a matching byte count
  (t, r) => {
    const k = pick(Object.keys(t), r);
    const v = t[k]!;
    const n = v.shape.reduce((a, b) => a * b, 1);
    const dtype = pick(['F64', 'I32', 'F16', 'U8', 'F32', 'I64', 'BOOL'] as SafetensorsDType[], r);
    const size = { F64: 8, I64: 8, I32: 4, F32: 4, F16: 2, U8: 1, BOOL: 1 }[dtype as 'F64'] ?? 4;
    t[k] = { dtype, shape: v.shape, data: new Uint8Array(n * size).map(() => r() * 256) };
  },
  // special values in the data: NaN, Inf, huge; the optimizer step negative or huge
  (t, r) => {
    const it = t['optimizer/iterations'];
    if (it && r() < 0.5) {
      new DataView(it.data.buffer, it.data.byteOffset).setInt32(0, pick([-1, -(2 ** 31), 2 ** 31 - 1, 0], r), true);
      return;
    }
    const v = t[pick(Object.keys(t), r)]!;
    if (v.dtype !== 'F32') return;
    const f = new Float32Array(v.data.buffer, v.data.byteOffset, v.data.length / 4);
    for (let i = 0; i < f.length; i++) if (r() < 0.3) f[i] = pick([NaN, Infinity, -Infinity, 3e38, -0], r);
  },
];

function mutateWeights(bytes: Uint8Array, r: () => number): Uint8Array {
  if (r() < 0.5) return pick(SAFETENSORS_MUTATIONS, r)(bytes, r);
  const { tensors, metadata } = readTensors(bytes);
  for (let n = 1 + Math.floor(r() * 2); n > 0 && Object.keys(tensors).length > 0; n--) pick(TENSOR_EDITS, r)(tensors, r);
  if (r() < 0.1) metadata[pick(['format', '__proto__', 'constructor', 'path'], r)] = pick(PATHS, r);
  return encodeSafetensors(tensors, metadata);
}

// ---------------------------------------------------------------------------------------------
// Watching the file system while a case loads

const watched = { active: false, dir: '', escapes: [] as string[] };

function inside(path: unknown): boolean {
  if (typeof path !== 'string' && !(path instanceof URL) && !Buffer.isBuffer(path)) return true; // file descriptors
  const p = resolve(path instanceof URL ? path.pathname : String(path));
  return p === watched.dir || p.startsWith(watched.dir + sep);
}

let installed = false;
/**
 * Wraps the path-taking functions of node:fs and node:fs/promises (and re-syncs their ESM named
 * exports, which is what src/ imports), recording every path outside the case directory.
 */
function installFsWatch(): void {
  if (installed) return;
  installed = true;
  const wrap = (obj: Record<string, unknown>, names: string[], pathArgs = [0]) => {
    for (const name of names) {
      const original = obj[name];
      if (typeof original !== 'function') continue;
      obj[name] = function (this: unknown, ...args: unknown[]) {
        if (watched.active)
          for (const i of pathArgs) if (args[i] !== undefined && !inside(args[i])) watched.escapes.push(`${name}(${String(args[i])})`);
        return (original as (...a: unknown[]) => unknown).apply(this, args);
      };
    }
  };
  const one = [
    'readFile',
    'stat',
    'lstat',
    'open',
    'opendir',
    'readdir',
    'access',
    'writeFile',
    'appendFile',
    'mkdir',
    'rm',
    'rmdir',
    'unlink',
    'realpath',
    'readlink',
    'utimes',
    'chmod',
    'truncate',
    'mkdtemp',
    'watch',
    'createReadStream',
    'createWriteStream',
    'exists',
  ];
  const two = ['rename', 'copyFile', 'link', 'symlink', 'cp'];
  // The mutable CommonJS export objects; the ESM namespaces are read-only views re-synced below.
  const require = createRequire(import.meta.url);
  const fs = require('node:fs') as Record<string, unknown>;
  const fsp = require('node:fs/promises') as Record<string, unknown>;
  wrap(fsp, one);
  wrap(fsp, two, [0, 1]);
  wrap(fs, [...one, ...one.map((n) => `${n}Sync`)]);
  wrap(fs, [...two, ...two.map((n) => `${n}Sync`)], [0, 1]);
  if (fs.promises !== fsp) {
    wrap(fs.promises as Record<string, unknown>, one);
    wrap(fs.promises as Record<string, unknown>, two, [0, 1]);
  }
  syncBuiltinESMExports();
}

// ---------------------------------------------------------------------------------------------

const PROTO_SNAPSHOT = () => {
  const own = [Object.prototype, Array.prototype, Function.prototype, String.prototype]
    .map((p) =>
      Reflect.ownKeys(p)
        .map((k) => `${String(k)}:${typeof Object.getOwnPropertyDescriptor(p, k)!.value}`)
        .sort()
        .join(','),
    )
    .join('|');
  return `${own}|${Object.getPrototypeOf(Object.prototype)}`;
};

/** Inputs for a loaded model; unknown feature dims get `fill` (the batch axis 2). */
function inputsFor(model: nr.Model, fill: number): nr.Tensor[] {
  return inputsShapes(model).map((s) => nr.randn(s.map((d, i) => d ?? (i === 0 ? 2 : fill))));
}

function inputsShapes(model: nr.Model): (number | null)[][] {
  const m = model as unknown as { builtInputShape?: (number | null)[] | null; graph?: { inputs: { shape: (number | null)[] }[] } | null };
  return m.graph ? m.graph.inputs.map((t) => [...t.shape]) : [m.builtInputShape ?? [null, 4]];
}

/** Predicts with unknown dims 4 (every seed's width), then 1 (a mutant may make [null, null, 4] legal). */
function predictRuns(model: nr.Model): void {
  // A mutant may declare a huge fixed size (e.g. batchInputShape [1e9, 4]): a valid model, whose input
  // would take gigabytes to build here. Such models count as loaded without a prediction.
  const declared = inputsShapes(model);
  if (declared.some((s) => s.reduce<number>((n, d) => n * (d ?? 4), 1) > 1e7)) return;
  let error: unknown;
  for (const fill of [4, 1]) {
    try {
      const xs = inputsFor(model, fill);
      const out = model.predict(xs.length === 1 ? xs[0]! : xs);
      (Array.isArray(out) ? out : [out]).forEach((t) => t.data());
      return;
    } catch (e) {
      error = e;
    }
  }
  throw error;
}

function isLoadError(e: unknown): boolean {
  // loadModel documents FormatError for every bad file; ConfigError etc. escaping is a failure.
  return e instanceof nr.FormatError;
}

/**
 * Runs `cases` mutants from `seed`. Each case must finish within `timeBoxMs` (measured: a load is
 * one async call, so a synchronous endless loop would stop the run itself, which counts too).
 */
export async function runSavingFuzz(cases: number, seed = 1, timeBoxMs = 2000): Promise<SavingFuzzReport> {
  installFsWatch();
  const random = rng(seed);
  const report: SavingFuzzReport = {
    cases: 0,
    accepted: 0,
    rejected: 0,
    crashes: 0,
    nonNeuronaErrors: 0,
    wrongErrorClass: 0,
    typeSwaps: 0,
    hostileNames: 0,
    hangs: 0,
    escapes: 0,
    pollutions: 0,
    examples: [],
    seconds: 0,
  };
  const note = (s: string) => {
    if (report.examples.length < 10) report.examples.push(s);
  };
  const base = mkdtempSync(join(tmpdir(), 'neurona-fuzz-'));
  const started = performance.now();
  const proto = PROTO_SNAPSHOT();
  const parentBefore = new Set(readdirSync(tmpdir()));
  // Debugging aids: NEURONA_FUZZ_TRACE=1 prints each case before it loads (to find one that kills
  // the process); NEURONA_FUZZ_KEEP=<dir> keeps a copy of every failing case directory
  // (and, with NEURONA_FUZZ_STOP_AT=<case>, of that case, unloaded, then stops).
  const trace = process.env.NEURONA_FUZZ_TRACE === '1';
  const keep = process.env.NEURONA_FUZZ_KEEP;
  let failures = 0;
  try {
    const seeds = await makeSeeds(base);
    const root = join(base, 'cases'); // the parent of every case directory: must only ever hold that one
    mkdirSync(root);
    for (let i = 0; i < cases; i++) {
      const s = pick(seeds, random);
      const what = random();
      const jsonBytes = what < 0.55 || what >= 0.85 ? mutateJson(s.json, random, report) : new TextEncoder().encode(s.json);
      let weights = s.weights;
      try {
        weights = what >= 0.55 ? mutateWeights(s.weights, random) : s.weights;
      } catch {
        /* a mutator that cannot apply to this file: keep the seed's weights */
      }
      const dir = join(root, `case-${i}`);
      mkdirSync(dir);
      writeFileSync(join(dir, 'model.json'), jsonBytes);
      writeFileSync(join(dir, 'model.safetensors'), weights);
      const label = `case ${i} (seed model ${s.name}, ${what < 0.55 ? 'model.json' : what < 0.85 ? 'model.safetensors' : 'both'})`;
      // Huge sizes (units: 1e9, ...) are fuzzed too: loadModel rejects them before allocating (weight budget in layer.ts).
      if (trace) process.stderr.write(`${label}\n`);
      if (keep && i === Number(process.env.NEURONA_FUZZ_STOP_AT)) {
        cpSync(dir, join(keep, `case-${i}`), { recursive: true });
        break;
      }
      watched.dir = resolve(dir);
      watched.escapes = [];
      watched.active = true;
      const t0 = performance.now();
      let model: nr.Model | null = null;
      try {
        model = await nr.loadModel(dir);
      } catch (e) {
        if (isLoadError(e)) report.rejected++;
        else {
          report.crashes++;
          if (e instanceof nr.NeuronaError) report.wrongErrorClass++;
          else report.nonNeuronaErrors++;
          note(`${label}: ${e instanceof Error ? `${e.constructor.name}: ${e.message.slice(0, 300)}` : String(e)}`);
        }
      } finally {
        watched.active = false;
      }
      const elapsed = performance.now() - t0;
      if (model) {
        try {
          predictRuns(model);
          report.accepted++;
        } catch (e) {
          report.crashes++;
          if (!(e instanceof nr.NeuronaError)) report.nonNeuronaErrors++;
          const why = e instanceof Error ? `${e.constructor.name}: ${e.message.slice(0, 300)}` : String(e);
          note(`${label}: accepted, but predict failed: ${why}`);
        }
      }
      if (elapsed > timeBoxMs) {
        report.hangs++;
        note(`${label} took ${elapsed.toFixed(0)} ms`);
      }
      const listing = readdirSync(dir).sort().join(',');
      const siblings = readdirSync(root);
      if (watched.escapes.length > 0 || listing !== 'model.json,model.safetensors' || siblings.length !== 1) {
        report.escapes++;
        note(
          `${label}: touched ${watched.escapes.slice(0, 3).join(', ')}; dir holds [${listing}]; ` +
            `parent holds [${siblings.slice(0, 5).join(',')}]`,
        );
      }
      if (PROTO_SNAPSHOT() !== proto || ({} as Record<string, unknown>).polluted !== undefined) {
        report.pollutions++;
        note(`${label}: a builtin prototype changed`);
        break; // everything after would be suspect
      }
      if (keep && report.crashes + report.hangs + report.escapes > failures) cpSync(dir, join(keep, `case-${i}`), { recursive: true });
      failures = report.crashes + report.hangs + report.escapes;
      rmSync(dir, { recursive: true, force: true });
      report.cases++;
    }
  } finally {
    watched.active = false;
    rmSync(base, { recursive: true, force: true });
  }
  // Other processes may create files in the system temp dir concurrently: only names a mutant's
  // strings could produce count (the fs watch above catches any access anyway).
  const suspicious = new Set(['etc', 'passwd', 'model.json', 'model.safetensors', 'x', 'win.ini', 'windows', '..', 'cases']);
  const appeared = [...readdirSync(tmpdir())].filter((n) => !parentBefore.has(n) && suspicious.has(n));
  if (appeared.length > 0) {
    report.escapes++;
    note(`new entries in ${tmpdir()}: ${appeared.slice(0, 5).join(', ')}`);
  }
  report.seconds = (performance.now() - started) / 1000;
  return report;
}
