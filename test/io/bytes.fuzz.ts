/**
 * The loop shared by the byte-level fuzz harnesses of the HDF5/Keras weight reader
 * (hdf5.fuzz.ts) and the image decoder (image.fuzz.ts): seeded mutations of valid seed files, each
 * decoded once. A case passes when it decodes or throws a FormatError whose message starts with the
 * case's name (or `model.loadWeights: <name>`) within the time box; any other exception is a crash.
 */
import { FormatError } from '../../src/core/index.js';
import { rng, type FuzzReport } from './safetensors.fuzz.js';

export type Mutation = (bytes: Uint8Array, random: () => number) => Uint8Array;

export const pick = <T>(items: readonly T[], random: () => number): T => items[Math.floor(random() * items.length)]!;

/** Format-blind damage: bit flips, truncation, random bytes inserted, a range dropped or repeated. */
export const BYTE_MUTATIONS: Mutation[] = [
  (b, r) => {
    const out = b.slice();
    for (let k = 1 + Math.floor(r() * 4); k > 0; k--) out[Math.floor(r() * out.length)]! ^= 1 << Math.floor(r() * 8);
    return out;
  },
  (b, r) => b.slice(0, Math.floor(r() * b.length)),
  (b, r) => {
    const at = Math.floor(r() * b.length);
    const extra = new Uint8Array(1 + Math.floor(r() * 16)).map(() => r() * 256);
    return concat(b.subarray(0, at), extra, b.subarray(at));
  },
  (b, r) => {
    const at = Math.floor(r() * b.length);
    const n = 1 + Math.floor(r() * 32);
    return r() < 0.5 ? concat(b.subarray(0, at), b.subarray(at + n)) : concat(b.subarray(0, at + n), b.subarray(at));
  },
];

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export interface BytesFuzzOptions {
  seeds: Uint8Array[];
  mutations: Mutation[];
  /** The case's file name, e.g. `case-3.h5`; errors must name it. */
  name: (i: number) => string;
  decode: (bytes: Uint8Array, name: string, random: () => number) => void;
  timeBoxMs: number;
}

export function runBytesFuzz(cases: number, seed: number, options: BytesFuzzOptions): FuzzReport {
  const random = rng(seed);
  const report: FuzzReport = { cases: 0, accepted: 0, rejected: 0, crashes: 0, hangs: 0, examples: [], seconds: 0 };
  const started = performance.now();
  for (let i = 0; i < cases; i++) {
    const mutation = Math.floor(random() * options.mutations.length);
    let input = options.mutations[mutation]!(pick(options.seeds, random), random);
    if (random() < 0.2) input = pick(options.mutations, random)(input.length > 64 ? input : pick(options.seeds, random), random);
    const name = options.name(i);
    const t0 = performance.now();
    try {
      options.decode(input, name, random);
      report.accepted++;
    } catch (error) {
      const message = error instanceof FormatError ? error.message : '';
      if (message.startsWith(`${name}: `) || message.startsWith(`model.loadWeights: ${name}: `)) {
        report.rejected++;
      } else {
        report.crashes++;
        const text = error instanceof Error ? `${error.name}: ${error.message.slice(0, 300)}` : String(error);
        if (report.examples.length < 5) report.examples.push(`case ${i} (mutation ${mutation}): ${text}`);
        if (process.env.FUZZ_STACK) console.error(error); // the whole stack, when triaging a crash
      }
    }
    const elapsed = performance.now() - t0;
    if (elapsed > options.timeBoxMs) {
      report.hangs++;
      if (report.examples.length < 5) report.examples.push(`case ${i} (mutation ${mutation}) took ${elapsed.toFixed(0)} ms`);
    }
    report.cases++;
  }
  report.seconds = (performance.now() - started) / 1000;
  return report;
}
