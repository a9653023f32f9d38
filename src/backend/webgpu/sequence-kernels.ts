import type { FloatArray } from '../../core/index.js';
import type { AttentionArgs, Kernels } from '../kernels.js';
import { inputId, viewOutputId, viewWritable } from './array.js';
import type { Dispatch } from './conv-kernels.js';
import { ENTRY, FLAT_INDEX, grid, HELPERS, isF32, onDevice, storage, uniform } from './wgsl.js';

/*
 * Attention's masked softmax and its gradient (a thread per row) and the LSTM cell forward and backward
 * and the GRU and SimpleRNN cells (a thread per batch row and unit), in WGSL, the same formulas as
 * js/attention.ts and js/recurrent.ts. GELU falls back to js.
 */

/** Arrays by the name the shader gives them, in binding order. */
type Bound = Record<string, FloatArray | null>;

export function sequenceKernels(fallback: Kernels, dispatch: Dispatch, maxStorageBuffers: number): Partial<Kernels> {
  /**
   * One thread per (batch row b, unit j) of `n` values: `inputs` (`has_<name>` false in the body for a
   * null one), `inPlace` arrays read and written, `outputs` written. False when an array does
   * not fit (the caller falls back).
   */
  function cell(key: string, n: number, units: number, given: Bound, readWritten: Bound, written: Bound, body: string): boolean {
    const inputs = Object.entries(given);
    const inPlace = Object.entries(readWritten);
    const outputs = Object.entries(written);
    const present = inputs.filter(([, a]) => a !== null);
    if (!present.every(([, a]) => isF32(a)) || ![...inPlace, ...outputs].every(([, a]) => viewWritable(a))) return false;
    if (inputs.length + inPlace.length + outputs.length > maxStorageBuffers) return false;
    if (n === 0) return true;
    const writes = [...Object.keys(readWritten), ...Object.keys(written)];
    // Every name is bound (WGSL rejects an undeclared one even where a constant flag skips it): a missing
    // array is bound to the first present input, read only, and never used.
    const names = [...Object.keys(given), ...writes];
    const flags = inputs.map(([name, a]) => `const has_${name} = ${a !== null};`).join('\n');
    const code = `${HELPERS}${storage(names, new Set(writes))}
struct P { n: u32, units: u32 }
@group(0) @binding(${names.length}) var<uniform> u: P;
${flags}
${ENTRY} {
  ${FLAT_INDEX}
  if (i >= u.n) { return; }
  let b = i / u.units; let j = i % u.units;
  ${body}
}`;
    const stand = inputId(present[0]![1] as Float32Array);
    const ids = inputs.map(([, a]) => (a === null ? stand : inputId(a as Float32Array)));
    // Read and written in place: their newest values must be on the GPU first, then they are GPU-newer.
    // Views into device arrays (a step of the recurrent op's storage) go through temporaries on the GPU.
    for (const [, a] of inPlace) ids.push(viewOutputId(a as Float32Array, true));
    ids.push(...outputs.map(([, a]) => viewOutputId(a as Float32Array)));
    dispatch(`${key}:${inputs.map(([, a]) => (a === null ? 0 : 1)).join('')}`, code, ids, uniform([n, units]), grid(n));
    return true;
  }
  // A missing array reads as 0 (a mask as 1): WGSL needs every name bound, so the body picks by flag.
  const read = (name: string, at: string, none = '0.0') => `select(${none}, ${name}[${at}], has_${name})`;

  return {
    gruCell(xw, hu, biasIn, biasRec, hPrev, mask, gates, h, units) {
      const body = `let k = b * 3u * u.units + j; let out = b * 4u * u.units + j;
  let z = sigmoid32(xw[k] + ${bi('biasIn', 'j')} + hu[k] + ${bi('biasRec', 'j')});
  let r = sigmoid32(xw[k + u.units] + ${bi('biasIn', 'j + u.units')} + hu[k + u.units] + ${bi('biasRec', 'j + u.units')});
  let uh = hu[k + 2u * u.units] + ${bi('biasRec', 'j + 2u * u.units')};
  let n = tanh32(xw[k + 2u * u.units] + ${bi('biasIn', 'j + 2u * u.units')} + r * uh);
  gates[out] = z; gates[out + u.units] = r; gates[out + 2u * u.units] = n; gates[out + 3u * u.units] = uh;
  h[i] = select(hPrev[i], z * hPrev[i] + (1.0 - z) * n, ${live('mask')});`;
      if (!cell('gruCell', h.length, units, { xw, hu, biasIn, biasRec, hPrev, mask }, {}, { gates, h }, body)) {
        fallback.gruCell(xw, hu, biasIn, biasRec, hPrev, mask, gates, h, units);
      }
    },
    gruCellBackward(gates, hPrev, mask, dy, dhRec, dhCarry, dzx, dzh, units) {
      const body = `let k = b * 3u * u.units + j; let saved = b * 4u * u.units + j;
  let dh = ${read('dy', 'i')} + ${read('dhRec', 'i')} + dhCarry[i];
  if (!${live('mask')}) {
    dzx[k] = 0.0; dzx[k + u.units] = 0.0; dzx[k + 2u * u.units] = 0.0;
    dzh[k] = 0.0; dzh[k + u.units] = 0.0; dzh[k + 2u * u.units] = 0.0;
    dhCarry[i] = dh;
    return;
  }
  let z = gates[saved]; let r = gates[saved + u.units]; let n = gates[saved + 2u * u.units]; let uh = gates[saved + 3u * u.units];
  let dn = dh * (1.0 - z) * (1.0 - n * n);
  let dzz = dh * (hPrev[i] - n) * z * (1.0 - z);
  let dzr = dn * uh * r * (1.0 - r);
  dzx[k] = dzz; dzx[k + u.units] = dzr; dzx[k + 2u * u.units] = dn;
  dzh[k] = dzz; dzh[k + u.units] = dzr; dzh[k + 2u * u.units] = dn * r;
  dhCarry[i] = dh * z;`;
      const inputs = { gates, hPrev, mask, dy, dhRec };
      if (!cell('gruCellBackward', hPrev.length, units, inputs, { dhCarry }, { dzx, dzh }, body)) {
        fallback.gruCellBackward(gates, hPrev, mask, dy, dhRec, dhCarry, dzx, dzh, units);
      }
    },
    simpleRnnCell(xw, hu, bias, hPrev, mask, h, units) {
      const body = `h[i] = select(hPrev[i], tanh32(xw[i] + hu[i] + ${bi('bias', 'j')}), ${live('mask')});`;
      if (!cell('simpleRnnCell', h.length, units, { xw, hu, bias, hPrev, mask }, {}, { h }, body))
        fallback.simpleRnnCell(xw, hu, bias, hPrev, mask, h, units);
    },
    simpleRnnCellBackward(h, mask, dy, dhRec, dhCarry, dz, units) {
      const body = `let dh = ${read('dy', 'i')} + ${read('dhRec', 'i')} + dhCarry[i];
  let y = h[i];
  let live = ${live('mask')};
  dz[i] = select(0.0, dh * (1.0 - y * y), live);
  dhCarry[i] = select(dh, 0.0, live);`;
      if (!cell('simpleRnnCellBackward', h.length, units, { h, mask, dy, dhRec }, { dhCarry }, { dz }, body)) {
        fallback.simpleRnnCellBackward(h, mask, dy, dhRec, dhCarry, dz, units);
      }
    },
    attentionSoftmax(scores: FloatArray, mask: FloatArray | null, out: FloatArray, args: AttentionArgs) {
      if (!isF32(scores) || (mask !== null && !isF32(mask)) || !onDevice(out)) return fallback.attentionSoftmax(scores, mask, out, args);
      const rows = args.batch * args.rows;
      if (rows === 0 || args.cols === 0) return;
      const names = mask ? ['scores', 'mask', 'out'] : ['scores', 'out'];
      const kept = `(j < end${mask ? ' && mask[maskRow + j] != 0.0' : ''})`;
      const code = `${HELPERS}${storage(names, new Set(['out']))}
struct P { n: u32, rows: u32, cols: u32, causal: u32, maskBatch: u32, maskRows: u32, maskRepeat: u32,
  uniformEmpty: u32, scale: f32, inf: u32 }
@group(0) @binding(${names.length}) var<uniform> u: P;
${ENTRY} {
  ${FLAT_INDEX}
  if (i >= u.n) { return; }
  let b = i / u.rows; let r = i % u.rows;
  let start = i * u.cols;
  let maskRow = ((b / u.maskRepeat) % u.maskBatch) * u.maskRows * u.cols + select(r * u.cols, 0u, u.maskRows == 1u);
  let end = select(u.cols, min(u.cols, r + 1u), u.causal == 1u);
  let inf = bitcast<f32>(u.inf);
  var m = -inf;
  for (var j = 0u; j < u.cols; j++) { if ${kept} { let v = scores[start + j] * u.scale; if (v > m) { m = v; } } }
  if (m == -inf) {
    let fill = select(0.0, 1.0 / f32(u.cols), u.uniformEmpty == 1u);
    for (var j = 0u; j < u.cols; j++) { out[start + j] = fill; }
    return;
  }
  var sum = 0.0; var comp = 0.0;
  for (var j = 0u; j < u.cols; j++) {
    var e = 0.0;
    if ${kept} { e = exp32(scores[start + j] * u.scale - m); }
    out[start + j] = e;
    let y = e - comp; let t = sum + y; comp = (t - sum) - y; sum = t;
  }
  let inverse = 1.0 / sum;
  for (var j = 0u; j < u.cols; j++) { out[start + j] = out[start + j] * inverse; }
}`;
      const ids = [inputId(scores), ...(mask ? [inputId(mask)] : []), out.outputId()];
      const values = [rows, args.rows, args.cols, args.causal ? 1 : 0, args.maskBatch, args.maskRows, args.maskRepeat];
      const u = uniform([...values, args.uniformEmptyRows ? 1 : 0, args.scale, 0x7f800000], new Set([8]));
      dispatch(`attentionSoftmax:${mask !== null}`, code, ids, u, grid(rows));
    },
    attentionSoftmaxBackward(probs, dProbs, dScores, length, scale) {
      if (!isF32(probs) || !isF32(dProbs) || !onDevice(dScores))
        return fallback.attentionSoftmaxBackward(probs, dProbs, dScores, length, scale);
      const rows = length === 0 ? 0 : probs.length / length;
      if (rows === 0) return;
      const code = `${storage(['p', 'dp', 'out'], new Set(['out']))}
struct P { n: u32, length: u32, scale: f32 }
@group(0) @binding(3) var<uniform> u: P;
${ENTRY} {
  ${FLAT_INDEX}
  if (i >= u.n) { return; }
  let start = i * u.length;
  var dot = 0.0; var comp = 0.0;
  for (var j = start; j < start + u.length; j++) { let y = p[j] * dp[j] - comp; let t = dot + y; comp = (t - dot) - y; dot = t; }
  for (var j = start; j < start + u.length; j++) { out[j] = u.scale * p[j] * (dp[j] - dot); }
}`;
      const ids = [inputId(probs), inputId(dProbs), dScores.outputId()];
      dispatch('attentionSoftmaxBackward', code, ids, uniform([rows, length, scale], new Set([2])), grid(rows));
    },
    lstmCell(xw, hu, bias, cPrev, hPrev, mask, gates, c, h, units) {
      const z = (q: number) => `xw[k + ${q}u * u.units] + hu[k + ${q}u * u.units] + ${bi('bias', `j + ${q}u * u.units`)}`;
      const body = `let k = b * 4u * u.units + j;
  let gi = sigmoid32(${z(0)}); let gf = sigmoid32(${z(1)}); let gg = tanh32(${z(2)}); let go = sigmoid32(${z(3)});
  gates[k] = gi; gates[k + u.units] = gf; gates[k + 2u * u.units] = gg; gates[k + 3u * u.units] = go;
  if (${live('mask')}) {
    let cs = gf * cPrev[i] + gi * gg;
    c[i] = cs; h[i] = go * tanh32(cs);
  } else {
    c[i] = cPrev[i]; h[i] = hPrev[i];
  }`;
      if (!cell('lstmCell', c.length, units, { xw, hu, bias, cPrev, hPrev, mask }, {}, { gates, c, h }, body))
        fallback.lstmCell(xw, hu, bias, cPrev, hPrev, mask, gates, c, h, units);
    },
    lstmCellBackward(gates, c, cPrev, mask, dy, dhRec, dhCarry, dc, dz, units) {
      const body = `let k = b * 4u * u.units + j;
  let dh = ${read('dy', 'i')} + ${read('dhRec', 'i')} + dhCarry[i];
  if (!${live('mask')}) {
    dz[k] = 0.0; dz[k + u.units] = 0.0; dz[k + 2u * u.units] = 0.0; dz[k + 3u * u.units] = 0.0;
    dhCarry[i] = dh;
    return;
  }
  let gi = gates[k]; let gf = gates[k + u.units]; let gg = gates[k + 2u * u.units]; let go = gates[k + 3u * u.units];
  let tc = tanh32(c[i]);
  let dcTotal = dc[i] + dh * go * (1.0 - tc * tc);
  dz[k] = dcTotal * gg * gi * (1.0 - gi);
  dz[k + u.units] = dcTotal * cPrev[i] * gf * (1.0 - gf);
  dz[k + 2u * u.units] = dcTotal * gi * (1.0 - gg * gg);
  dz[k + 3u * u.units] = dh * tc * go * (1.0 - go);
  dc[i] = dcTotal * gf;
  dhCarry[i] = 0.0;`;
      const inputs = { gates, c, cPrev, mask, dy, dhRec };
      if (!cell('lstmCellBackward', c.length, units, inputs, { dhCarry, dc }, { dz }, body)) {
        fallback.lstmCellBackward(gates, c, cPrev, mask, dy, dhRec, dhCarry, dc, dz, units);
      }
    },
  };
}

/** A bias value, or 0 when there is no bias (the flag is a constant, so the shader never reads it). */
const bi = (name: string, at: string) => `select(0.0, ${name}[${at}], has_${name})`;
/** Whether batch row b is live: no mask, or its mask value is not 0. */
const live = (name: string) => `(!has_${name} || ${name}[b] != 0.0)`;
