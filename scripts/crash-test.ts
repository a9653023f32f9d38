// The long crash tests: `npm run crash-test [-- kills [seed]]` (default 100 kills each).
// 1. BackupAndRestore: a training process SIGKILLed `kills` times ends bit-identical to an
//    uninterrupted run (test/nn/callbacks/crash.test.ts is the CI version, 20 kills).
// 2. model.save: a process saving two models alternately into one directory, SIGKILLed `kills` times;
//    every load must be exactly one of the two (test/nn/models/save-crash.test.ts, 20 kills in CI).
import { crashTest } from '../test/nn/callbacks/fixtures/crash-harness.js';
import { saveCrashTest } from '../test/nn/models/fixtures/save-crash-harness.js';

const kills = Number(process.argv[2] ?? 100);
const seed = Number(process.argv[3] ?? 1);
const r = await crashTest({ kills, seed, epochs: 200 * kills, saveFreq: 3 });
console.log(`BackupAndRestore: ${JSON.stringify(r)}`);
const s = await saveCrashTest({ kills, seed });
console.log(`model.save: ${JSON.stringify(s)}`);
const backupOk = r.identical && r.historyIdentical && r.kills === kills;
const saveOk = s.kills === kills && s.mixed === 0 && s.failed === 0 && s.leftAfterFinalSave.length === 0;
if (!backupOk || !saveOk) process.exit(1);
