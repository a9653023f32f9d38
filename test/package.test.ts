/*
 * The shape of package.json as a consumer's npm and bundler see it: what the tarball holds, which
 * modules bundlers must keep for their side effects, the CommonJS entry, and which dependencies a
 * plain install pulls in.
 */
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { assert } from './helpers.js';
import { CHART_PACKAGES } from '../src/vis/optional.js';

interface Manifest {
  sideEffects?: unknown;
  files: string[];
  exports: Record<string, unknown>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
}

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as Manifest;

/**
 * What tsconfig.json leaves out of the compilation is no module of the package: the playground's page
 * and worker, which scripts/build-playground.mjs bundles into dist/playground-web/ instead.
 */
const NOT_COMPILED = new Set<string>(JSON.parse(readFileSync('tsconfig.json', 'utf8')).exclude ?? []);

function sources(dir = 'src'): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (NOT_COMPILED.has(path)) return [];
      return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
    });
}

/** The compiled path of a source file, as package.json spells it: src/a/b.ts -> ./dist/a/b.js. */
const distPath = (source: string) => `./dist/${relative('src', source).replace(/\.ts$/, '.js')}`;

/** A sideEffects glob as webpack and esbuild read it: `**` spans folders, `*` stays within one. */
function globRegExp(glob: string): RegExp {
  const escaped = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*\*\//g, '\u0000')
    .replace(/\*/g, '[^/]*')
    .replaceAll('\u0000', '(?:.*/)?');
  return new RegExp(`^${escaped}$`);
}

/**
 * Top-level statements that do something when the module is evaluated (register a layer, patch
 * Tensor's prototype, fill a table from a loop): anything but declarations, imports and exports.
 */
function effects(source: string): string[] {
  const file = ts.createSourceFile(source, readFileSync(source, 'utf8'), ts.ScriptTarget.ES2022, true);
  return file.statements
    .filter(
      (s) =>
        !ts.isImportDeclaration(s) &&
        !ts.isExportDeclaration(s) &&
        !ts.isFunctionDeclaration(s) &&
        !ts.isClassDeclaration(s) &&
        !ts.isInterfaceDeclaration(s) &&
        !ts.isTypeAliasDeclaration(s) &&
        !ts.isVariableStatement(s) &&
        !ts.isEnumDeclaration(s) &&
        !ts.isModuleDeclaration(s) &&
        !ts.isExportAssignment(s) &&
        !ts.isEmptyStatement(s),
    )
    .map((s) => s.getText().split('\n')[0]!);
}

test('sideEffects lists exactly the modules whose evaluation does something, so bundlers drop nothing needed', () => {
  assert.ok(Array.isArray(pkg.sideEffects), `sideEffects must be a list of files (it is ${JSON.stringify(pkg.sideEffects)})`);
  const globs = (pkg.sideEffects as string[]).map((glob) => ({ glob, re: globRegExp(glob) }));
  const all = sources();
  const effectful = all.filter((s) => effects(s).length > 0);
  assert.ok(
    effectful.includes('src/ops/methods.ts') && effectful.includes('src/nn/layers/core/dense.ts'),
    'the scan finds the known registrations',
  );
  for (const source of effectful) {
    assert.ok(
      globs.some(({ re }) => re.test(distPath(source))),
      `${source} runs ${JSON.stringify(effects(source)[0])} when loaded; add ${distPath(source)} to sideEffects`,
    );
  }
  for (const { glob, re } of globs) {
    const matched = all.filter((s) => re.test(distPath(s)));
    assert.ok(matched.length > 0, `sideEffects entry ${glob} matches no module`);
    // A glob over a folder may take in a few declaration-only files; a single file must earn its place.
    if (!glob.includes('*')) assert.ok(effectful.includes(matched[0]!), `${glob} has no top-level effect; remove it from sideEffects`);
  }
});

test('exports: ESM for import, the browser build for bundlers, and a require entry that explains itself', () => {
  const root = pkg.exports['.'] as Record<string, string | Record<string, string>>;
  // browser first, with its own declarations: a bundler (or TypeScript with customConditions ['browser'])
  // gets the browser build and types that list only what it has; everything else falls through to Node's.
  assert.deepEqual(Object.keys(root), ['browser', 'types', 'import', 'require']);
  assert.deepEqual(root.browser, { types: './dist/browser.d.ts', default: './dist/browser.js' });
  assert.deepEqual([root.types, root.import], ['./dist/index.d.ts', './dist/index.js']);
  assert.equal(root.require, './cjs/index.cjs');
  assert.ok(pkg.files.includes('cjs'), 'the require entry is packed');
});

