import { dtypeError, formatShape, hostArray, shapeError, type FloatArray, type TypedArray } from '../core/index.js';
import { kernels, type MatmulArgs } from '../backend/index.js';
import { type Tensor, record } from '../tensor/index.js';
import { empty, requireFloat, scratch, toTensor, type Operand } from './helpers.js';
import { slice } from './shape.js';

/** The cells the fused recurrent op runs: Keras's LSTM, GRU (reset after) and SimpleRNN (tanh). */
export type RecurrentCell = 'lstm' | 'gru' | 'simpleRnn';

export interface RecurrentOptions {
  /** `[batch, time]`, 1 where a step is real and 0 where it is padding (any float or bool dtype). */
  mask?: Tensor | null;
  /** Process the sequence from its last step to its first; the outputs stay in processing order (as Keras). */
  goBackwards?: boolean;
  /**
   * Keras's `zero_output_for_mask`: a masked step outputs zeros instead of the previous output (the
   * states carry over either way). Default false; Bidirectional sets it when returning sequences.
   */
  zeroOutputForMask?: boolean;
  /** The initial states, `[batch, units]` each (LSTM: `[h, c]`); zeros when omitted. */
  initialState?: readonly Operand[] | null;
}

/** The result of a recurrent op: the output of every step, and the final states (LSTM: `[h, c]`). */
export interface RecurrentResult {
  /** `[batch, time, units]`, in processing order. */
  sequence: Tensor;
  /** `[batch, units]` each. */
  states: Tensor[];
}

const GATES: Record<RecurrentCell, number> = { lstm: 4, gru: 3, simpleRnn: 1 };
const STATES: Record<RecurrentCell, number> = { lstm: 2, gru: 1, simpleRnn: 1 };

/**
 * A whole recurrent layer's sequence as one autograd node, with Keras's weight layouts: `kernel`
 * `[inFeatures, G units]`, `recurrentKernel` `[units, G units]` (G = 4 for LSTM in gate order
 * i, f, c, o; 3 for GRU in order z, r, h; 1 for SimpleRNN), `bias` `[G units]` (GRU: `[2, 3 units]`,
 * input then recurrent bias) or null. The input projection of every step is one GEMM; each step is
 * one GEMM with the recurrent kernel and one fused gate kernel; backward runs backpropagation
 * through time inside the op and ends with one GEMM each for the kernel, recurrent kernel and input
 * gradients. At a masked step the states carry over and the output repeats the previous output, which
 * is zero before a row's first real step (Keras's rule; with `zeroOutputForMask` always zero).
 *
 * ```ts
 * const x = nr.randn([2, 5, 3]);
 * const { sequence, states } = nr.recurrent('lstm', x, nr.randn([3, 16]), nr.randn([4, 16]), nr.zeros([16]));
 * sequence.shape; // [2, 5, 4]
 * states.length;  // 2
 * ```
 */
export function recurrent(
  cell: RecurrentCell,
  input: Operand,
  kernel: Operand,
  recurrentKernel: Operand,
  bias: Operand | null,
  options: RecurrentOptions = {},
): RecurrentResult {
  const packed = recurrentPacked(cell, input, kernel, recurrentKernel, bias, options);
  const [batch, length, units] = packed.shape as [number, number, number];
  const time = length - STATES[cell];
  const sequence = slice(packed, [0, 0, 0], [batch, time, units]);
  const states: Tensor[] = [];
  for (let s = 0; s < STATES[cell]; s++) states.push(slice(packed, [0, time + s, 0], [batch, 1, units]).reshape([batch, units]));
  return { sequence, states };
}

/**
 * `recurrent` as the single tensor its node produces: `[batch, time + S, units]`, the step outputs
 * followed by the S final states (one tensor, so that one node carries every gradient).
 */
