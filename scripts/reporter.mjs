// A compact reporter for node's test runner (node --test --test-reporter=./scripts/reporter.mjs): one line
// per test file, then every failure in full (its path of names, location, the error with actual/expected
// and its stack, the file's output), the skipped tests by name with their reason, and last node's own
// summary lines exactly as its TAP reporter prints them (`# tests N` ... `# duration_ms N`), so a log
// still closes on the runner's summary. scripts/test.mjs picks it; NEURONA_TEST_REPORTER=tap gives TAP.
import { relative } from 'node:path';
import { inspect } from 'node:util';

/** Per file: counts, the names of the tests being run (by nesting), and what the file printed. */
function fileState() {
  return { passed: 0, failed: 0, skipped: 0, todo: 0, cancelled: 0, filtered: 0, names: [], output: [], failures: [], skips: [] };
}

const show = (file) => (file ? relative(process.cwd(), file) || file : '(no file)');
const seconds = (ms) => `${(ms / 1000).toFixed(2)}s`;
const indent = (text, pad) =>
  text
    .replace(/\n+$/, '')
    .split('\n')
    .map((line) => pad + line)
    .join('\n');

/** The error a test threw: its stack (message and assertion diff first) less node's own frames, then its
 *  other fields (actual, expected, operator, code) and its cause. */
function describeError(error) {
  const thrown = error?.code === 'ERR_TEST_FAILURE' && error.cause !== undefined ? error.cause : error;
  if (!(thrown instanceof Error)) {
    // The runner's own verdicts (a timeout, a cancel) come as strings; a test that threw one reads as such.
    const runner = error?.failureType !== undefined && error.failureType !== 'testCodeFailure' && typeof thrown === 'string';
    return runner ? `${error.failureType}: ${thrown}` : `thrown value: ${inspect(thrown, { depth: 6 })}`;
  }
  const stack = (thrown.stack ?? `${thrown.name}: ${thrown.message}`)
    .split('\n')
    .filter((line) => !/^\s+at .*\(?node:(internal\/|async_hooks)/.test(line) && !/^\s+at async Promise\.all/.test(line));
  const { generatedMessage: _, name: __, ...fields } = thrown;
  const parts = [stack.join('\n')];
  if (Object.keys(fields).length > 0) parts.push(inspect(fields, { depth: 6 }));
  if (thrown.cause !== undefined) parts.push(`caused by: ${describeError(thrown.cause)}`);
  return parts.join('\n');
}

/** Where in the test file it failed. The runner's own line and column are of the code tsx compiled, so
 *  they are read from the stack (source-mapped) instead: its first frame in that file. */
function whereFailed(file, error) {
  const thrown = error?.code === 'ERR_TEST_FAILURE' && error.cause !== undefined ? error.cause : error;
  const stack = typeof thrown?.stack === 'string' ? thrown.stack : '';
  const frame = stack.split('\n').find((line) => line.includes(`${file}:`));
  const at = frame?.match(/:(\d+):(\d+)\)?\s*$/);
  return at ? `${show(file)}:${at[1]}:${at[2]}` : show(file);
}

function countsOf(s) {
  const parts = [`${s.passed} passed`];
  if (s.failed) parts.push(`${s.failed} failed`);
  if (s.cancelled) parts.push(`${s.cancelled} cancelled`);
  if (s.skipped) parts.push(`${s.skipped} skipped`);
  if (s.todo) parts.push(`${s.todo} todo`);
  if (s.filtered) parts.push(`${s.filtered} not matching the name pattern`);
  return parts.join(', ');
}

