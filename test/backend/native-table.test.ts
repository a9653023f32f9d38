import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KERNEL_NAMES, availableBackends, type KernelName } from '../../src/backend/index.js';
import {
  BINARY_OPS,
  LINEAR_ACTIVATIONS,
  type PoolOp,
  REDUCE_OPS,
  UNARY_GRAD_OPS,
  UNARY_OPS,
  type UpdateRule,
} from '../../src/backend/kernels.js';
import { jsKernels } from '../../src/backend/js/index.js';
import { nativeInfo, wrapKernels } from '../../src/backend/native/index.js';
import { HEADER_PATH, renderKernelTableHeader } from '../../src/backend/native/cpp-header.js';
import {
  CODES,
  NATIVE_FUNCTIONS,
  parseArg,
  tableHash,
  type Addon,
  type ArgType,
  type FunctionSpec,
} from '../../src/backend/native/table.js';
import { assert } from '../helpers.js';
import { TS_NODE } from '../ts-node.js';

/*
 * The kernel table (src/backend/native/table.ts) against everything that must agree with it: the
 * generated C++ header, KERNEL_NAMES, the js backend, the binding's wrappers and the built addon.
 */

const root = new URL('../..', import.meta.url).pathname;
const functions = Object.entries(NATIVE_FUNCTIONS) as [string, FunctionSpec][];

test('native/kernels/kernel_table.h is the header the table generates', () => {
  const committed = readFileSync(join(root, HEADER_PATH), 'utf8');
  assert.ok(
    committed === renderKernelTableHeader(),
    `${HEADER_PATH} is stale: run \`npm run build:native\`, which rewrites it from src/backend/native/table.ts`,
  );
});

test('KERNEL_NAMES, the js backend and the native table name the same kernels', () => {
  assert.equal(new Set(KERNEL_NAMES).size, KERNEL_NAMES.length, 'KERNEL_NAMES has no duplicates');
  assert.deepEqual(Object.keys(jsKernels).sort(), [...KERNEL_NAMES].sort(), 'the js backend implements exactly KERNEL_NAMES');
  for (const [name, spec] of functions.filter(([, s]) => s.elementwise)) {
    assert.ok((KERNEL_NAMES as readonly string[]).includes(name), `elementwise table entry ${name} is not in KERNEL_NAMES`);
    assert.equal(
      spec.args.length,
      jsKernels[name as KernelName].length,
      `${name}: the table lists ${spec.args.length} arguments, the js kernel takes ${jsKernels[name as KernelName].length}`,
    );
  }
  const wrapped = Object.keys(wrapKernels(fakeAddon([])));
  for (const name of wrapped) {
    assert.ok((KERNEL_NAMES as readonly string[]).includes(name), `native wraps ${name}, which is not in KERNEL_NAMES`);
  }
  for (const [name, spec] of functions) if (spec.elementwise) assert.ok(wrapped.includes(name), `native does not wrap ${name}`);
});

test("the elementwise wrappers call the addon with the table's arguments for float32, and js otherwise", () => {
  const calls: { name: string; args: unknown[] }[] = [];
  const kernels = wrapKernels(fakeAddon(calls)) as Record<string, (...args: unknown[]) => void>;
  for (const [name, spec] of functions.filter(([, s]) => s.elementwise)) {
    // Arrays past the size cut-off, and a plain value for each parameter (the table's elementwise
    // kernels take booleans and numbers after their arrays).
    const build = (array: () => Float32Array | Float64Array) =>
      spec.args.map((a) => {
        const type = parseArg(a).type;
        return type === 'f32' ? array() : type === 'bool' ? false : 0;
      });
    calls.length = 0;
    kernels[name]!(...build(() => new Float32Array(4096)));
    assert.deepEqual(
      calls.map((c) => c.name),
      [name],
      `${name} on float32 goes to the addon`,
    );
    calls.length = 0;
    kernels[name]!(...build(() => new Float64Array(4096)));
    assert.deepEqual(calls, [], `${name} on float64 stays in js`);
  }
});

const skipUnbuilt = { skip: !availableBackends().includes('native') && 'the native addon is not built here' };

test("the built addon exports exactly the table's functions and op-code lists, and the table's hash", skipUnbuilt, () => {
  const info = nativeInfo();
  const addon = createRequire(import.meta.url)(info.available ? info.path : '') as Record<string, unknown>;
  const exported = Object.getOwnPropertyNames(addon)
    .filter((k) => typeof addon[k] === 'function')
    .sort();
  assert.deepEqual(exported, functions.map(([name]) => name).sort());
  for (const code of Object.values(CODES)) assert.ok(Array.isArray(addon[code.list]), `the addon exports ${code.list}`);
  assert.equal(addon.tableHash, tableHash());
});

