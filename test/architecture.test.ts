/*
 * The layering of src/ (docs/architecture.md, "Layers of the code"): each folder imports only from
 * the folders listed before it. Every import specifier of every .ts file under src/ is parsed with the TypeScript
 * compiler (static imports, `export ... from`, dynamic `import()`, `import x = require()` and
 * `import('...')` types), resolved to a file under src/, and checked against the rules below; the
 * imports that exist at run time must also form no cycle between files (see findCycles).
 */
import { test } from 'node:test';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { assert } from './helpers.js';

/** The order of docs/architecture.md, "Layers of the code": a folder imports only from itself and the folders before it. */
const LAYER_ORDER = [
  'core',
  'io',
  'backend',
  'tensor',
  'ops',
  'data',
  'nn',
  'applications',
  'classic',
  'interop',
  'vis',
  'cli',
  'playground',
] as const;

interface SourceFile {
  /** Path relative to src/, with forward slashes: `ops/shape.ts`. */
  path: string;
  text: string;
}

interface ImportRef {
  specifier: string;
  line: number;
  kind: 'import' | 'export-from' | 'dynamic-import' | 'import-type' | 'import-equals';
  /** Erased by the compiler: `import type`, `export type`, every named binding marked `type`, `import('...')` types. */
  typeOnly: boolean;
}

interface Violation {
  file: string;
  specifier: string;
  line: number;
  rule: string;
}

/** Every module specifier in a TypeScript source text (comments and strings are not mistaken for imports). */
function importsOf(fileName: string, text: string): ImportRef[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const found: ImportRef[] = [];
  const add = (node: ts.Node, literal: ts.Expression | undefined, kind: ImportRef['kind'], typeOnly = false) => {
    if (literal && ts.isStringLiteralLike(literal)) {
      const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
      found.push({ specifier: literal.text, line, kind, typeOnly });
    }
  };
  // `import { type A, type B }` names types only; `import {}` or a side-effect import runs the module.
  const allTypes = (elements: ts.NodeArray<ts.ImportSpecifier | ts.ExportSpecifier>) =>
    elements.length > 0 && elements.every((e) => e.isTypeOnly);
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const bindings = clause?.namedBindings;
      const namesTypes = !clause?.name && !!bindings && ts.isNamedImports(bindings) && allTypes(bindings.elements);
      const typeOnly = !!clause && (clause.isTypeOnly || namesTypes);
      add(node, node.moduleSpecifier, 'import', typeOnly);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      const clause = node.exportClause;
      const namesTypes = !!clause && ts.isNamedExports(clause) && allTypes(clause.elements);
      add(node, node.moduleSpecifier, 'export-from', node.isTypeOnly || namesTypes);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node, node.moduleReference.expression, 'import-equals', node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node, node.arguments[0], 'dynamic-import');
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node, node.argument.literal, 'import-type', true);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The top folder of a path relative to src/ (`ops/shape.ts` -> `ops`), or null for a root file. */
function folderOf(path: string): string | null {
  const slash = path.indexOf('/');
  return slash < 0 ? null : path.slice(0, slash);
}

/** Resolves a relative specifier from `from` (relative to src/) to a path relative to src/, `.js` read as `.ts`. */
function resolveSpecifier(from: string, specifier: string): string {
  const joined = posix.normalize(posix.join(posix.dirname(from), specifier));
  return joined.replace(/\.js$/, '.ts');
}

/**
 * Checks the layering rules on a set of files and returns every violation. Rules:
 * - `layer-order`: a folder imports only from itself and the folders listed before it;
 * - `core-imports-nothing`: src/core imports nothing from another src folder (src/version.ts excepted);
 * - `kernels-know-no-autograd`: src/backend/js, native and wasm never import src/tensor or src/ops;
 * - `nn-not-backend`: src/nn never imports src/backend directly;
 * - `unknown-folder`: every folder of src/ appears in the order of docs/architecture.md;
 * - `package-entry`: only src/cli may import the package entry src/index.ts (it re-exports every layer);
 * - `outside-src` / `self-reference`: src never imports files outside src/ or itself by package name.
 * Root files (src/index.ts, src/version.ts) may import anything; any folder may import src/version.ts, and
 * src/playground (browser programs) src/browser.ts.
 */
