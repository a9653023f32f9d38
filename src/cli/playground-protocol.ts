/**
 * The messages between the playground page (page.ts) and its Web Worker (worker.ts), which holds the
 * model: training, prediction and model loading all run there so that the page stays responsive.
 */

/** What the page asks of the worker. */
export type Request =
  | { type: 'train'; limit: number; epochs: number; batchSize: number; seed: number; learningRate: number }
  | { type: 'stop' }
  | { type: 'predict'; pixels: Float32Array }
  | { type: 'load'; url: string }
  | { type: 'load-files'; files: { name: string; bytes: Uint8Array }[] };

/** One layer's outputs for the drawn digit: `[height, width, channels]`, each map min-max scaled to 0..255. */
export interface FeatureMaps {
  name: string;
  height: number;
  width: number;
  channels: number;
  pixels: Uint8Array;
}

/** What the worker answers. */
export type Reply =
  | { type: 'data'; train: number; test: number }
  /** The backend the worker runs on, once nr.ready() has resolved; `why` it runs on one thread where it does. */
  | { type: 'backend'; name: string; threads: number; why?: string }
  | {
      type: 'progress';
      history: Record<string, number[]>;
      pointsPerEpoch: number;
      epoch: number;
      epochs: number;
      step: number;
      steps: number;
    }
  /** `stopped`: the epoch (from 1) and the last batch done, where the user stopped the run. */
  | { type: 'trained'; seconds: number; stopped: { epoch: number; step: number; steps: number } | null; logs: Record<string, number> }
  | { type: 'model'; source: string; summary: string; convolutions: number }
  | { type: 'prediction'; top: { digit: number; probability: number }[]; maps: FeatureMaps[]; filters: FeatureMaps | null }
  | { type: 'error'; where: string; message: string };

/** The binary that the playground serves as mnist.bin: this magic, the counts, then labels and pixels. */
export const DATA_MAGIC = 0x4e4d5250; // "PRMN" read as a little-endian u32
/** Header: magic, training count, test count, image side (u32 little-endian each). */
export const DATA_HEADER_BYTES = 16;
