/**
 * Fuzz harness for fromOnnx: seeded byte mutations of the PyTorch fixtures and of a neurona export,
 * each read and built into a model. Only FormatError may come out (re-thrown with the case's name,
 * as the byte-fuzz harness expects), within the time box. Used by test/interop/onnx-fuzz.test.ts (CI)
 * and scripts/fuzz.ts (`npm run fuzz`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../../src/core/index.js';
import { onnxToModel } from '../../src/interop/onnx-import.js';
import { BYTE_MUTATIONS, runBytesFuzz } from '../io/bytes.fuzz.js';
import type { FuzzReport } from '../io/safetensors.fuzz.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'onnx');

export function runOnnxFuzz(cases: number, seed = 1, timeBoxMs = 2000): FuzzReport {
  const seeds = ['mlp', 'lenet', 'lstm', 'transformer'].map((n) => new Uint8Array(readFileSync(join(FIXTURES, `${n}.onnx`))));
  return runBytesFuzz(cases, seed, {
    seeds,
    mutations: BYTE_MUTATIONS,
    name: (i) => `case-${i}.onnx`,
    timeBoxMs,
    decode: (bytes, name) => {
      try {
        onnxToModel(bytes);
      } catch (e) {
        if (e instanceof FormatError) throw new FormatError(`${name}: ${e.message}`);
        throw e;
      }
    },
  });
}