test("every op-code name the addon exports is one of the TypeScript side's names for that code", skipUnbuilt, () => {
  // codes() maps names to codes, so a misspelt name in a C++ list would silently send that op to js forever.
  const info = nativeInfo();
  const addon = createRequire(import.meta.url)(info.available ? info.path : '') as Record<string, unknown>;
  const known: Record<keyof typeof CODES, readonly string[]> = {
    unaryOp: UNARY_OPS,
    unaryGradOp: UNARY_GRAD_OPS,
    binaryOp: BINARY_OPS,
    reduceOp: REDUCE_OPS,
    activation: LINEAR_ACTIVATIONS,
    poolOp: ['max', 'avg'] satisfies PoolOp[],
    updateRule: ['sgd', 'adam', 'rmsprop', 'adagrad', 'adadelta'] satisfies UpdateRule[],
  };
  for (const [code, { list }] of Object.entries(CODES) as [keyof typeof CODES, (typeof CODES)[keyof typeof CODES]][]) {
    const names = addon[list] as string[];
    assert.ok(names.length > 0, `${list} is not empty`);
    for (const name of names) assert.ok(known[code].includes(name), `${list} has ${JSON.stringify(name)}, unknown to ${code}`);
  }
});

test('load() refuses an addon built from another table, or one without a function of the table', () => {
  const dir = mkdtempSync(join(tmpdir(), 'neurona-table-'));
  try {
    const load = (source: string) => {
      const path = join(dir, `addon-${Math.random().toString(36).slice(2)}.js`);
      writeFileSync(path, source);
      const child = spawnSync(
        process.execPath,
        [
          ...TS_NODE,
          '--input-type=module',
          '-e',
          "import { nativeInfo } from './src/backend/native/index.ts'; console.log(JSON.stringify(nativeInfo()));",
        ],
        {
          cwd: root,
          encoding: 'utf8',
          env: { ...process.env, NEURONA_NATIVE_ADDON: path },
        },
      );
      assert.equal(child.status, 0, child.stderr);
      return JSON.parse(child.stdout) as { available: boolean; reason?: string };
    };
    const names = functions.map(([name]) => name);
    const lists = Object.values(CODES).map((c) => c.list);
    const module = (functionNames: string[], hash: number) => `${functionNames.map((n) => `exports.${n} = () => {};`).join('\n')}
${lists.map((l) => `exports.${l} = [];`).join('\n')}
exports.info = () => ({ isa: 'portable', threads: 1, maxThreads: 1 });
exports.tableHash = ${hash};`;
    const stale = load(module(names, (tableHash() + 1) >>> 0));
    assert.equal(stale.available, false);
    assert.match(
      stale.reason!,
      /was built from another version of the kernel table; run `npm rebuild neurona` to build it \(in a checkout of neurona: `npm run bu/,
    );
    const older = load(
      module(
        names.filter((n) => n !== 'conv2d'),
        tableHash(),
      ),
    );
    assert.match(older.reason!, /is an older or foreign build without `conv2d`/);
    assert.equal(load(module(names, tableHash())).available, true, 'the same table loads');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** An addon of the table's functions that records each call and checks its arguments' count and types. */
function fakeAddon(calls: { name: string; args: unknown[] }[]): Addon {
  type Check = (v: unknown) => boolean;
  const codes = Object.fromEntries(Object.keys(CODES).map((k) => [k, Number.isInteger])) as Record<keyof typeof CODES, Check>;
  const check: Record<ArgType, Check> = {
    f32: (v) => v instanceof Float32Array,
    'f32?': (v) => v === null || v instanceof Float32Array,
    i32: (v) => v instanceof Int32Array,
    'f32[]': Array.isArray,
    count: (v) => Number.isInteger(v) && (v as number) >= 0,
    bool: (v) => typeof v === 'boolean',
    float: (v) => typeof v === 'number',
    double: (v) => typeof v === 'number',
    geometry: (v) => v instanceof Int32Array,
    updateParams: (v) => v instanceof Float64Array,
    ...codes,
  };
  const addon: Record<string, unknown> = { tableHash: tableHash() };
  for (const [name, spec] of functions) {
    addon[name] = (...args: unknown[]) => {
      assert.equal(args.length, spec.args.length, `${name}: argument count`);
      spec.args.forEach((a, i) => assert.ok(check[parseArg(a).type](args[i]), `${name}: argument ${a} got ${String(args[i])}`));
      calls.push({ name, args });
    };
  }
  for (const code of Object.values(CODES)) addon[code.list] = [];
  return addon as unknown as Addon;
}
