/**
 * Fuzz harness for the safetensors reader: seeded mutations of valid files, each decoded once. A
 * case passes when it decodes or throws `FormatError` within the time box; anything else (another
 * exception type, a slow case) is counted and reported. Used by test/io/safetensors-fuzz.test.ts
 * (CI) and scripts/fuzz.ts (`npm run fuzz`).
 */
import { FormatError } from '../../src/core/index.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsDType } from '../../src/io/safetensors.js';

export interface FuzzReport {
  cases: number;
  accepted: number;
  rejected: number;
  /** Exceptions other than FormatError, with the first few messages. */
  crashes: number;
  /** Cases slower than the time box. */
  hangs: number;
  examples: string[];
  seconds: number;
}

/** mulberry32: small, fast, seeded (also used by test/nn/models/saving-fuzz.ts). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DTYPES: SafetensorsDType[] = ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL', 'C64', 'F4'];

function seedFile(random: () => number): Uint8Array {
  const tensors: Record<string, { dtype: SafetensorsDType; shape: number[]; data: Uint8Array }> = {};
  const count = 1 + Math.floor(random() * 4);
  for (let i = 0; i < count; i++) {
    const dtype = DTYPES[Math.floor(random() * DTYPES.length)]!;
    const shape = Array.from({ length: (dtype === 'F4' ? 1 : 0) + Math.floor(random() * 3) }, () => 2 * Math.floor(random() * 3));
    const elements = shape.reduce((a, b) => a * b, 1);
    const bits = dtype === 'F4' ? 4 : ({ F64: 64, I64: 64, C64: 64, F32: 32, I32: 32, F16: 16, BF16: 16, I16: 16 }[dtype as string] ?? 8);
    tensors[`layer_${i}/w`] = { dtype, shape, data: new Uint8Array((elements * bits) / 8).map(() => random() * 256) };
  }
  return encodeSafetensors(tensors, random() < 0.5 ? { format: 'pt' } : undefined);
}

function headerOf(bytes: Uint8Array): { n: number; text: string } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { n, text: new TextDecoder().decode(bytes.subarray(8, 8 + n)) };
}

/** Rebuilds a file around new header text, keeping the data buffer. */
function withHeader(bytes: Uint8Array, text: string, pad = true): Uint8Array {
  const { n } = headerOf(bytes);
  let json = new TextEncoder().encode(text);
  if (pad && json.length % 8 !== 0) json = new TextEncoder().encode(text + ' '.repeat(8 - (json.length % 8)));
  const data = bytes.subarray(8 + n);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function replaceOne(text: string, pattern: RegExp, replacement: (match: string) => string, random: () => number): string {
  const matches = [...text.matchAll(new RegExp(pattern, 'g'))];
  if (matches.length === 0) return text;
  const m = matches[Math.floor(random() * matches.length)]!;
  return text.slice(0, m.index) + replacement(m[0]) + text.slice(m.index! + m[0].length);
}

const HUGE = ['-1', '1e400', '9007199254740993', '18446744073709551616', '4294967296', '1.5', '"7"', 'null', 'true', '[]', '{}'];

/** The mutation strategies, each a pure function of a valid file and the generator (reused by the model-directory fuzz). */
export const MUTATIONS: ((bytes: Uint8Array, random: () => number) => Uint8Array)[] = [
  // bit flips anywhere
  (b, r) => {
    const out = b.slice();
    for (let k = 1 + Math.floor(r() * 4); k > 0; k--) {
      const i = Math.floor(r() * out.length);
      out[i]! ^= 1 << Math.floor(r() * 8);
    }
    return out;
  },
  // bit flips in the header only
  (b, r) => {
    const out = b.slice();
    const { n } = headerOf(b);
    const i = 8 + Math.floor(r() * n);
    out[i]! ^= 1 << Math.floor(r() * 8);
    return out;
  },
  // truncation
  (b, r) => b.slice(0, Math.floor(r() * b.length)),
  // extension with random bytes
  (b, r) => {
    const extra = new Uint8Array(1 + Math.floor(r() * 16)).map(() => r() * 256);
    const out = new Uint8Array(b.length + extra.length);
    out.set(b);
    out.set(extra, b.length);
    return out;
  },
  // header length edits: small deltas
  (b, r) => {
    const out = b.slice();
    const v = new DataView(out.buffer);
    v.setBigUint64(0, BigInt(Math.max(0, headerOf(b).n + Math.floor(r() * 33) - 16)), true);
    return out;
  },
  // header length: huge or high bytes set
  (b, r) => {
    const out = b.slice();
    const v = new DataView(out.buffer);
    const choices = [2n ** 64n - 1n, 2n ** 63n, 2n ** 32n, 100_000_001n, BigInt(out.length), BigInt(out.length - 7)];
    v.setBigUint64(0, choices[Math.floor(r() * choices.length)]!, true);
    return out;
  },
  // offsets: overlap, gap, swap, huge
  (b, r) =>
    withHeader(
      b,
      replaceOne(
        headerOf(b).text,
        /"data_offsets":\[\d+,\d+\]/,
        (m) => {
          const [s, e] = m.match(/\d+/g)!.map(Number) as [number, number];
          const options = [
            [s - 1, e - 1],
            [s + 1, e + 1],
            [e, s],
            [s, e + 2],
            [0, e],
            [s, 2 ** 53],
            [s, -1],
            [s, 1e300],
          ];
          const [x, y] = options[Math.floor(r() * options.length)]!;
          return `"data_offsets":[${x},${y}]`;
        },
        r,
      ),
    ),
  // wrong dtype
  (b, r) =>
    withHeader(
      b,
      replaceOne(
        headerOf(b).text,
        /"dtype":"[A-Z0-9_]+"/,
        () => {
          const options = ['"F32"', '"U8"', '"F64"', '"F4"', '"f32"', '"F128"', '1', 'null', '""', '"__proto__"', '"toString"', '["F32"]'];
          return `"dtype":${options[Math.floor(r() * options.length)]}`;
        },
        r,
      ),
    ),
  // negative, huge, fractional shapes
  (b, r) =>
    withHeader(
      b,
      replaceOne(
        headerOf(b).text,
        /"shape":\[[\d,]*\]/,
        () => {
          const dims = Array.from({ length: 1 + Math.floor(r() * 3) }, () => HUGE[Math.floor(r() * HUGE.length)] ?? '1');
          return `"shape":[${dims.join(',')}]`;
        },
        r,
      ),
    ),
  // deep JSON
  (b, r) => {
    const depth = 2 + Math.floor(r() * 200_000);
    return withHeader(b, `{"a":${'['.repeat(depth)}${r() < 0.5 ? ']'.repeat(depth) : ''}}`);
  },
  // non-UTF-8 bytes in the header
  (b, r) => {
    const out = b.slice();
    const { n } = headerOf(b);
    const bad = [0xff, 0xc0, 0x80, 0xed, 0xf8];
    out[8 + 1 + Math.floor(r() * Math.max(1, n - 1))] = bad[Math.floor(r() * bad.length)]!;
    return out;
  },
  // duplicate keys (tensor or metadata)
  (b, r) => {
    const { text } = headerOf(b);
    const m = text.match(/"layer_0\/w":\{[^}]*\}/);
    return withHeader(b, r() < 0.5 && m ? text.replace(/\}\s*$/, `,${m[0]}}`) : text.replace(/^\{/, '{"__metadata__":{"k":"a","k":"b"},'));
  },
  // non-string metadata, bad metadata shapes
  (b, r) => {
    const values = ['1', 'null', '{"x":"y"}', '["a"]', 'true', '"ok"'];
    const v = values[Math.floor(r() * values.length)]!;
    return withHeader(b, headerOf(b).text.replace(/^\{("__metadata__":\{[^}]*\},)?/, `{"__metadata__":${r() < 0.3 ? v : `{"k":${v}}`},`));
  },
  // structural edits: drop or duplicate a character, unknown fields, unpadded header
  (b, r) => {
    const { text } = headerOf(b);
    const i = Math.floor(r() * text.length);
    const edits = [
      text.slice(0, i) + text.slice(i + 1),
      text.slice(0, i) + text[i] + text.slice(i),
      text.replace('"dtype"', '"extra":1,"dtype"'),
      text.trimEnd(),
    ];
    return withHeader(b, edits[Math.floor(r() * edits.length)]!, r() < 0.5);
  },
];

