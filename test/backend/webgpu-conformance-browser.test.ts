import { test } from 'node:test';
import nodeAssert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { inspect } from 'node:util';
import { build, type Plugin } from 'esbuild';
import { assert } from '../helpers.js';
import { EXCLUSIONS } from '../conformance/harness.js';
import { assertRequestsStayOn, CHROMIUM, launchChromium, serveIsolated } from '../chromium.js';

/*
 * The conformance suite on the browser's own WebGPU: headless Chromium on its SwiftShader adapter
 * (navigator.gpu), in a module Web Worker of a cross-origin isolated page (the webgpu backend refuses
 * a page's main thread, whose sync reads cannot block). esbuild bundles the real conformance files,
 * harness.ts and helpers.ts for the browser with three modules swapped (PLUGIN below): `node:test` by
 * a shim that collects the cases, `node:assert/strict` by a shim with its semantics (checked against
 * node's own by the second test here), and, for the conformance files, `../helpers.js` by helpers.ts
 * itself with backendsUnderTest() giving ['webgpu'] (and includeWebgpu() doing nothing). The worker
 * awaits nr.ready({ webgpu: true }), runs every registered case in order (harness.ts skips the cases
 * EXCLUSIONS excuses webgpu from, as in Node) and posts the results back.
 *
 * Left out: threads.test.ts (thread pools of the CPU backends), registry.test.ts (registers test
 * backends, the Node addon's messages, node:fs) and pytorch-fixtures.test.ts (float64 ops, which
 * webgpu hands to js, and a fixture read with node:fs). random.test.ts does not call includeWebgpu(),
 * so Node runs it on the CPU backends only; it runs here on webgpu, whose fillUniform and fillNormal
 * are the js kernels behind its host sync.
 */
const FILES = [
  'attention',
  'binary',
  'conv',
  'elementwise',
  'fused',
  'gelu',
  'group-norm',
  'layer-norm',
  'layout',
  'matmul',
  'norm',
  'optimizer',
  'pool',
  'random',
  'recurrent',
  'reduce',
  'sparse',
].map((name) => `${name}.test.ts`);

/**
 * The fewest cases the run must report, so that an empty or truncated bundle fails. These files
 * registered 274 (2026-12): the 264 webgpu cases and 1 plain test that the Node run of the files that
 * call includeWebgpu() has (2 of them excused), and random's 6 and sparse's 3.
 */
const MIN_CASES = 274;

const ROOT = resolve('.');
const CONFORMANCE = resolve('test/conformance');

/** `node:test` in the page: test(name, [options], fn) collects; __run runs one case with a context that has skip(). */
const NODE_TEST = `const cases = [];
let file = '';
export function __beginFile(name) { file = name; }
export function __cases() { return cases; }
export function test(name, options, fn) {
  if (typeof options === 'function') { fn = options; options = {}; }
  if (typeof name !== 'string' || typeof fn !== 'function') throw new TypeError('node:test shim: only test(name, [options], fn)');
  for (const key of Object.keys(options ?? {})) if (key !== 'skip') throw new TypeError('node:test shim: no option ' + key + ' (' + name + ')');
  if (fn.length > 1) throw new TypeError('node:test shim: no done callback (' + name + ')');
  cases.push({ file, name, skip: options?.skip, fn });
}
export default test;
export async function __run(c) {
  if (c.skip) return { status: 'skip', reason: typeof c.skip === 'string' ? c.skip : '' };
  let reason;
  const t = {
    name: c.name,
    skip(r) { reason = r === undefined ? '' : String(r); },
    diagnostic() {},
    test() { throw new TypeError('node:test shim: no subtests'); },
  };
  await c.fn(t);
  return reason === undefined ? { status: 'pass' } : { status: 'skip', reason };
}
`;

/**
 * `node:assert/strict` in the page: ok, equal (Object.is), deepEqual and notDeepEqual (node's strict
 * deep equality: same prototypes and tags, typed arrays byte for byte, own enumerable keys; a type it
 * does not know throws rather than guessing), match, throws (class, RegExp, validation function or
 * object) and fail. A given message is the error's message, as in node.
 */
