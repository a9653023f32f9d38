#!/usr/bin/env node
/*
 * Builds the native backend (native/, with node-gyp) into build/Release/neurona.node.
 *
 * As the package's `install` script it must never fail the install: on any error it prints one line
 * saying why and that neurona will use the js backend, records that reason in
 * build/native-build.txt (the runtime notice repeats it) and the full output in
 * build/native-build.log, and exits 0. `npm run build:native` (--verbose) shows the compiler's
 * output as it goes and exits 1 on failure, for someone fixing the build by hand.
 *
 * In a development checkout (src/ and tsx at hand) it first rewrites native/kernels/kernel_table.h
 * from the kernel table, src/backend/native/table.ts, when the two differ; an installed package
 * compiles the header it ships.
 *
 * NEURONA_SKIP_NATIVE=1 skips the build (neurona then runs on js).
 *
 * node-gyp's intermediate files (native/build: objects, archives, Makefiles; about 2.8 MB) are removed
 * afterwards, so an installed package keeps only build/Release/neurona.node; --verbose keeps them for
 * whoever is debugging the build. In a project that depends on neurona, `npm rebuild neurona` runs
 * this script again.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'native');
const buildDir = join(root, 'build');
const target = join(buildDir, 'Release', 'neurona.node');
const reasonFile = join(buildDir, 'native-build.txt');
const logFile = join(buildDir, 'native-build.log');
const gypBuildDir = join(nativeDir, 'build');
const verbose = process.argv.includes('--verbose');

/** Removes node-gyp's intermediates (see the header); a failure here only costs disk space. */
function removeIntermediates() {
  if (verbose) return;
  try {
    rmSync(gypBuildDir, { recursive: true, force: true });
  } catch {
    // A read-only install folder: nothing to clean then.
  }
}

function fail(reason, log = '') {
  try {
    // A stale addon from an earlier build would no longer match this source tree.
    rmSync(target, { force: true });
    mkdirSync(buildDir, { recursive: true });
    writeFileSync(reasonFile, `${reason}\n`);
    if (log) writeFileSync(logFile, log);
  } catch {
    // A read-only install folder: the one line below still says why.
  }
  removeIntermediates();
  console.log(`neurona: native backend not built (${reason}); neurona will use the js backend${log ? ` (full output: ${logFile})` : ''}`);
  process.exit(verbose ? 1 : 0);
}

