// Two limits on src/ that the formatter cannot enforce, read from scripts/line-budget.json:
//  - width: no line over 140 characters. Biome's lineWidth wraps code but leaves a long string or comment
//    as it is, and passes it.
//  - size: the lines of TypeScript in src/ stay within `srcLines`, so growth is a decision: a commit that
//    needs more raises the budget and says why.
// `node scripts/check-lines.mjs --list` lists every long line, not only when the check fails.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const WIDTH = 140;
const root = fileURLToPath(new URL('..', import.meta.url));
const budgetFile = 'scripts/line-budget.json';
const budget = JSON.parse(readFileSync(join(root, budgetFile), 'utf8'));
if (!Number.isInteger(budget.srcLines) || budget.srcLines < 0) {
  console.error(`${budgetFile}: srcLines must be a non-negative integer, got ${JSON.stringify(budget.srcLines)}`);
  process.exit(1);
}

function collect(dir) {
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...collect(path));
    else if (entry.name.endsWith('.ts')) files.push(path);
  }
  return files;
}

let total = 0;
const long = [];
for (const file of collect(join(root, 'src'))) {
  const lines = readFileSync(file, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  total += lines.length;
  lines.forEach((line, i) => {
    // Characters as an editor counts them (code points), not UTF-16 units or bytes.
    const width = [...line].length;
    if (width > WIDTH) long.push(`${relative(root, file)}:${i + 1}: ${width} characters`);
  });
}

let failed = false;
console.log(`src/ size: ${total} lines of TypeScript (budget ${budget.srcLines} in ${budgetFile})`);
if (total > budget.srcLines) {
  console.error(
    `error: src/ is ${total - budget.srcLines} lines over its budget; if the growth is wanted, raise srcLines in ` +
      `${budgetFile} in the commit that needs it and say why there`,
  );
  failed = true;
}
console.log(`src/ lines over ${WIDTH} characters: ${long.length}`);
if (long.length > 0) {
  console.error('error: wrap these lines (split strings with +, shorten comments):');
  failed = true;
}
if (long.length > 0 || process.argv.includes('--list')) for (const line of long) console.error(`  ${line}`);
process.exit(failed ? 1 : 0);