export function recurrentPacked(
  cell: RecurrentCell,
  input: Operand,
  kernel: Operand,
  recurrentKernel: Operand,
  bias: Operand | null,
  options: RecurrentOptions = {},
): Tensor {
  const op = `recurrent (${cell})`;
  const x = toTensor(input);
  const w = toTensor(kernel);
  const u = toTensor(recurrentKernel);
  const b = bias === null ? null : toTensor(bias);
  requireFloat(x, op, 'input');
  if (x.rank !== 3) throw shapeError(op, { expected: 'the input must be [batch, time, features]', got: formatShape(x.shape) });
  const [batch, time, inFeatures] = x.shape as [number, number, number];
  const gates = GATES[cell];
  if (u.rank !== 2 || u.shape[1] !== gates * u.shape[0]!) {
    throw shapeError(op, { expected: `the recurrent kernel must be [units, ${gates} * units]`, got: formatShape(u.shape) });
  }
  const units = u.shape[0]!;
  const width = gates * units;
  if (w.rank !== 2 || w.shape[0] !== inFeatures || w.shape[1] !== width) {
    throw shapeError(op, {
      expected: `the kernel must be [${inFeatures}, ${width}] for the input ${formatShape(x.shape)} and ${units} units`,
      got: formatShape(w.shape),
    });
  }
  const biasShape = cell === 'gru' ? [2, width] : [width];
  if (b !== null && formatShape(b.shape) !== formatShape(biasShape)) {
    throw shapeError(op, { expected: `the bias must be ${formatShape(biasShape)}`, got: formatShape(b.shape) });
  }
  const states = (options.initialState ?? []).map((s) => toTensor(s));
  if (options.initialState && states.length !== STATES[cell]) {
    throw shapeError(op, {
      expected: `${STATES[cell]} initial state${STATES[cell] > 1 ? 's ([h, c])' : ''}`,
      got: `${states.length}`,
    });
  }
  for (const s of states) {
    if (s.rank !== 2 || s.shape[0] !== batch || s.shape[1] !== units) {
      throw shapeError(op, { expected: `each initial state must be [${batch}, ${units}]`, got: formatShape(s.shape) });
    }
  }
  const mask = options.mask ?? null;
  if (mask !== null && (mask.rank !== 2 || mask.shape[0] !== batch || mask.shape[1] !== time)) {
    throw shapeError(op, {
      expected: `the mask must be [${batch}, ${time}] for the input ${formatShape(x.shape)}`,
      got: formatShape(mask.shape),
    });
  }
  for (const t of [w, u, b, ...states]) {
    if (t !== null && t.dtype !== x.dtype) {
      throw dtypeError(op, {
        expected: `every weight and state must have the input's dtype ${x.dtype}`,
        got: `${t.dtype} ${formatShape(t.shape)}`,
      });
    }
  }
  return runRecurrent(cell, x, w, u, b, states, mask, options.goBackwards ?? false, options.zeroOutputForMask ?? false, units);
}