const NODE_ASSERT = `export class AssertionError extends Error {
  constructor(o) {
    super(o.message);
    this.name = 'AssertionError';
    this.code = 'ERR_ASSERTION';
    this.generatedMessage = o.generated;
    this.actual = o.actual;
    this.expected = o.expected;
    this.operator = o.operator;
  }
}
const tagOf = (v) => Object.prototype.toString.call(v);
const isTyped = (v) => ArrayBuffer.isView(v) && !(v instanceof DataView);
function show(v) {
  try {
    if (isTyped(v)) return v.constructor.name + '(' + v.length + ') [' + Array.prototype.slice.call(v, 0, 32).join(', ') + (v.length > 32 ? ', ...' : '') + ']';
    if (Object.is(v, -0)) return '-0';
    if (typeof v === 'string') return JSON.stringify(v);
    if (v === null || typeof v !== 'object') return String(v);
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 2000 ? s.slice(0, 2000) + '...' : s;
  } catch {
    return String(v);
  }
}
function raise(message, generated, actual, expected, operator, values = '') {
  if (message instanceof Error) throw message;
  const given = message !== undefined && message !== null;
  throw new AssertionError({ message: given ? String(message) + values : generated, generated: !given, actual, expected, operator });
}
function ownKeys(o, skipIndices) {
  const keys = Object.keys(o).filter((k) => !skipIndices || !/^(0|[1-9][0-9]*)$/.test(k));
  for (const s of Object.getOwnPropertySymbols(o)) if (Object.prototype.propertyIsEnumerable.call(o, s)) keys.push(s);
  return keys;
}
function sameKeys(a, b, memo, skipIndices) {
  const ka = ownKeys(a, skipIndices);
  if (ka.length !== ownKeys(b, skipIndices).length) return false;
  for (const k of ka) if (!Object.prototype.propertyIsEnumerable.call(b, k)) return false;
  for (const k of ka) if (!deepStrictEqual(a[k], b[k], memo)) return false;
  return true;
}
function deepStrictEqual(a, b, memo) {
  if (a === b) return a !== 0 || Object.is(a, b);
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b);
  }
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b) || tagOf(a) !== tagOf(b)) return false;
  if (memo.get(a) === b) return true;
  memo.set(a, b);
  if (isTyped(a)) {
    if (a.byteLength !== b.byteLength) return false;
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return sameKeys(a, b, memo, true);
  }
  if (Array.isArray(a)) {
    if (a.length !== b.length) return false;
  } else if (a instanceof Date) {
    if (a.getTime() !== b.getTime()) return false;
  } else if (a instanceof RegExp) {
    if (a.source !== b.source || a.flags !== b.flags || a.lastIndex !== b.lastIndex) return false;
  } else if (a instanceof Error) {
    if (a.message !== b.message || a.name !== b.name) return false;
  } else if (tagOf(a) !== '[object Object]') {
    throw new TypeError('node:assert shim: deepEqual does not compare ' + tagOf(a));
  }
  return sameKeys(a, b, memo, false);
}
const assert = (value, message) => ok(value, message);
export function ok(value, message) {
  if (!value) raise(message, 'The expression evaluated to a falsy value: ' + show(value), value, true, '==');
}
export function equal(actual, expected, message) {
  const values = '\\n\\n' + show(actual) + ' !== ' + show(expected) + '\\n';
  if (!Object.is(actual, expected)) raise(message, 'Expected values to be strictly equal:' + values, actual, expected, 'strictEqual', values);
}
export function notEqual(actual, expected, message) {
  if (Object.is(actual, expected)) raise(message, 'Expected "actual" to be strictly unequal to: ' + show(expected), actual, expected, 'notStrictEqual');
}
export function deepEqual(actual, expected, message) {
  if (!deepStrictEqual(actual, expected, new Map())) {
    const values = '\\n\\nactual:   ' + show(actual) + '\\nexpected: ' + show(expected) + '\\n';
    raise(message, 'Expected values to be strictly deep-equal:' + values, actual, expected, 'deepStrictEqual', values);
  }
}
export function notDeepEqual(actual, expected, message) {
  if (deepStrictEqual(actual, expected, new Map())) {
    raise(message, 'Expected "actual" not to be strictly deep-equal to: ' + show(expected), actual, expected, 'notDeepStrictEqual');
  }
}
export function match(string, regexp, message) {
  if (!(regexp instanceof RegExp)) throw new TypeError('The "regexp" argument must be an instance of RegExp');
  if (typeof string !== 'string' || !regexp.test(string)) {
    const why = typeof string !== 'string' ? 'The "string" argument must be of type string. Received ' + show(string) : 'The input did not match the regular expression ' + regexp + '. Input: ' + show(string);
    raise(message, why, string, regexp, 'match');
  }
}
export function fail(message) {
  raise(message, 'Failed', undefined, undefined, 'fail');
}
export function throws(fn, expected, message) {
  if (typeof fn !== 'function') throw new TypeError('The "fn" argument must be of type function');
  if (typeof expected === 'string') { message = expected; expected = undefined; }
  let actual;
  let threw = false;
  try { fn(); } catch (e) { threw = true; actual = e; }
  if (!threw) {
    const what = 'Missing expected exception' + (typeof expected === 'function' && expected.name ? ' (' + expected.name + ')' : '');
    if (message instanceof Error) throw message;
    raise(undefined, what + (message === undefined || message === null ? '.' : ': ' + message), undefined, expected, 'throws');
  }
  if (expected === undefined) return;
  if (expected instanceof RegExp) {
    if (!expected.test(String(actual))) raise(message, 'The input did not match the regular expression ' + expected + '. Input: ' + show(String(actual)), actual, expected, 'throws');
  } else if (typeof expected === 'function') {
    if (expected.prototype !== undefined && actual instanceof expected) return;
    if (Object.prototype.isPrototypeOf.call(Error, expected)) {
      raise(message, 'The error is expected to be an instance of "' + expected.name + '". Received "' + actual?.constructor?.name + '"\\n\\nError message:\\n\\n' + actual?.message, actual, expected, 'throws');
    }
    const result = expected.call({}, actual);
    if (result !== true) raise(message, 'The "validate" function is expected to return "true". Received ' + show(result) + '\\n\\nCaught error:\\n\\n' + actual, actual, expected, 'throws');
  } else if (expected !== null && typeof expected === 'object') {
    const keys = Object.keys(expected);
    if (expected instanceof Error) keys.push('name', 'message');
    for (const key of keys) {
      const want = expected[key];
      const got = actual?.[key];
      const same = typeof got === 'string' && want instanceof RegExp ? want.test(got) : deepStrictEqual(got, want, new Map());
      if (!same) raise(message, 'Expected the thrown error\\'s "' + key + '" to be ' + show(want) + ', got ' + show(got), actual, expected, 'throws');
    }
  } else {
    throw new TypeError('The "expected" argument must be a function, RegExp or object');
  }
}
Object.assign(assert, { AssertionError, ok, equal, notEqual, deepEqual, notDeepEqual, match, fail, throws, strict: assert });
assert.strictEqual = equal;
assert.deepStrictEqual = deepEqual;
assert.notStrictEqual = notEqual;
assert.notDeepStrictEqual = notDeepEqual;
export default assert;
`;