/** Runs `cases` mutations from `seed`; each case must finish within `timeBoxMs`. */
export function runSafetensorsFuzz(cases: number, seed = 1, timeBoxMs = 250): FuzzReport {
  const random = rng(seed);
  const report: FuzzReport = { cases: 0, accepted: 0, rejected: 0, crashes: 0, hangs: 0, examples: [], seconds: 0 };
  const started = performance.now();
  let seedBytes = seedFile(random);
  for (let i = 0; i < cases; i++) {
    if (i % 50 === 0) seedBytes = seedFile(random);
    const mutation = Math.floor(random() * MUTATIONS.length);
    let input = MUTATIONS[mutation]!(seedBytes, random);
    if (random() < 0.1) input = MUTATIONS[Math.floor(random() * MUTATIONS.length)]!(input.length >= 8 ? input : seedBytes, random);
    const t0 = performance.now();
    try {
      decodeSafetensors(input, `case-${i}.safetensors`);
      report.accepted++;
    } catch (error) {
      if (error instanceof FormatError && error.message.startsWith(`case-${i}.safetensors: `)) {
        report.rejected++;
      } else {
        report.crashes++;
        if (report.examples.length < 5) report.examples.push(`case ${i} (mutation ${mutation}): ${String(error)}`);
      }
    }
    const elapsed = performance.now() - t0;
    if (elapsed > timeBoxMs) {
      report.hangs++;
      if (report.examples.length < 5) report.examples.push(`case ${i} (mutation ${mutation}) took ${elapsed.toFixed(0)} ms`);
    }
    report.cases++;
  }
  report.seconds = (performance.now() - started) / 1000;
  return report;
}
