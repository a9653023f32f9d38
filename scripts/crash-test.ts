// The long crash test: `npm run crash-test [-- kills [seed]]` (default 100 kills). See
// test/nn/callbacks/crash.test.ts for the CI version (20 kills).
import { crashTest } from '../test/nn/callbacks/fixtures/crash-harness.js';

const kills = Number(process.argv[2] ?? 100);
const seed = Number(process.argv[3] ?? 1);
const r = await crashTest({ kills, seed, epochs: 200 * kills, saveFreq: 3 });
console.log(JSON.stringify(r));
if (!r.identical || !r.historyIdentical || r.kills !== kills) process.exit(1);