function checkLayering(files: readonly SourceFile[]): Violation[] {
  const violations: Violation[] = [];
  for (const file of files) {
    const from = folderOf(file.path);
    if (from !== null && !(LAYER_ORDER as readonly string[]).includes(from)) {
      violations.push({
        file: file.path,
        specifier: '(none)',
        line: 0,
        rule:
          `unknown-folder: src/${from}/ is not in the layer order (${LAYER_ORDER.join(', ')}); ` +
          'add it to LAYER_ORDER here and to docs/architecture.md first',
      });
    }
    for (const ref of importsOf(file.path, file.text)) {
      const report = (rule: string) => violations.push({ file: file.path, specifier: ref.specifier, line: ref.line, rule });
      if (ref.specifier === 'neurona' || ref.specifier.startsWith('neurona/')) {
        report('self-reference: src must not import the package by its own name; import the file relatively');
        continue;
      }
      if (!ref.specifier.startsWith('.')) continue; // node: built-ins and packages
      if (from === null) continue; // root files may import anything
      const target = resolveSpecifier(file.path, ref.specifier);
      if (target.startsWith('../') || target === '..') {
        report('outside-src: a file under src/ imports a file outside src/');
        continue;
      }
      const to = folderOf(target);
      if (to === null) {
        if (target === 'version.ts') continue;
        // The playground's page and worker are browser programs bundled on their own, built on the browser entry.
        if (from === 'playground' && target === 'browser.ts') continue;
        if (target === 'index.ts' || target === 'index') {
          if (from !== 'cli') report('package-entry: only src/cli may import src/index.ts (it re-exports every layer)');
          continue;
        }
        report(`layer-order: src/${target} is a root file; only src/version.ts may be imported from a folder`);
        continue;
      }
      if (to === from) continue;
      const fromRank = (LAYER_ORDER as readonly string[]).indexOf(from);
      const toRank = (LAYER_ORDER as readonly string[]).indexOf(to);
      if (from === 'core') report(`core-imports-nothing: src/core must not import from src/${to}`);
      if (from === 'nn' && to === 'backend')
        report('nn-not-backend: src/nn must not import src/backend directly; go through src/ops or src/tensor');
      const kernels = ['js', 'native', 'wasm'].map((b) => `src/backend/${b}`).find((dir) => file.path.startsWith(`${dir.slice(4)}/`));
      if (kernels && (to === 'tensor' || to === 'ops')) {
        report(`kernels-know-no-autograd: ${kernels} must not import src/${to}`);
      }
      if (toRank < 0) report(`layer-order: src/${to}/ is not a known folder (order: ${LAYER_ORDER.join(', ')})`);
      else if (fromRank >= 0 && toRank > fromRank) {
        const before = LAYER_ORDER.slice(0, fromRank).join(', ') || 'none';
        report(`layer-order: src/${from}/ may import only from folders listed before it (${before}), but src/${to}/ comes after it`);
      }
    }
  }
  return violations;
}

/*
 * Import cycles. A file-level cycle among src/'s modules means one of them runs before a module it
 * imports has finished: a class it extends, a table it reads or a registration it relies on at load
 * time is then undefined or in its temporal dead zone, and whether that bites depends on which file
 * an application happens to import first (the Node and browser entries differ). The graph therefore
 * holds the edges that exist when the code runs: static imports and `export ... from` (side-effect
 * imports included). Type-only imports are left out: the compiler erases them, so they cannot order
 * evaluation, and two types that mention each other (a Model and the persistence hook that takes a
 * Model) say something true about the design. An import without `type` counts even when tsc would
 * elide it because only types are used; mark it `type` if that is all it is. Dynamic `import()` is
 * left out too: it runs after every static import has loaded (src/cli/main.ts loads the commands
 * lazily this way). No cycle is allowed: a new one is broken by moving the shared code down into a
 * module both sides import (ops/helpers.ts took `unbroadcast` for this reason).
 */

interface ImportEdge {
  to: string;
  line: number;
  specifier: string;
}

