/**
 * Fuzz harness for nr.loadModel(bytes) (modelFromBytes): seeded damage to the containers of a few
 * models, both to the zip's bytes and, re-zipped, to the model.json and model.safetensors inside it
 * (the zip's own checks would stop most byte damage before the files are read). Only FormatError may
 * come out, within the time box. Used by test/nn/models/model-bytes-fuzz.test.ts (CI) and
 * scripts/fuzz.ts (`npm run fuzz`).
 */
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { FormatError } from '../../../src/core/index.js';
import * as nr from '../../../src/index.js';
import { modelFromBytes } from '../../../src/nn/saving/model-bytes.js';
import { BYTE_MUTATIONS, pick, runBytesFuzz, type Mutation } from '../../io/bytes.fuzz.js';
import { MUTATIONS as SAFETENSORS_MUTATIONS, type FuzzReport } from '../../io/safetensors.fuzz.js';

const L = nr.layers;
const JSON_VALUES = ['-1', '0', '1e9', '"relu"', 'null', 'true', '[]', '{}', '[3]', '"x"'];

/** Inside the container: a byte mutation of one file, a JSON value replaced in model.json, or a safetensors mutation. */
const inside: Mutation = (bytes, random) => {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch {
    return bytes;
  }
  const json = files['model.json'];
  const weights = files['model.safetensors'];
  const choice = random();
  if (json && choice < 0.5) {
    const text = strFromU8(json);
    const values = [...text.matchAll(/: ("[^"]*"|-?[0-9.e+-]+|true|false|null)/g)];
    if (values.length > 0) {
      const m = pick(values, random);
      const at = m.index! + 2;
      files['model.json'] = strToU8(text.slice(0, at) + pick(JSON_VALUES, random) + text.slice(at + m[1]!.length));
    }
  } else if (weights && choice < 0.85) {
    try {
      files['model.safetensors'] = pick(SAFETENSORS_MUTATIONS, random)(weights, random);
    } catch {
      // those mutations read a safetensors header, which an earlier mutation may have broken
      files['model.safetensors'] = pick(BYTE_MUTATIONS, random)(weights, random);
    }
  } else if (json) {
    files['model.json'] = pick(BYTE_MUTATIONS, random)(json, random);
  }
  return zipSync(files);
};

function seeds(): Uint8Array[] {
  nr.setSeed(1);
  const mlp = new nr.Sequential([new L.Dense({ units: 4, activation: 'relu', inputShape: [3] }), new L.Dense({ units: 2 })]);
  mlp.compile({ optimizer: 'adam', loss: 'mse' });
  const input = nr.Input({ shape: [6, 2] });
  const conv = new L.Conv1D({ filters: 3, kernelSize: 2 }).apply(input);
  const functional = new nr.Model({ inputs: input, outputs: new L.Dense({ units: 1 }).apply(new L.Flatten().apply(conv)) });
  const bn = new nr.Sequential([new L.BatchNormalization({ inputShape: [4] }), new L.Dropout({ rate: 0.2 }), new L.Dense({ units: 2 })]);
  return [mlp.toBytes(), functional.toBytes(), bn.toBytes({ includeOptimizer: false })];
}

export function runModelBytesFuzz(cases: number, seed = 1, timeBoxMs = 2000): FuzzReport {
  return runBytesFuzz(cases, seed, {
    seeds: seeds(),
    mutations: [...BYTE_MUTATIONS, inside, inside, inside, inside],
    name: (i) => `case-${i}.neurona`,
    timeBoxMs,
    decode: (bytes, name) => {
      try {
        modelFromBytes(bytes, {}, name);
      } catch (e) {
        // Messages from inside model.json's checks name the file inside; the case's name goes first.
        if (e instanceof FormatError && !e.message.startsWith(`${name}: `)) throw new FormatError(`${name}: ${e.message}`);
        throw e;
      }
    },
  });
}