function runRecurrent(
  cell: RecurrentCell,
  x: Tensor,
  w: Tensor,
  u: Tensor,
  b: Tensor | null,
  initial: Tensor[],
  maskTensor: Tensor | null,
  goBackwards: boolean,
  zeroOutputForMask: boolean,
  units: number,
): Tensor {
  const table = kernels();
  const dtype = x.dtype;
  const [batch, time, inFeatures] = x.shape as [number, number, number];
  const width = GATES[cell] * units;
  const nStates = STATES[cell];
  const step = batch * units;
  const mm = (m: number, n: number, k: number, transA = false, transB = false): MatmulArgs => ({
    batch: 1,
    m,
    n,
    k,
    transA,
    transB,
    aBatchStride: 0,
    bBatchStride: 0,
  });
  // Time-major copies (reversed for goBackwards) make every step's slice contiguous for its GEMM. The
  // reshuffles are kernels (transpose, gather, slice, where, concat), so a device backend keeps them there.
  const source = (t: number) => (goBackwards ? time - 1 - t : t);
  const reversed = goBackwards ? Int32Array.from({ length: time }, (_, t) => time - 1 - t) : null;
  /** [batch, time, d] to [time, batch, d] in processing order, or back (`toBatchMajor`). */
  const reorder = (from: TypedArray, d: number, to: TypedArray, toBatchMajor: boolean) => {
    if (batch * time * d === 0) return;
    const flipped = reversed === null ? null : (scratch([time, batch, d], dtype)._data as FloatArray);
    if (toBatchMajor) {
      if (flipped) table.gather(from, { outer: 1, length: time, inner: batch * d }, reversed!, flipped);
      table.transpose(flipped ?? from, [time, batch, d], [1, 0, 2], to);
    } else {
      table.transpose(from, [batch, time, d], [1, 0, 2], flipped ?? to);
      if (flipped) table.gather(flipped, { outer: 1, length: time, inner: batch * d }, reversed!, to);
    }
  };
  const xt = scratch([time, batch, inFeatures], dtype)._data as FloatArray;
  reorder(x._data, inFeatures, xt, false);
  // Where a step's output is kept: not where it is masked and no previous output exists (or masked at
  // all, zeroOutputForMask); [batch, time] for the output and [time, batch] for the gradient, as bools.
  let mask: FloatArray | null = null;
  let keepByRow: Uint8Array | null = null;
  let keepByStep: Uint8Array | null = null;
  if (maskTensor !== null) {
    mask = scratch([time, batch], dtype)._data as FloatArray;
    keepByRow = new Uint8Array(batch * time);
    keepByStep = new Uint8Array(batch * time);
    const m = hostArray(maskTensor._data);
    for (let i = 0; i < batch; i++) {
      let seen = 0;
      for (let t = 0; t < time; t++) {
        const live = m[i * time + source(t)] ? 1 : 0;
        seen |= live;
        mask[t * batch + i] = live;
        keepByRow[i * time + t] = keepByStep[t * batch + i] = zeroOutputForMask ? live : seen;
      }
    }
  }
  const zero = dtype === 'float64' ? new Float64Array(1) : new Float32Array(1);
  /** `to` = `from` where kept, else 0 (`from` as it is without a mask); `keep` of `shape` broadcast over units. */
  const masked = (from: FloatArray, keep: Uint8Array | null, shape: number[], to: FloatArray) => {
    if (keep === null) return from;
    table.where(keep, [...shape, 1], from, [...shape, units], zero, [], to, [...shape, units]);
    return to;
  };
  const stepMask = (t: number) => (mask === null ? null : mask.subarray(t * batch, (t + 1) * batch));
  const xw = scratch([time * batch, width], dtype)._data as FloatArray;
  if (time * batch > 0 && inFeatures > 0 && width > 0) table.matmul(xt, w._data as FloatArray, xw, mm(time * batch, width, inFeatures));
  // h (and c) of every step, index 0 the initial state; gates as the cell kernels save them.
  const hs = scratch([time + 1, batch, units], dtype)._data as FloatArray;
  const cs = cell === 'lstm' ? (scratch([time + 1, batch, units], dtype)._data as FloatArray) : null;
  const savedWidth = cell === 'simpleRnn' ? 0 : 4 * units;
  const saved = scratch([time, batch, savedWidth], dtype)._data as FloatArray;
  if (initial[0]) hs.set(hostArray(initial[0]._data as FloatArray));
  if (cs && initial[1]) cs.set(hostArray(initial[1]._data as FloatArray));
  const hu = scratch([batch, width], dtype)._data as FloatArray;
  const uData = u._data as FloatArray;
  const bData = b === null ? null : (b._data as FloatArray);
  const at = (a: FloatArray, t: number, size: number) => a.subarray(t * size, (t + 1) * size);
  for (let t = 0; t < time; t++) {
    if (step > 0 && width > 0) table.matmul(at(hs, t, step), uData, hu, mm(batch, width, units));
    const xwt = at(xw, t, batch * width);
    if (cell === 'lstm') {
      table.lstmCell(
        xwt,
        hu,
        bData,
        at(cs!, t, step),
        at(hs, t, step),
        stepMask(t),
        at(saved, t, batch * savedWidth),
        at(cs!, t + 1, step),
        at(hs, t + 1, step),
        units,
      );
    } else if (cell === 'gru') {
      const [bIn, bRec] = bData === null ? [null, null] : [bData.subarray(0, width), bData.subarray(width)];
      table.gruCell(xwt, hu, bIn, bRec, at(hs, t, step), stepMask(t), at(saved, t, batch * savedWidth), at(hs, t + 1, step), units);
    } else {
      table.simpleRnnCell(xwt, hu, bData, at(hs, t, step), stepMask(t), at(hs, t + 1, step), units);
    }
  }
  // The output: each step's h batch-major (zero where not kept), then the final h (and c) per row.
  const out = empty([batch, time + nStates, units], dtype, `recurrent (${cell})`);
  const rows = time + nStates;
  const sequence = scratch([batch, time, units], dtype)._data as FloatArray;
  if (step * time > 0) table.transpose(hs.subarray(step), [time, batch, units], [1, 0, 2], sequence);
  const kept = masked(sequence, keepByRow, [batch, time], scratch([batch, time, units], dtype)._data as FloatArray);
  const finals = [hs.subarray(time * step, (time + 1) * step), ...(cs ? [cs.subarray(time * step, (time + 1) * step)] : [])];
  if (step > 0) table.concat([kept, ...finals], batch, [time * units, ...finals.map(() => units)], out._data);
  const inputs = [x, w, u, ...(b === null ? [] : [b]), ...initial];
  return record(`recurrent (${cell})`, out, inputs, (g) => {
    // The output's gradient taken apart as the output was put together: dy time-major (zero where the
    // output was not kept), and the final states' gradients.
    const gData = g._data as FloatArray;
    const gShape = [batch, rows, units];
    const dhCarry = empty([batch, units], dtype)._data as FloatArray;
    const dcTensor = cs ? empty([batch, units], dtype) : null;
    const dc = dcTensor === null ? null : (dcTensor._data as FloatArray);
    const dySteps = scratch([time, batch, units], dtype)._data as FloatArray;
    if (step * time > 0) {
      const gSequence = scratch([batch, time, units], dtype)._data as FloatArray;
      table.slice(gData, gShape, [0, 0, 0], [batch, time, units], gSequence);
      table.transpose(gSequence, [batch, time, units], [1, 0, 2], dySteps);
    }
    const dy = masked(dySteps, keepByStep, [time, batch], scratch([time, batch, units], dtype)._data as FloatArray);
    if (step > 0) {
      table.slice(gData, gShape, [0, time, 0], [batch, 1, units], dhCarry);
      if (dc) table.slice(gData, gShape, [0, time + 1, 0], [batch, 1, units], dc);
    }
    const dzx = scratch([time * batch, width], dtype)._data as FloatArray;
    const dzh = cell === 'gru' ? (scratch([time * batch, width], dtype)._data as FloatArray) : dzx;
    const dhRec = scratch([batch, units], dtype)._data as FloatArray;
    for (let t = time - 1; t >= 0; t--) {
      const rec = t === time - 1 ? null : dhRec;
      if (cell === 'lstm') {
        table.lstmCellBackward(
          at(saved, t, batch * savedWidth),
          at(cs!, t + 1, step),
          at(cs!, t, step),
          stepMask(t),
          at(dy, t, step),
          rec,
          dhCarry,
          dc!,
          at(dzx, t, batch * width),
          units,
        );
      } else if (cell === 'gru') {
        table.gruCellBackward(
          at(saved, t, batch * savedWidth),
          at(hs, t, step),
          stepMask(t),
          at(dy, t, step),
          rec,
          dhCarry,
          at(dzx, t, batch * width),
          at(dzh, t, batch * width),
          units,
        );
      } else {
        table.simpleRnnCellBackward(at(hs, t + 1, step), stepMask(t), at(dy, t, step), rec, dhCarry, at(dzx, t, batch * width), units);
      }
      if (step > 0 && width > 0) table.matmul(at(dzh, t, batch * width), uData, dhRec, mm(batch, units, width, false, true));
    }
    // What reaches h0: through the recurrent kernel at step 0, and around it where step 0 was masked.
    let dh0: Tensor | null = null;
    if (initial[0]?.requiresGrad) {
      dh0 = empty([batch, units], dtype);
      if (step > 0) table.binary('add', time > 0 ? dhRec : zero, time > 0 ? [step] : [], dhCarry, [step], dh0._data, [step]);
    }
    let dx: Tensor | null = null;
    if (x.requiresGrad) {
      dx = empty(x.shape, dtype);
      const dxt = scratch([time, batch, inFeatures], dtype)._data as FloatArray;
      if (time * batch > 0 && inFeatures > 0 && width > 0)
        table.matmul(dzx, w._data as FloatArray, dxt, mm(time * batch, inFeatures, width, false, true));
      reorder(dxt, inFeatures, dx._data, true);
    }
    let dw: Tensor | null = null;
    if (w.requiresGrad) {
      dw = empty(w.shape, dtype);
      if (time * batch > 0) table.matmul(xt, dzx, dw._data as FloatArray, mm(inFeatures, width, time * batch, true, false));
    }
    let du: Tensor | null = null;
    if (u.requiresGrad) {
      du = empty(u.shape, dtype);
      if (time * batch > 0)
        table.matmul(hs.subarray(0, time * step), dzh, du._data as FloatArray, mm(units, width, time * batch, true, false));
    }
    let db: Tensor | null = null;
    if (b?.requiresGrad) {
      db = empty(b.shape, dtype);
      const d = db._data as FloatArray;
      if (time * batch > 0) {
        table.reduce('sum', dzx, { outer: 1, length: time * batch, inner: width }, d.subarray(0, width));
        if (cell === 'gru') table.reduce('sum', dzh, { outer: 1, length: time * batch, inner: width }, d.subarray(width));
      }
    }
    const grads: (Tensor | null)[] = [dx, dw, du];
    if (b !== null) grads.push(db);
    if (initial.length > 0) grads.push(dh0);
    if (initial.length > 1) grads.push(initial[1]!.requiresGrad ? dcTensor : null);
    return grads;
  });
}