/** The conformance files' `../helpers.js` in the page: helpers.ts itself, on webgpu alone. */
const HELPERS = `export * from './helpers.ts';
export function backendsUnderTest() { return ['webgpu']; }
export function includeWebgpu() {}
`;

/** The worker: imports every conformance file (each registers its cases), then runs them on request. */
const WORKER = `import * as nr from '${ROOT}/src/browser.ts';
import { webgpuActivity, webgpuAdapter } from '${ROOT}/src/backend/index.ts';
import { __cases, __run } from 'node:test';
${FILES.map((file) => `import '${CONFORMANCE}/${file}';`).join('\n')}
const registered = __cases().length;
const dispatches = () => [...webgpuActivity().gpu.values()].reduce((a, b) => a + b, 0);
const describe = (e) => e instanceof Error ? (String(e.stack).includes(e.message) ? String(e.stack) : e.name + ': ' + e.message + '\\n' + e.stack) : String(e);
self.onmessage = async () => {
  try {
    const backend = await nr.ready({ webgpu: true });
    // As in Node: plain tests run on js; conformance() makes webgpu active for each of its cases.
    nr.setBackend('js');
    const results = [];
    for (const c of __cases()) {
      self.postMessage({ started: c.file + ' > ' + c.name });
      const start = performance.now();
      const before = dispatches();
      let outcome;
      try {
        outcome = await __run(c);
      } catch (e) {
        outcome = { status: 'fail', message: describe(e).split('\\n').slice(0, 8).join('\\n') };
      }
      if (nr.getBackend() !== 'js') {
        outcome = { status: 'fail', message: 'left ' + nr.getBackend() + ' active' + (outcome.message ? ': ' + outcome.message : '') };
        nr.setBackend('js');
      }
      results.push({ file: c.file, name: c.name, ms: performance.now() - start, dispatches: dispatches() - before, ...outcome });
    }
    const shaders = webgpuActivity().gpu.size;
    self.postMessage({ done: { backend, adapter: webgpuAdapter(), shaders, registered, results } });
  } catch (e) {
    self.postMessage({ done: { error: describe(e), registered } });
  }
};
`;