/** Runs `require('neurona')` through cjs/index.cjs in a copy whose dist/index.js is a stand-in ES module. */
function requireShim(nodeFlags: string[]): ReturnType<typeof spawnSync> {
  const dir = mkdtempSync(join(tmpdir(), 'neurona-cjs-'));
  try {
    mkdirSync(join(dir, 'cjs'));
    mkdirSync(join(dir, 'dist'));
    copyFileSync('cjs/index.cjs', join(dir, 'cjs', 'index.cjs'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(join(dir, 'dist', 'index.js'), 'export const answer = 42;\n');
    const program = `console.log(require(${JSON.stringify(join(dir, 'cjs', 'index.cjs'))}).answer)`;
    return spawnSync(process.execPath, [...nodeFlags, '-e', program], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("require('neurona') hands over the ES module where Node can require() one, and says how to import it where not", () => {
  if (process.features.require_module) {
    const child = requireShim([]);
    assert.equal(child.status, 0, String(child.stderr));
    assert.equal(String(child.stdout).trim(), '42');
  }
  // Node 20.19+ and 22.12+ turn require(esm) off with this flag; older Nodes lack both the feature and the flag.
  const flags = process.allowedNodeEnvironmentFlags.has('--no-experimental-require-module') ? ['--no-experimental-require-module'] : [];
  const child = requireShim(flags);
  assert.notEqual(child.status, 0);
  const error = String(child.stderr)
    .split('\n')
    .find((l) => l.startsWith('Error: '));
  assert.ok(error, String(child.stderr));
  assert.match(error, /^Error: neurona is an ES module, and this Node \(v[\d.]+\) cannot require\(\) ES modules .*: /);
  assert.match(error, /: write `import \* as nr from 'neurona'`/);
  assert.match(error, /`const nr = await import\('neurona'\)` in CommonJS$/);
});

test("the tarball holds sources and the addon's C++ but no build intermediates", () => {
  // npm reads the real "files" list in a scratch copy that has the intermediates node-gyp leaves.
  const dir = mkdtempSync(join(tmpdir(), 'neurona-pack-'));
  try {
    const present = [
      'native/addon.cc',
      'native/addon.h',
      'native/binding.gyp',
      'native/kernels/gemm_impl.h',
      'native/kernels/dispatch.cc',
      'native/build/Makefile',
      'native/build/Release/obj.target/neurona/addon.o',
      'native/build/Release/neurona.node',
      'native/build/addon.cc',
      'native/kernels/dispatch.o',
      'native/kernels/.deps/dispatch.o.d',
      'build/Release/neurona.node',
      'build/native-build.log',
      'cjs/index.cjs',
      'dist/index.js',
      'src/index.ts',
      'scripts/build-native.mjs',
      'scripts/build-wasm.mjs',
      'scripts/test.mjs',
      'assets/neurona.wasm',
      'native/wasm_api.cc',
      'native/kernels/isa_wasm.cc',
    ];
    for (const file of present) {
      mkdirSync(join(dir, dirname(file)), { recursive: true });
      writeFileSync(join(dir, file), '');
    }
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'neurona', version: '0.0.0', files: pkg.files }));
    const npm = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: dir,
      encoding: 'utf8',
      shell: process.platform === 'win32',
    });
    assert.equal(npm.status, 0, npm.stderr);
    const packed = (JSON.parse(npm.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path).sort();
    assert.deepEqual(packed, [
      'assets/neurona.wasm',
      'cjs/index.cjs',
      'dist/index.js',
      'native/addon.cc',
      'native/addon.h',
      'native/binding.gyp',
      'native/kernels/dispatch.cc',
      'native/kernels/gemm_impl.h',
      'native/kernels/isa_wasm.cc',
      'native/wasm_api.cc',
      'package.json',
      'scripts/build-native.mjs',
      'scripts/build-wasm.mjs',
      'src/index.ts',
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Optional peers beside the chart packages: sharp, the native image decoder (src/data/sharp-decoder.ts).
const OPTIONAL_PEERS = [...CHART_PACKAGES, 'sharp'];

test('a plain install pulls in only what every user needs: the chart packages and sharp are optional peers', () => {
  for (const name of OPTIONAL_PEERS) {
    assert.equal(pkg.dependencies[name], undefined, `${name} must not be a dependency`);
    assert.ok(pkg.peerDependencies[name], `${name} is a peer dependency`);
    assert.equal(pkg.peerDependenciesMeta[name]?.optional, true, `${name} is optional`);
    assert.equal(pkg.devDependencies[name], pkg.peerDependencies[name], `${name}: the tests run against the peer range`);
  }
  // Every package that src/ imports statically must be a dependency. The optional ones are imported
  // on first use as `import('name').catch(...)`: esbuild fails a build on a bare import() it cannot
  // resolve unless the import() itself has a .catch (or sits in a try block).
  const builtins = new Set(builtinModules);
  const packageOf = (spec: string) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
  const dynamic: string[] = [];
  for (const source of sources()) {
    const file = ts.createSourceFile(source, readFileSync(source, 'utf8'), ts.ScriptTarget.ES2022, true);
    for (const statement of file.statements) {
      if (!ts.isImportDeclaration(statement) || statement.importClause?.isTypeOnly) continue;
      const spec = (statement.moduleSpecifier as ts.StringLiteral).text;
      if (spec.startsWith('.') || spec.startsWith('node:') || builtins.has(spec)) continue;
      assert.ok(pkg.dependencies[packageOf(spec)], `${source} imports ${packageOf(spec)} statically, but it is not a dependency`);
    }
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        const spec = (node.arguments[0] as ts.StringLiteral).text;
        // Run from the sources, `neurona playground` bundles its page with esbuild (there through tsx); an
        // installed package serves the bundles that `npm run build` made, so users never need it.
        const devOnly = spec === 'esbuild' && source === join('src', 'cli', 'playground.ts');
        if (!spec.startsWith('.')) {
          const name = packageOf(spec);
          if (!devOnly) dynamic.push(name);
          assert.ok(
            devOnly || pkg.peerDependenciesMeta[name]?.optional === true,
            `${source} imports ${name} on demand; it should be an optional peer`,
          );
          const parent = node.parent;
          const caught = ts.isPropertyAccessExpression(parent) && parent.name.text === 'catch' && ts.isCallExpression(parent.parent);
          assert.ok(caught, `${source}: write import('${spec}').catch(...) so that bundlers accept the package missing`);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  assert.deepEqual([...new Set(dynamic)].sort(), [...OPTIONAL_PEERS].sort(), 'every optional peer is imported on demand, and nothing else');
});
