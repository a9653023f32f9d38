// `npm run fuzz [-- cases seed]`: the long safetensors fuzz run (CI runs 20,000 cases of the same harness).
import { runSafetensorsFuzz } from '../test/io/safetensors.fuzz.js';

const cases = Number(process.argv[2] ?? 100_000);
const seed = Number(process.argv[3] ?? 1);
const report = runSafetensorsFuzz(cases, seed);
console.log(`safetensors fuzz: ${report.cases} cases (seed ${seed}) in ${report.seconds.toFixed(1)} s: ` +
  `${report.accepted} accepted, ${report.rejected} rejected with FormatError, ${report.crashes} crashes, ${report.hangs} hangs`);
for (const example of report.examples) console.log(`  ${example}`);
process.exit(report.crashes === 0 && report.hangs === 0 ? 0 : 1);