const PAGE = `<!doctype html><html><head><link rel="icon" href="data:,"></head><body><script type="module">
window.started = '(none)';
const worker = new Worker('/worker.js', { type: 'module' });
worker.onmessage = (e) => {
  if (e.data.started !== undefined) window.started = e.data.started;
  else window.result = e.data.done;
};
worker.onerror = (e) => { window.result = { error: 'worker error: ' + (e.message || 'the worker did not load') }; };
worker.postMessage('go');
</script></body></html>`;

/**
 * The module swaps: node:test and node:assert/strict by the shims, node:fs by a module whose
 * existsSync says no (helpers.ts imports it for webgpuState, which the page never calls), a
 * conformance file's `../helpers.js` by HELPERS, the Node entry by the browser entry; and each
 * conformance file starts by naming itself to the node:test shim (on its first line, so line numbers stay).
 */
const PLUGIN: Plugin = {
  name: 'conformance-in-the-browser',
  setup(b) {
    b.onResolve({ filter: /^node:test$/ }, () => ({ path: 'node:test', namespace: 'shim' }));
    b.onResolve({ filter: /^node:assert\/strict$/ }, () => ({ path: 'node:assert/strict', namespace: 'shim' }));
    b.onResolve({ filter: /^node:fs$/ }, () => ({ path: 'node:fs', namespace: 'shim' }));
    b.onResolve({ filter: /^\.\.\/helpers\.js$/ }, (args) =>
      args.resolveDir === CONFORMANCE ? { path: 'helpers', namespace: 'shim' } : undefined,
    );
    b.onResolve({ filter: /\/src\/index\.js$/ }, (args) => ({
      path: resolve(args.resolveDir, args.path.replace(/index\.js$/, 'browser.ts')),
    }));
    b.onLoad({ filter: /.*/, namespace: 'shim' }, (args) => {
      if (args.path === 'node:test') return { contents: NODE_TEST, loader: 'js' };
      if (args.path === 'node:assert/strict') return { contents: NODE_ASSERT, loader: 'js' };
      if (args.path === 'node:fs') return { contents: 'export const existsSync = () => false;', loader: 'js' };
      return { contents: HELPERS, loader: 'js', resolveDir: resolve('test') };
    });
    b.onLoad({ filter: /[/\\]test[/\\]conformance[/\\][^/\\]+\.test\.ts$/ }, async (args) => {
      const { readFile } = await import('node:fs/promises');
      const source = await readFile(args.path, 'utf8');
      const prefix = `import { __beginFile } from 'node:test'; __beginFile(${JSON.stringify(basename(args.path))}); `;
      return { contents: prefix + source, loader: 'ts' };
    });
  },
};

interface CaseResult {
  file: string;
  name: string;
  ms: number;
  dispatches: number;
  status: 'pass' | 'fail' | 'skip';
  message?: string;
  reason?: string;
}

interface RunResult {
  error?: string;
  backend?: string;
  adapter?: unknown;
  shaders?: number;
  registered: number;
  results?: CaseResult[];
}

