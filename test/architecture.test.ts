/*
 * The layering of src/ (docs/architecture.md, "Layers of the code"): each folder imports only from
 * the folders listed before it. Every import specifier of every .ts file under src/ is parsed with the TypeScript
 * compiler (static imports, `export ... from`, dynamic `import()`, `import x = require()` and
 * `import('...')` types), resolved to a file under src/, and checked against the rules below.
 */
import { test } from 'node:test';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { assert } from './helpers.js';

/** The order of docs/architecture.md, "Layers of the code": a folder imports only from itself and the folders before it. */
const LAYER_ORDER = ['core', 'io', 'backend', 'tensor', 'ops', 'data', 'nn', 'classic', 'interop', 'vis', 'cli'] as const;

/** Files at the root of src/ (they may import anything). */
const ROOT_FILES = new Set(['index.ts', 'version.ts']);

interface SourceFile {
  /** Path relative to src/, with forward slashes: `ops/shape.ts`. */
  path: string;
  text: string;
}

interface ImportRef {
  specifier: string;
  line: number;
  kind: 'import' | 'export-from' | 'dynamic-import' | 'import-type' | 'import-equals';
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
  const add = (node: ts.Node, literal: ts.Expression | undefined, kind: ImportRef['kind']) => {
    if (literal && ts.isStringLiteralLike(literal)) {
      const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
      found.push({ specifier: literal.text, line, kind });
    }
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) add(node, node.moduleSpecifier, 'import');
    else if (ts.isExportDeclaration(node) && node.moduleSpecifier) add(node, node.moduleSpecifier, 'export-from');
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node, node.moduleReference.expression, 'import-equals');
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node, node.arguments[0], 'dynamic-import');
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node, node.argument.literal, 'import-type');
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
 * - `kernels-know-no-autograd`: src/backend/js and src/backend/native never import src/tensor or src/ops;
 * - `nn-not-backend`: src/nn never imports src/backend directly;
 * - `unknown-folder`: every folder of src/ appears in the order of docs/architecture.md;
 * - `package-entry`: only src/cli may import the package entry src/index.ts (it re-exports every layer);
 * - `outside-src` / `self-reference`: src never imports files outside src/ or itself by package name.
 * Root files (src/index.ts, src/version.ts) may import anything; any folder may import src/version.ts.
 */
function checkLayering(files: readonly SourceFile[]): Violation[] {
  const violations: Violation[] = [];
  for (const file of files) {
    const from = folderOf(file.path);
    if (from !== null && !(LAYER_ORDER as readonly string[]).includes(from)) {
      violations.push({
        file: file.path, specifier: '(none)', line: 0,
        rule: `unknown-folder: src/${from}/ is not in the layer order (${LAYER_ORDER.join(', ')}); `
          + 'add it to LAYER_ORDER here and to docs/architecture.md first',
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
      if (from === 'nn' && to === 'backend') report('nn-not-backend: src/nn must not import src/backend directly; go through src/ops or src/tensor');
      if ((file.path.startsWith('backend/js/') || file.path.startsWith('backend/native/')) && (to === 'tensor' || to === 'ops')) {
        report(`kernels-know-no-autograd: ${file.path.startsWith('backend/js/') ? 'src/backend/js' : 'src/backend/native'} must not import src/${to}`);
      }
      if (toRank < 0) report(`layer-order: src/${to}/ is not a known folder (order: ${LAYER_ORDER.join(', ')})`);
      else if (fromRank >= 0 && toRank > fromRank) {
        report(`layer-order: src/${from}/ may import only from folders listed before it (${LAYER_ORDER.slice(0, fromRank).join(', ') || 'none'}), but src/${to}/ comes after it`);
      }
    }
  }
  return violations;
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

test('the import parser finds every form of import and ignores comments and strings', () => {
  const text = [
    "import { a } from './a.js';",
    "import type { B } from '../b/index.js';",
    "import * as c from \"./c.js\";",
    "import './side-effect.js';",
    "import {",
    "  d,",
    "  e,",
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
    "const s = \"import { nope } from '../in/a/string.js'\";",
    "export const m = 1;",
  ].join('\n');
  const specifiers = importsOf('x/file.ts', text).map((r) => r.specifier);
  assert.deepEqual(specifiers, [
    './a.js', '../b/index.js', './c.js', './side-effect.js', '../multi/line.js', './f.js', '../g/index.js', './h.js',
    './i.js', '../j/index.js', '../k/index.js', './l.js',
  ]);
  const lines = importsOf('x/file.ts', text).map((r) => r.line);
  assert.equal(lines[4], 5, 'a multi-line import is reported at its first line');
});

test('the layering checker reports violations on synthetic sources, naming the file, the import and the rule', () => {
  const files: SourceFile[] = [
    // Allowed: down the list, within a folder, node built-ins, version.ts, root files.
    { path: 'ops/ok.ts', text: "import { x } from '../tensor/index.js';\nimport { y } from '../core/index.js';\nimport { z } from './helpers.js';\nimport fs from 'node:fs';\nimport { VERSION } from '../version.js';" },
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
    { path: 'wat/new.ts', text: "export const x = 1;" },
    { path: 'io/self.ts', text: "import * as nr from 'neurona';" },
    { path: 'data/outside.ts', text: "import { helper } from '../../test/helpers.js';" },
  ];
  const violations = checkLayering(files);
  const summary = violations.map((v) => `${v.file} ${v.specifier} ${v.rule.split(':')[0]}`).sort();
  assert.deepEqual(summary, [
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
  ].sort());
  const message = formatViolations(violations.filter((v) => v.file === 'tensor/bad.ts'));
  assert.match(message, /src\/tensor\/bad\.ts:2/, 'names the file and line');
  assert.match(message, /'\.\.\/ops\/elementwise\.js'/, 'names the import');
  assert.match(message, /layer-order: src\/tensor\/ may import only from folders listed before it \(core, io, backend\), but src\/ops\/ comes after it/, 'states the rule');
  // And the test that guards src/ fails on such a set, with the same message.
  assert.throws(
    () => assert.equal(violations.length, 0, `layering violations:\n${formatViolations(violations)}`),
    (e: Error) => /src\/nn\/bad\.ts:1 imports '\.\.\/backend\/index\.js': nn-not-backend/.test(e.message),
  );
});
