/**
 * Fuzz harnesses for the TF.js layers reader and the `.keras` reader: seeded damage to valid files,
 * byte-level (bit flips, truncation, insertions) and structural (a JSON value of the config replaced by
 * a hostile one, then the file rebuilt). Only FormatError naming the case may come out, within the time
 * box. Used by test/interop/keras-fuzz.test.ts (CI) and scripts/fuzz.ts (`npm run fuzz`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import { FormatError } from '../../src/core/index.js';
import { setSeed } from '../../src/core/random.js';
import { kerasArchiveToModel } from '../../src/interop/keras-archive.js';
import { modelToTfjs, tfjsToModel } from '../../src/interop/tfjs.js';
import * as nr from '../../src/index.js';
import { BYTE_MUTATIONS, concat, pick, runBytesFuzz, type Mutation } from '../io/bytes.fuzz.js';
import type { FuzzReport } from '../io/safetensors.fuzz.js';

const HOSTILE: unknown[] = [null, -1, 0, 1e9, 2.5, '', 'same', '__proto__', true, [], [null, -3], {}, { class_name: 'Zeros' }, [[1, 2]]];

/** Replaces one value somewhere in the JSON tree (or deletes a key) with a hostile value. */
function mutateJson(value: unknown, random: () => number): unknown {
  const slots: [Record<string, unknown> | unknown[], string | number][] = [];
  const walk = (v: unknown, depth: number) => {
    if (depth > 12 || typeof v !== 'object' || v === null) return;
    for (const [k, child] of Object.entries(v)) {
      slots.push([v as Record<string, unknown>, Array.isArray(v) ? Number(k) : k]);
      walk(child, depth + 1);
    }
  };
  walk(value, 0);
  if (slots.length === 0) return value;
  const [holder, key] = pick(slots, random);
  if (!Array.isArray(holder) && random() < 0.15) delete holder[key as string];
  else (holder as Record<string | number, unknown>)[key] = structuredClone(pick(HOSTILE, random));
  return value;
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const utf8 = (s: string) => new TextEncoder().encode(s);

/** A TF.js case as one byte string: the length of model.json (4 bytes, little-endian), model.json, then the shard. */
function packTfjs(json: string, weights: Uint8Array): Uint8Array {
  const head = new Uint8Array(4);
  new DataView(head.buffer).setUint32(0, utf8(json).length, true);
  return concat(head, utf8(json), weights);
}

function unpackTfjs(bytes: Uint8Array): { json: Uint8Array; weights: Uint8Array } {
  const n = bytes.length >= 4 ? Math.min(new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true), bytes.length - 4) : 0;
  return { json: bytes.subarray(4, 4 + n), weights: bytes.subarray(4 + n) };
}

function rethrowNamed(name: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof FormatError) throw new FormatError(`${name}: ${e.message}`);
    throw e;
  }
}

function tfjsSeeds(): Uint8Array[] {
  setSeed(11);
  const L = nr.layers;
  const input = nr.Input({ shape: [6, 6, 2] });
  const a = new L.Conv2D(3, 3, { padding: 'same', activation: 'relu' }).apply(input) as typeof input;
  const b = new L.BatchNormalization().apply(a) as typeof input;
  const merged = new L.Concatenate().apply([new L.Add().apply([a, b]) as typeof input, a]) as typeof input;
  const out = new L.Dense(2, 'softmax').apply(new L.Flatten().apply(new L.MaxPooling2D(2).apply(merged) as typeof input) as typeof input);
  const models = [
    new nr.Model({ inputs: input, outputs: out as typeof input }),
    new nr.Sequential([nr.Input({ shape: [4] }), new L.Dense(8, 'relu'), new L.Dropout(0.5), new L.Dense(3, 'softmax')]),
    new nr.Sequential([nr.Input({ shape: [5], dtype: 'int32' }), new L.Embedding(10, 3), new L.LSTM(4), new L.Dense(2)]),
  ];
  return models.map((m) => {
    const { modelJson, weightData } = modelToTfjs(m);
    return packTfjs(JSON.stringify(modelJson), weightData);
  });
}

const tfjsJsonMutation: Mutation = (bytes, random) => {
  const { json, weights } = unpackTfjs(bytes);
  try {
    return packTfjs(JSON.stringify(mutateJson(JSON.parse(text(json)), random)), weights);
  } catch {
    return bytes;
  }
};

export function runTfjsFuzz(cases: number, seed = 1, timeBoxMs = 2000): FuzzReport {
  return runBytesFuzz(cases, seed, {
    seeds: tfjsSeeds(),
    mutations: [...BYTE_MUTATIONS, tfjsJsonMutation, tfjsJsonMutation, tfjsJsonMutation],
    name: (i) => `case-${i}/model.json`,
    timeBoxMs,
    decode: (bytes, name) =>
      rethrowNamed(name, () => {
        const { json, weights } = unpackTfjs(bytes);
        let parsed: unknown;
        try {
          parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
        } catch (e) {
          throw new FormatError(`not JSON: ${(e as Error).message}`);
        }
        tfjsToModel(parsed, weights, 'model.json');
      }),
  });
}

const kerasConfigMutation: Mutation = (bytes, random) => {
  try {
    const files = unzipSync(bytes);
    const config = mutateJson(JSON.parse(text(files['config.json']!)), random);
    return zipSync({ ...files, 'config.json': utf8(JSON.stringify(config)) }, { level: 0 });
  } catch {
    return bytes;
  }
};

export function runKerasFuzz(cases: number, seed = 1, timeBoxMs = 2000): FuzzReport {
  const dir = join(import.meta.dirname, '..', 'fixtures', 'keras');
  return runBytesFuzz(cases, seed, {
    seeds: ['cnn', 'functional', 'sequence'].map((n) => new Uint8Array(readFileSync(join(dir, `${n}.keras`)))),
    mutations: [...BYTE_MUTATIONS, kerasConfigMutation, kerasConfigMutation, kerasConfigMutation],
    name: (i) => `case-${i}.keras`,
    timeBoxMs,
    decode: (bytes, name) => rethrowNamed(name, () => kerasArchiveToModel(bytes, 'x.keras')),
  });
}