/** The worker bundle: the conformance files, harness.ts and helpers.ts with the swaps of PLUGIN. */
async function bundle(): Promise<Uint8Array> {
  const options = { bundle: true, format: 'esm', platform: 'browser', write: false, ignoreAnnotations: true } as const;
  const out = await build({
    ...options,
    stdin: { contents: WORKER, resolveDir: ROOT, sourcefile: 'conformance-worker.js', loader: 'js' },
    plugins: [PLUGIN],
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.contents;
}

test('in Chromium: every conformance case passes on the browser webgpu (SwiftShader), in a Web Worker', async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`${CHROMIUM} is absent: install Debian's chromium (apt-get install chromium) to run the browser check; .ci/run does`);
    return;
  }
  const worker = await bundle();
  const server = await serveIsolated({
    '/': { type: 'text/html', body: PAGE },
    '/worker.js': { type: 'text/javascript', body: worker },
  });
  const base = server.base;
  const { context, close } = await launchChromium(['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader']);
  try {
    const problems: string[] = [];
    const requested: string[] = [];
    context.on('request', (r) => requested.push(r.url()));
    // Errors and warnings from the page and its workers, the device's nested worker too.
    context.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    context.on('weberror', (e) => problems.push(`uncaught: ${e.error().message}`));
    const page = await context.newPage();
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    const start = performance.now();
    await page.goto(`${base}/`);
    try {
      await page.waitForFunction(() => (globalThis as { result?: unknown }).result !== undefined, undefined, { timeout: 15 * 60_000 });
    } catch (e) {
      const started = await page.evaluate(() => (globalThis as { started?: string }).started);
      throw new Error(`no result from the worker; the last case started: ${started}`, { cause: e });
    }
    const seconds = (performance.now() - start) / 1000;
    const run = (await page.evaluate(() => (globalThis as { result?: unknown }).result)) as RunResult;
    assert.equal(run.error, undefined, run.error);
    const results = run.results!;
    const slowest = [...results].sort((a, b) => b.ms - a.ms).slice(0, 5);
    t.diagnostic(`${results.length} cases in ${seconds.toFixed(1)} s on ${JSON.stringify(run.adapter)}`);
    t.diagnostic(`slowest: ${slowest.map((r) => `${r.name} ${(r.ms / 1000).toFixed(1)} s`).join('; ')}`);

    const idle = results.filter((r) => r.status === 'pass' && r.dispatches === 0).map((r) => `${r.file} > ${r.name}`);
    t.diagnostic(`${run.shaders} shaders; cases with no GPU dispatch: ${idle.join('; ')}`);
    const failures = results.filter((r) => r.status === 'fail');
    assert.deepEqual(
      failures.map((r) => `${r.file} > ${r.name}: ${r.message}`),
      [],
      `${failures.length} of ${results.length} cases failed in the browser`,
    );
    assert.equal(run.backend, 'webgpu');
    assert.equal(results.length, run.registered, 'every registered case ran');
    assert.ok(results.length >= MIN_CASES, `${results.length} cases ran, at least ${MIN_CASES} expected`);
    const silent = FILES.filter((file) => !results.some((r) => r.file === file && r.name.endsWith(' [webgpu]')));
    assert.deepEqual(silent, [], 'files with no webgpu case');
    // The only skips are harness.ts's EXCLUSIONS for webgpu, with their reasons, as in the Node run.
    const excused = Object.entries(EXCLUSIONS.webgpu ?? {}).map(([name, reason]) => `${name} [webgpu]: ${reason}`);
    const skipped = results.filter((r) => r.status === 'skip').map((r) => `${r.name}: ${r.reason}`);
    assert.deepEqual(skipped.sort(), excused.sort());
    assert.deepEqual(problems, []);
    assertRequestsStayOn(base, requested);
  } finally {
    await close();
    server.close();
  }
});

