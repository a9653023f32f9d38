import * as nr from '../../src/index.js';

/*
 * The Cora-style citation parser on mutated text: pieces that break the layout (separators, line
 * ends, unknown ids, non-numbers, overflowing numbers) spliced into a valid .content or .cites file.
 * Every case must load (and then hold one feature row per node) or fail with FormatError.
 */

export interface CitationFuzzReport {
  cases: number;
  loaded: number;
  rejected: number;
  crashes: number;
  seconds: number;
  examples: string[];
}

const CONTENT = 'p1\t1\t0\t0.5\tml\np2\t0\t1\t-2\tdb\np3\t1\t1\t1e3\tml\np4\t0\t0\t0\tai\n';
const CITES = 'p1\tp2\np3\tp1\np4\tp4\np2\tp3\n';
const PIECES = ['\t', ' ', '\n', '\r\n', 'p1', 'p9', '0', '-', '.', 'e', 'NaN', '1e999', '', 'x', '__proto__', 'constructor'];

export function runCitationFuzz(cases: number, seed: number): CitationFuzzReport {
  let state = seed >>> 0;
  const next = (n: number) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 8) % n;
  };
  const mutate = (text: string) => {
    let out = text;
    for (let k = 1 + next(3); k > 0; k--) {
      const at = next(out.length + 1);
      out = out.slice(0, at) + PIECES[next(PIECES.length)]! + out.slice(at + (next(2) ? next(4) : 0));
    }
    return out;
  };
  const report: CitationFuzzReport = { cases, loaded: 0, rejected: 0, crashes: 0, seconds: 0, examples: [] };
  const start = performance.now();
  for (let i = 0; i < cases; i++) {
    const [content, cites] = next(2) ? [mutate(CONTENT), CITES] : [CONTENT, mutate(CITES)];
    try {
      const { graph } = nr.graph.parseCitationGraph(content, cites, { selfLoops: next(2) === 1 });
      if (graph.x!.shape[0] !== graph.numNodes) throw new Error(`features ${graph.x!.shape} for ${graph.numNodes} nodes`);
      report.loaded++;
    } catch (e) {
      if (e instanceof nr.FormatError) {
        report.rejected++;
      } else {
        report.crashes++;
        if (report.examples.length < 5) report.examples.push(`case ${i}: ${JSON.stringify([content, cites])}: ${(e as Error).message}`);
      }
    }
  }
  report.seconds = (performance.now() - start) / 1000;
  return report;
}