/** node-gyp: npm's own (npm_config_node_gyp in lifecycle scripts), a local install, or the one beside npm. */
function findNodeGyp() {
  const candidates = [process.env.npm_config_node_gyp];
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed locally
  }
  const prefix = dirname(dirname(process.execPath));
  candidates.push(join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push(join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return candidates.find((c) => c && existsSync(c));
}

/** The C++ compiler make will call: $CXX, else the first of c++, g++, clang++ that runs. */
function findCompiler() {
  const names = process.env.CXX ? [process.env.CXX] : ['c++', 'g++', 'clang++'];
  for (const name of names) {
    const probe = spawnSync(name, ['--version'], { encoding: 'utf8', shell: false });
    if (!probe.error && probe.status === 0) return { ok: true, name };
  }
  return { ok: false, names };
}

/** The first line that says what went wrong, from a compiler or from gyp. */
function firstError(output) {
  const lines = output.split('\n');
  const compiler = lines.find((l) => /\berror\b/i.test(l) && !/^gyp (ERR|info)/.test(l) && !/^make:/.test(l));
  const gyp = lines.find((l) => /^gyp ERR! (stack|find|configure)? ?Error/.test(l) || /^gyp ERR! .*(not found|Could not|find)/i.test(l));
  return (compiler ?? gyp ?? lines.filter((l) => l.startsWith('gyp ERR!'))[0] ?? 'unknown error').replace(/^gyp ERR! /, '').trim();
}

/** Rewrites native/kernels/kernel_table.h from src/backend/native/table.ts, through tsx, when they differ. */
function regenerateKernelTable() {
  const generator = join(root, 'src', 'backend', 'native', 'cpp-header.ts');
  try {
    createRequire(join(root, 'package.json')).resolve('tsx');
  } catch {
    return; // an installed package: no tsx, and the header it ships matches its table
  }
  if (!existsSync(generator)) return;
  const render = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      `import { HEADER_PATH, renderKernelTableHeader } from ${JSON.stringify(generator)};
     process.stdout.write(JSON.stringify({ path: HEADER_PATH, text: renderKernelTableHeader() }));`,
    ],
    {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  if (render.status !== 0) {
    fail(`could not generate the kernel table header from ${generator}: ${(render.stderr || '').trim().split('\n')[0]}`, render.stderr);
  }
  const { path, text } = JSON.parse(render.stdout);
  const header = join(root, path);
  if (!existsSync(header) || readFileSync(header, 'utf8') !== text) {
    writeFileSync(header, text);
    if (verbose) console.log(`neurona: rewrote ${path} from src/backend/native/table.ts`);
  }
}

if (process.env.NEURONA_SKIP_NATIVE === '1') fail('NEURONA_SKIP_NATIVE=1');
if (process.platform === 'win32') fail('building the native backend on Windows is not supported yet');
if (!existsSync(join(nativeDir, 'binding.gyp'))) fail(`${join(nativeDir, 'binding.gyp')} is missing`);
regenerateKernelTable();
const compiler = findCompiler();
if (!compiler.ok) fail(`no C++ compiler found (tried ${compiler.names.join(', ')})`);
const nodeGyp = findNodeGyp();
if (!nodeGyp) fail('node-gyp not found (it comes with npm; set npm_config_node_gyp to its bin/node-gyp.js)');

const args = [nodeGyp, 'rebuild'];
// Headers shipped with this Node (distribution tarballs and Debian's nodejs-dev both have them) let
// node-gyp build offline instead of downloading them.
const prefix = dirname(dirname(process.execPath));
if (
  !process.env.npm_config_nodedir &&
  existsSync(join(prefix, 'include', 'node', 'node_api.h')) &&
  existsSync(join(prefix, 'include', 'node', 'common.gypi'))
) {
  args.push(`--nodedir=${prefix}`);
}
const env = { ...process.env, CXX: compiler.name };
const started = Date.now();
const build = spawnSync(process.execPath, args, {
  cwd: nativeDir,
  env,
  encoding: 'utf8',
  stdio: verbose ? 'inherit' : 'pipe',
  timeout: 10 * 60 * 1000,
  maxBuffer: 64 * 1024 * 1024,
});
const output = `${build.stdout ?? ''}${build.stderr ?? ''}`;
if (build.error) fail(`node-gyp could not run: ${build.error.message}`, output);
if (build.status !== 0) fail(`node-gyp failed: ${verbose ? `exit code ${build.status}` : firstError(output)}`, output);

const built = join(gypBuildDir, 'Release', 'neurona.node');
if (!existsSync(built)) fail(`node-gyp succeeded but ${built} is missing`, output);
try {
  mkdirSync(dirname(target), { recursive: true });
  // Copy, then rename over the old file: a process that has the old addon loaded keeps its mapping.
  copyFileSync(built, `${target}.tmp`);
  renameSync(`${target}.tmp`, target);
  rmSync(reasonFile, { force: true });
  rmSync(logFile, { force: true });
} catch (error) {
  fail(`could not copy the addon to ${target}: ${error.message}`, output);
}
removeIntermediates();

// Load it once here, so a broken build is reported now rather than as a notice at every start.
try {
  const addon = createRequire(import.meta.url)(target);
  const info = addon.info();
  console.log(
    `neurona: native backend built in ${((Date.now() - started) / 1000).toFixed(0)} s ` + `(${info.isa} kernels, ${info.threads} threads)`,
  );
} catch (error) {
  rmSync(target, { force: true });
  fail(`the built addon does not load: ${String(error.message).split('\n')[0]}`, output);
}