test('the node:assert/strict shim the page runs agrees with node:assert/strict', async () => {
  const shim = (await import(`data:text/javascript,${encodeURIComponent(NODE_ASSERT)}`)) as { default: typeof nodeAssert };
  const holey: unknown[] = [1];
  holey[2] = 3; // a hole at 1, which deepEqual tells from undefined
  const extra = Object.assign([1, 2], { tag: 'x' });
  class Custom {
    a = 1;
  }
  const pairs: [unknown, unknown][] = [
    [1, 1],
    [1, '1'],
    [0, -0],
    [NaN, NaN],
    [null, undefined],
    [
      [1, 2],
      [1, 2],
    ],
    [
      [1, 2],
      [1, 3],
    ],
    [[0], [-0]],
    [[NaN], [NaN]],
    [
      [1, [2, 3]],
      [1, [2, 3]],
    ],
    [
      [1, [2, 3]],
      [1, [2, 4]],
    ],
    [new Float32Array([1, 2]), new Float32Array([1, 2])],
    [new Float32Array([0]), new Float32Array([-0])],
    [new Float32Array([NaN]), new Float32Array([NaN])],
    [new Float32Array([1]), new Float64Array([1])],
    [new Uint8Array([1, 2]), new Uint8Array([1, 3])],
    [new Uint8Array(new Float32Array([1.5, -2]).buffer), new Uint8Array(new Float32Array([1.5, -2]).buffer)],
    [new Uint8Array([1, 2]), [1, 2]],
    [{ a: 1 }, { a: 1 }],
    [{ a: 1 }, { a: 1, b: undefined }],
    [
      { a: 1, b: undefined },
      { a: 1, c: undefined },
    ],
    [holey, [1, undefined, 3]],
    [extra, [1, 2]],
    [Object.create(null), {}],
    [new Custom(), { a: 1 }],
    [new Custom(), new Custom()],
    [new Date(1), new Date(1)],
    [new Date(1), new Date(2)],
    [/a/g, /a/g],
    [/a/g, /a/i],
    [
      [3, 1, 7],
      [3, 1, 7],
    ],
    [
      [[1.5, 2], [3]],
      [[1.5, 2], [3]],
    ],
  ];
  const err = new TypeError('boom');
  const thrower = () => {
    throw err;
  };
  const calls: [keyof typeof nodeAssert, unknown[]][] = [
    ...pairs.flatMap(([a, b]): [keyof typeof nodeAssert, unknown[]][] => [
      ['equal', [a, b]],
      ['deepEqual', [a, b]],
      ['deepEqual', [a, b, 'said']],
      ['notDeepEqual', [a, b, 'said']],
    ]),
    ...[1, 0, '', 'x', null, [], NaN].map((v): [keyof typeof nodeAssert, unknown[]] => ['ok', [v, 'said']]),
    ['match', ['abc', /b/, 'said']],
    ['match', ['abc', /d/, 'said']],
    ['match', [5, /5/, 'said']],
    ['fail', ['said']],
    ['throws', [thrower]],
    ['throws', [() => {}, 'said']],
    ['throws', [thrower, TypeError, 'said']],
    ['throws', [thrower, RangeError, 'said']],
    ['throws', [thrower, Error, 'said']],
    ['throws', [thrower, /boom/, 'said']],
    ['throws', [thrower, /nope/, 'said']],
    ['throws', [thrower, (e: Error) => e.message === 'boom', 'said']],
    ['throws', [thrower, (e: Error) => e.message === 'nope', 'said']],
    ['throws', [thrower, { message: 'boom', name: 'TypeError' }, 'said']],
    ['throws', [thrower, { message: /oo/ }, 'said']],
    ['throws', [thrower, { message: 'nope' }, 'said']],
  ];
  let failing = 0;
  for (const [method, args] of calls) {
    const outcome = (a: typeof nodeAssert) => {
      try {
        (a[method] as (...xs: unknown[]) => void)(...args);
        return 'passes';
      } catch (e) {
        const error = e as Error;
        // A given message leads the error's message (node then adds the values, as the shim does in its own words).
        return `throws ${error.name}${args.includes('said') ? `: ${error.message.split('\n')[0]}` : ''}`;
      }
    };
    const expected = outcome(nodeAssert);
    if (expected !== 'passes') failing++;
    assert.equal(outcome(shim.default), expected, `${method}(${args.map((a) => inspect(a)).join(', ')})`);
  }
  // The table holds calls that pass and calls that fail, so neither a shim that always passes nor one that always throws gets through.
  assert.ok(failing > 20 && failing < calls.length - 20, `${failing} of ${calls.length} calls fail under node`);
});