/** The run-time import graph of `files` (paths relative to src/): each file's edges to files of the set. */
function importGraph(files: readonly SourceFile[]): Map<string, ImportEdge[]> {
  const known = new Set(files.map((f) => f.path));
  const graph = new Map<string, ImportEdge[]>();
  for (const file of files) {
    const edges: ImportEdge[] = [];
    for (const ref of importsOf(file.path, file.text)) {
      const runs = ref.kind === 'import' || ref.kind === 'export-from' || ref.kind === 'import-equals';
      if (!runs || ref.typeOnly || !ref.specifier.startsWith('.')) continue;
      const to = resolveSpecifier(file.path, ref.specifier);
      if (known.has(to)) edges.push({ to, line: ref.line, specifier: ref.specifier });
    }
    graph.set(file.path, edges);
  }
  return graph;
}

/**
 * Every import cycle of `graph`, one per strongly connected component (Tarjan's algorithm): the
 * shortest cycle through the component's first file in path order, as the edges that close it.
 */
function findCycles(graph: ReadonlyMap<string, readonly ImportEdge[]>): { from: string; edge: ImportEdge }[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const { to } of graph.get(v) ?? []) {
      if (!index.has(to)) {
        connect(to);
        low.set(v, Math.min(low.get(v)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(v, Math.min(low.get(v)!, index.get(to)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).some((e) => e.to === v)) components.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) connect(v);
  return components
    .map((component) => {
      // Breadth-first from the first file back to itself, inside the component.
      const inside = new Set(component);
      const start = component[0]!;
      const via = new Map<string, { from: string; edge: ImportEdge }>();
      const queue = [start];
      for (let i = 0; i < queue.length && !via.has(start); i++) {
        const v = queue[i]!;
        for (const edge of graph.get(v) ?? []) {
          if (!inside.has(edge.to) || via.has(edge.to)) continue;
          via.set(edge.to, { from: v, edge });
          queue.push(edge.to);
        }
      }
      const path: { from: string; edge: ImportEdge }[] = [];
      let at = start;
      do {
        const step = via.get(at)!;
        path.unshift(step);
        at = step.from;
      } while (at !== start);
      return path;
    })
    .sort((a, b) => a[0]!.from.localeCompare(b[0]!.from));
}

function formatCycle(cycle: readonly { from: string; edge: ImportEdge }[]): string {
  return `${cycle.map((s) => `src/${s.from}:${s.edge.line} imports '${s.edge.specifier}'`).join(' -> ')} -> back to src/${cycle[0]!.from}`;
}

function formatViolations(violations: readonly Violation[]): string {
  return violations.map((v) => `src/${v.file}:${v.line} imports '${v.specifier}': ${v.rule}`).join('\n');
}

const srcRoot = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

function collectSources(dir: string): SourceFile[] {
  const files: SourceFile[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files.push(...collectSources(path));
    else if (name.endsWith('.ts')) {
      files.push({ path: relative(srcRoot, path).split(/[\\/]/).join('/'), text: readFileSync(path, 'utf8') });
    }
  }
  return files;
}

test('every import under src/ follows the layer order of docs/architecture.md', () => {
  const files = collectSources(srcRoot);
  // Guard against a vacuous pass (wrong directory, parser finding nothing).
  assert.ok(files.length >= 20, `expected the source tree under ${srcRoot}, found ${files.length} .ts files`);
  const total = files.reduce((n, f) => n + importsOf(f.path, f.text).length, 0);
  assert.ok(total >= 40, `expected many import specifiers in src/, parsed only ${total}`);
  const violations = checkLayering(files);
  assert.equal(violations.length, 0, `layering violations:\n${formatViolations(violations)}`);
});

test('the run-time import graph of src/ has no cycle', () => {
  const graph = importGraph(collectSources(srcRoot));
  // Guard against a vacuous pass: the graph must hold edges we know exist.
  const edges = [...graph.values()].reduce((n, e) => n + e.length, 0);
  assert.ok(edges >= 100, `expected many run-time imports between files of src/, found ${edges}`);
  assert.ok(
    graph.get('ops/reduce.ts')?.some((e) => e.to === 'ops/elementwise.ts'),
    'ops/reduce.ts imports ops/elementwise.ts',
  );
  const cycles = findCycles(graph);
  const list = cycles.map(formatCycle).join('\n');
  assert.equal(cycles.length, 0, `import cycles (break each by moving the shared code into a module both sides import):\n${list}`);
});

test('the cycle finder reports each cycle once with the imports that close it, and skips type-only and dynamic imports', () => {
  const files: SourceFile[] = [
    // A three-file cycle, closed through an `export ... from` and a side-effect import.
    { path: 'ops/a.ts', text: "import { b } from './b.js';\nexport const a = 1;" },
    { path: 'ops/b.ts', text: "// b\nexport { c as b } from './c.js';" },
    { path: 'ops/c.ts', text: "import './a.js';\nexport const c = 2;" },
    // A file that imports itself.
    { path: 'nn/self.ts', text: "export * from './self.js';" },
    // Not cycles: type-only in every spelling, a dynamic import, and an edge into a cycle from outside it.
    { path: 'nn/x.ts', text: "import type { Y } from './y.js';\nimport { type Z } from './z.js';\nexport const x = 1;" },
    { path: 'nn/y.ts', text: "import { x } from './x.js';\nexport type Y = typeof x;" },
    { path: 'nn/z.ts', text: "import { x } from './x.js';\nexport type { Y } from './y.js';\nexport type Z = typeof x;" },
    { path: 'nn/w.ts', text: "import { x } from './x.js';\ntype T = import('./v.js').T;\nexport const w = () => import('./v.js');" },
    { path: 'nn/v.ts', text: "import { w } from './w.js';\nexport type T = typeof w;" },
    { path: 'nn/u.ts', text: "import { a } from '../ops/a.js';\nexport const u = a;" },
  ];
  const cycles = findCycles(importGraph(files));
  assert.deepEqual(cycles.map(formatCycle), [
    "src/nn/self.ts:1 imports './self.js' -> back to src/nn/self.ts",
    "src/ops/a.ts:1 imports './b.js' -> src/ops/b.ts:2 imports './c.js' -> src/ops/c.ts:1 imports './a.js' -> back to src/ops/a.ts",
  ]);
  // The same sources with `import type` turned into run-time imports do close cycles.
  const valued = files.map((f) => ({
    ...f,
    text: f.text.replace(/import type \{|import \{ type /g, 'import { ').replace(/export type \{/g, 'export {'),
  }));
  const paths = findCycles(importGraph(valued)).map((c) => c.map((s) => s.from).join(' '));
  assert.deepEqual(paths, ['nn/self.ts', 'nn/x.ts nn/y.ts', 'ops/a.ts ops/b.ts ops/c.ts']);
  // And the test that guards src/ fails on them, naming the files.
  assert.throws(
    () => assert.equal(cycles.length, 0, `import cycles:\n${cycles.map(formatCycle).join('\n')}`),
    (e: Error) => /src\/ops\/c\.ts:1 imports '\.\/a\.js' -> back to src\/ops\/a\.ts/.test(e.message),
  );
});

test('the import parser finds every form of import and ignores comments and strings', () => {
  const text = [
    "import { a } from './a.js';",
    "import type { B } from '../b/index.js';",
    'import * as c from "./c.js";',
    "import './side-effect.js';",
    'import {',
    '  d,',
    '  e,',
    "} from '../multi/line.js';",
    "export { f } from './f.js';",
    "export * from '../g/index.js';",
    "export * as h from './h.js';",
    "export type { I } from './i.js';",
    "const j = await import('../j/index.js');",
    "type K = import('../k/index.js').K;",
    "import l = require('./l.js');",
    "// import { nope } from '../commented/out.js';",
    "/* export * from '../block/comment.js'; */",
    'const s = "import { nope } from \'../in/a/string.js\'";',
    'export const m = 1;',
  ].join('\n');
  const specifiers = importsOf('x/file.ts', text).map((r) => r.specifier);
  assert.deepEqual(specifiers, [
    './a.js',
    '../b/index.js',
    './c.js',
    './side-effect.js',
    '../multi/line.js',
    './f.js',
    '../g/index.js',
    './h.js',
    './i.js',
    '../j/index.js',
    '../k/index.js',
    './l.js',
  ]);
  const lines = importsOf('x/file.ts', text).map((r) => r.line);
  assert.equal(lines[4], 5, 'a multi-line import is reported at its first line');
  const typeOnly = importsOf('x/file.ts', text)
    .filter((r) => r.typeOnly)
    .map((r) => r.specifier);
  assert.deepEqual(typeOnly, ['../b/index.js', './i.js', '../k/index.js']);
});

test('the layering checker reports violations on synthetic sources, naming the file, the import and the rule', () => {
  const files: SourceFile[] = [
    // Allowed: down the list, within a folder, node built-ins, version.ts, root files.
    {
      path: 'ops/ok.ts',
      text:
        "import { x } from '../tensor/index.js';\nimport { y } from '../core/index.js';\nimport { z } from './helpers.js';\n" +
        "import fs from 'node:fs';\nimport { VERSION } from '../version.js';",
    },
    { path: 'index.ts', text: "export * from './cli/main.js';" },
    { path: 'core/ok.ts', text: "import { VERSION } from '../version.js';\nimport { e } from './errors.js';" },
    { path: 'cli/ok.ts', text: "import * as nr from '../index.js';" },
    { path: 'backend/js/ok.ts', text: "import type { Random } from '../../core/index.js';\nimport { k } from '../kernels.js';" },
    // Violations.
    { path: 'tensor/bad.ts', text: "// a comment\nimport { add } from '../ops/elementwise.js';" },
    { path: 'core/bad.ts', text: "export { kernels } from '../backend/index.js';" },
    { path: 'backend/js/bad.ts', text: "const t = await import('../../tensor/index.js');" },
    { path: 'backend/native/bad.ts', text: "import type { Operand } from '../../ops/helpers.js';" },
    { path: 'nn/bad.ts', text: "import { kernels } from '../backend/index.js';" },
    { path: 'core/entry.ts', text: "import * as nr from '../index.js';" },
    { path: 'wat/new.ts', text: 'export const x = 1;' },
    { path: 'io/self.ts', text: "import * as nr from 'neurona';" },
    { path: 'data/outside.ts', text: "import { helper } from '../../test/helpers.js';" },
  ];
  const violations = checkLayering(files);
  const summary = violations.map((v) => `${v.file} ${v.specifier} ${v.rule.split(':')[0]}`).sort();
  assert.deepEqual(
    summary,
    [
      'backend/js/bad.ts ../../tensor/index.js kernels-know-no-autograd',
      'backend/js/bad.ts ../../tensor/index.js layer-order',
      'backend/native/bad.ts ../../ops/helpers.js kernels-know-no-autograd',
      'backend/native/bad.ts ../../ops/helpers.js layer-order',
      'core/bad.ts ../backend/index.js core-imports-nothing',
      'core/bad.ts ../backend/index.js layer-order',
      'core/entry.ts ../index.js package-entry',
      'data/outside.ts ../../test/helpers.js outside-src',
      'io/self.ts neurona self-reference',
      'nn/bad.ts ../backend/index.js nn-not-backend',
      'tensor/bad.ts ../ops/elementwise.js layer-order',
      'wat/new.ts (none) unknown-folder',
    ].sort(),
  );
  const message = formatViolations(violations.filter((v) => v.file === 'tensor/bad.ts'));
  assert.match(message, /src\/tensor\/bad\.ts:2/, 'names the file and line');
  assert.match(message, /'\.\.\/ops\/elementwise\.js'/, 'names the import');
  assert.match(
    message,
    /layer-order: src\/tensor\/ may import only from folders listed before it \(core, io, backend\), but src\/ops\/ comes after it/,
    'states the rule',
  );
  // And the test that guards src/ fails on such a set, with the same message.
  assert.throws(
    () => assert.equal(violations.length, 0, `layering violations:\n${formatViolations(violations)}`),
    (e: Error) => /src\/nn\/bad\.ts:1 imports '\.\.\/backend\/index\.js': nn-not-backend/.test(e.message),
  );
});
