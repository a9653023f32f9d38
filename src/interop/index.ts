/**
 * Other frameworks' model formats (ONNX for now): `toOnnx(model)` gives an ONNX file's bytes and
 * `fromOnnx(pathOrBytes)` builds a trainable functional model from one. See docs/interop.md.
 */
import { readFile } from 'node:fs/promises';
import { configError, formatError, show } from '../core/index.js';
import type { Model } from '../nn/models/model.js';
import { onnxToModel, type FromOnnxOptions } from './onnx-import.js';
import { modelToOnnx, type ToOnnxOptions } from './onnx-export.js';
import { MODEL_WRITERS } from '../nn/saving/hooks.js';

export { OnnxOp } from './onnx-ops.js';
export { ONNX_OPERATORS, type FromOnnxOptions } from './onnx-import.js';
export { ONNX_EXPORTED_LAYERS, type ToOnnxOptions } from './onnx-export.js';

/**
 * The model as an ONNX file's bytes (`model.save('model.onnx')` writes the same). Inputs keep the
 * model's layout (NHWC images) unless `layout: 'NCHW'`; the batch dimension is dynamic.
 *
 * ```ts
 * const model = new nr.Sequential([nr.Input({ shape: [4] }), new nr.layers.Dense(2, 'softmax')]);
 * const bytes = await nr.interop.toOnnx(model, { opset: 17 });
 * ```
 */
export async function toOnnx(model: Model, options: ToOnnxOptions = {}): Promise<Uint8Array> {
  return modelToOnnx(model, options);
}

MODEL_WRITERS.set('.onnx', (model) => modelToOnnx(model));

/** Largest .onnx file read (weights are held in memory twice while a model is built). */
const MAX_ONNX_BYTES = 2 ** 31 - 1;

/**
 * Builds a trainable functional model from an ONNX file (a path or its bytes). Nothing in the file
 * is executed: its graph is read into layers, and an unsupported operator is a FormatError naming it.
 *
 * ```ts
 * const model = await nr.interop.fromOnnx('model.onnx'); // PyTorch's NCHW input; {layout: 'NHWC'} for Keras's
 * ```
 */
export async function fromOnnx(source: string | Uint8Array, options: FromOnnxOptions = {}): Promise<Model> {
  let bytes: Uint8Array;
  if (typeof source === 'string') {
    try {
      bytes = await readFile(source);
    } catch (e) {
      throw formatError('fromOnnx', { expected: `cannot read ${source}`, rule: (e as NodeJS.ErrnoException).code ?? String(e) });
    }
    if (bytes.length > MAX_ONNX_BYTES) throw formatError('fromOnnx', { expected: `${source} is larger than 2 GiB` });
  } else if (source instanceof Uint8Array) bytes = source;
  else throw configError('fromOnnx', { expected: 'a path or a Uint8Array', got: show(source) });
  return onnxToModel(bytes, options);
}