export default async function* compact(source) {
  const files = new Map();
  const state = (file) => {
    let s = files.get(file);
    if (!s) {
      s = fileState();
      files.set(file, s);
    }
    return s;
  };
  const failures = [];
  const skips = [];
  const summary = [];

  // Files that run side by side report their tests in the runner's order, each file's as one block,
  // while a file's test:complete comes when its process ends, before or after its block. A file's line
  // is printed once it is complete and its block is over (the next file's reports have begun), or at
  // the end. runFiles: the files run as files (not a helper that defines tests for them).
  const runFiles = new Set();
  const completed = new Map();
  const blockOver = new Set();
  let reporting;
  function* finish(data) {
    const s = state(data.file);
    const error = data.details?.error;
    // A file that failed with no failing test failed outside them: at import, or by exiting early.
    const crashed = error !== undefined && s.failed === 0 && s.cancelled === 0;
    const bad = s.failed > 0 || s.cancelled > 0 || crashed;
    yield `${bad ? 'FAIL' : 'ok  '} ${show(data.file)}  ${countsOf(s)}  ${seconds(data.details?.duration_ms ?? 0)}\n`;
    const output = s.output.join('');
    if (crashed) {
      const exit =
        error.exitCode != null ? `exit code ${error.exitCode}` : error.signal != null ? `signal ${error.signal}` : error.failureType;
      s.failures.push(
        `✖ ${show(data.file)} failed outside its tests (${exit})${output ? '; its output:' : ''}` +
          (output ? `\n${indent(output, '  | ')}` : `\n${indent(describeError(error), '  ')}`),
      );
    } else if (output) {
      // Tests print little (NEURONA_QUIET), so what they do print is shown; with a failure it goes there.
      if (bad) s.failures.push(`output of ${show(data.file)}:\n${indent(output, '  | ')}`);
      else yield `${indent(output, '  | ')}\n`;
    }
    failures.push(...s.failures);
    skips.push(...s.skips);
    files.delete(data.file);
    completed.delete(data.file);
  }
  for await (const { type, data } of source) {
    // Each file runs as a test of its own whose name is its path; its tests come with `file` set.
    const isFile = data?.file !== undefined && data.name === data.file && data.nesting === 0;
    if (isFile) runFiles.add(data.file);
    if ((type === 'test:pass' || type === 'test:fail') && !isFile && runFiles.has(data.file) && data.file !== reporting) {
      if (reporting !== undefined) {
        blockOver.add(reporting);
        if (completed.has(reporting)) yield* finish(completed.get(reporting));
      }
      reporting = data.file;
    }
    switch (type) {
      case 'test:start':
        if (!isFile) state(data.file).names[data.nesting] = data.name;
        break;
      case 'test:pass':
      case 'test:fail': {
        if (isFile || data.details?.type === 'suite') break;
        const s = state(data.file);
        const path = [...s.names.slice(0, data.nesting), data.name].join(' > ');
        if (data.skip === 'test name does not match pattern') s.filtered++;
        else if (data.skip !== undefined) {
          s.skipped++;
          s.skips.push(`${show(data.file)} > ${path}${typeof data.skip === 'string' ? `: ${data.skip}` : ''}`);
        } else if (data.todo !== undefined) {
          s.todo++;
          s.skips.push(`${show(data.file)} > ${path}: todo${typeof data.todo === 'string' ? ` (${data.todo})` : ''}`);
        } else if (type === 'test:pass') s.passed++;
        else {
          const failureType = data.details?.error?.failureType;
          // As node counts them: a timeout or a parent's end cancels a test rather than failing it.
          if (failureType === 'cancelledByParent' || failureType === 'testTimeoutFailure') s.cancelled++;
          else s.failed++;
          // A parent that failed only because a subtest did adds nothing to the subtest's own report.
          if (failureType === 'subtestsFailed') break;
          s.failures.push(
            `✖ ${path}  (${whereFailed(data.file, data.details?.error)})\n${indent(describeError(data.details?.error), '  ')}`,
          );
        }
        break;
      }
      case 'test:stdout':
      case 'test:stderr':
        if (data.file !== undefined) state(data.file).output.push(data.message);
        else yield data.message;
        break;
      case 'test:diagnostic':
        // Without a file these are the run's closing counts (`tests 7`, `pass 6`, ...).
        if (data.file === undefined) summary.push(`# ${data.message}\n`);
        else state(data.file).output.push(`# ${data.message}\n`);
        break;
      case 'test:complete':
        if (!isFile) break;
        completed.set(data.file, data);
        if (blockOver.has(data.file)) yield* finish(data);
        break;
      default:
        break;
    }
  }

  for (const data of [...completed.values()]) yield* finish(data);
  // Files the runner never closed (it was interrupted) still get their failures shown.
  // A helper module that calls test() on behalf of the test files importing it (test/conformance/harness.ts)
  // is where node says those tests are, and files run in parallel, so its tests are counted under its name.
  for (const [file, s] of files) {
    if (file !== undefined && !file.endsWith('.test.ts')) {
      const bad = s.failed > 0 || s.cancelled > 0;
      yield `${bad ? 'FAIL' : 'ok  '} ${show(file)}  ${countsOf(s)}  (tests it defines for the files that import it)\n`;
    } else if (file !== undefined) yield `?    ${show(file)}  ${countsOf(s)}  (did not finish)\n`;
    failures.push(...s.failures);
    skips.push(...s.skips);
  }
  if (skips.length > 0) yield `\nskipped or todo (${skips.length}):\n${skips.map((line) => `  ${line}\n`).join('')}`;
  if (failures.length > 0) yield `\nfailures:\n\n${failures.join('\n\n')}\n`;
  if (summary.length > 0) yield `\n${summary.join('')}`;
}
