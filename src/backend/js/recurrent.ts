import type { FloatArray } from '../../core/index.js';

// One step of a recurrent layer for a whole batch; the GEMMs around it live in ops/recurrent.ts.
// A mask of null means every row is live. Rows are independent, so the loops run row by row.

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export function lstmCell(
  xw: FloatArray,
  hu: FloatArray,
  bias: FloatArray | null,
  cPrev: FloatArray,
  hPrev: FloatArray,
  mask: FloatArray | null,
  gates: FloatArray,
  c: FloatArray,
  h: FloatArray,
  units: number,
): void {
  const batch = units === 0 ? 0 : c.length / units;
  const g4 = 4 * units;
  for (let b = 0; b < batch; b++) {
    const row = b * g4;
    const live = mask === null || mask[b] !== 0;
    for (let j = 0; j < units; j++) {
      const k = row + j;
      const s = b * units + j;
      const zi = xw[k]! + hu[k]! + (bias === null ? 0 : bias[j]!);
      const zf = xw[k + units]! + hu[k + units]! + (bias === null ? 0 : bias[j + units]!);
      const zg = xw[k + 2 * units]! + hu[k + 2 * units]! + (bias === null ? 0 : bias[j + 2 * units]!);
      const zo = xw[k + 3 * units]! + hu[k + 3 * units]! + (bias === null ? 0 : bias[j + 3 * units]!);
      const i = sigmoid(zi);
      const f = sigmoid(zf);
      const g = Math.tanh(zg);
      const o = sigmoid(zo);
      gates[k] = i;
      gates[k + units] = f;
      gates[k + 2 * units] = g;
      gates[k + 3 * units] = o;
      if (live) {
        // Rounded to the array's precision before tanh, so that backward's tanh(c) sees the same c.
        c[s] = f * cPrev[s]! + i * g;
        h[s] = o * Math.tanh(c[s]!);
      } else {
        c[s] = cPrev[s]!;
        h[s] = hPrev[s]!;
      }
    }
  }
}

export function lstmCellBackward(
  gates: FloatArray,
  c: FloatArray,
  cPrev: FloatArray,
  mask: FloatArray | null,
  dy: FloatArray | null,
  dhRec: FloatArray | null,
  dhCarry: FloatArray,
  dc: FloatArray,
  dz: FloatArray,
  units: number,
): void {
  const batch = units === 0 ? 0 : c.length / units;
  const g4 = 4 * units;
  for (let b = 0; b < batch; b++) {
    const row = b * g4;
    const live = mask === null || mask[b] !== 0;
    for (let j = 0; j < units; j++) {
      const k = row + j;
      const s = b * units + j;
      const dh = (dy === null ? 0 : dy[s]!) + (dhRec === null ? 0 : dhRec[s]!) + dhCarry[s]!;
      if (!live) {
        dz[k] = 0;
        dz[k + units] = 0;
        dz[k + 2 * units] = 0;
        dz[k + 3 * units] = 0;
        dhCarry[s] = dh;
        continue;
      }
      const i = gates[k]!;
      const f = gates[k + units]!;
      const g = gates[k + 2 * units]!;
      const o = gates[k + 3 * units]!;
      const tc = Math.tanh(c[s]!);
      const dcTotal = dc[s]! + dh * o * (1 - tc * tc);
      dz[k] = dcTotal * g * i * (1 - i);
      dz[k + units] = dcTotal * cPrev[s]! * f * (1 - f);
      dz[k + 2 * units] = dcTotal * i * (1 - g * g);
      dz[k + 3 * units] = dh * tc * o * (1 - o);
      dc[s] = dcTotal * f;
      dhCarry[s] = 0;
    }
  }
}

export function gruCell(
  xw: FloatArray,
  hu: FloatArray,
  biasIn: FloatArray | null,
  biasRec: FloatArray | null,
  hPrev: FloatArray,
  mask: FloatArray | null,
  gates: FloatArray,
  h: FloatArray,
  units: number,
): void {
  const batch = units === 0 ? 0 : h.length / units;
  const g3 = 3 * units;
  for (let b = 0; b < batch; b++) {
    const row = b * g3;
    const out = b * 4 * units;
    const live = mask === null || mask[b] !== 0;
    for (let j = 0; j < units; j++) {
      const k = row + j;
      const s = b * units + j;
      const xz = xw[k]! + (biasIn === null ? 0 : biasIn[j]!);
      const xr = xw[k + units]! + (biasIn === null ? 0 : biasIn[j + units]!);
      const xh = xw[k + 2 * units]! + (biasIn === null ? 0 : biasIn[j + 2 * units]!);
      const uz = hu[k]! + (biasRec === null ? 0 : biasRec[j]!);
      const ur = hu[k + units]! + (biasRec === null ? 0 : biasRec[j + units]!);
      const uh = hu[k + 2 * units]! + (biasRec === null ? 0 : biasRec[j + 2 * units]!);
      const z = sigmoid(xz + uz);
      const r = sigmoid(xr + ur);
      const n = Math.tanh(xh + r * uh);
      gates[out + j] = z;
      gates[out + units + j] = r;
      gates[out + 2 * units + j] = n;
      gates[out + 3 * units + j] = uh;
      h[s] = live ? z * hPrev[s]! + (1 - z) * n : hPrev[s]!;
    }
  }
}

export function gruCellBackward(
  gates: FloatArray,
  hPrev: FloatArray,
  mask: FloatArray | null,
  dy: FloatArray | null,
  dhRec: FloatArray | null,
  dhCarry: FloatArray,
  dzx: FloatArray,
  dzh: FloatArray,
  units: number,
): void {
  const batch = units === 0 ? 0 : hPrev.length / units;
  const g3 = 3 * units;
  for (let b = 0; b < batch; b++) {
    const row = b * g3;
    const saved = b * 4 * units;
    const live = mask === null || mask[b] !== 0;
    for (let j = 0; j < units; j++) {
      const k = row + j;
      const s = b * units + j;
      const dh = (dy === null ? 0 : dy[s]!) + (dhRec === null ? 0 : dhRec[s]!) + dhCarry[s]!;
      if (!live) {
        dzx[k] = dzx[k + units] = dzx[k + 2 * units] = 0;
        dzh[k] = dzh[k + units] = dzh[k + 2 * units] = 0;
        dhCarry[s] = dh;
        continue;
      }
      const z = gates[saved + j]!;
      const r = gates[saved + units + j]!;
      const n = gates[saved + 2 * units + j]!;
      const uh = gates[saved + 3 * units + j]!;
      const dn = dh * (1 - z) * (1 - n * n);
      const dzz = dh * (hPrev[s]! - n) * z * (1 - z);
      const dzr = dn * uh * r * (1 - r);
      dzx[k] = dzz;
      dzx[k + units] = dzr;
      dzx[k + 2 * units] = dn;
      dzh[k] = dzz;
      dzh[k + units] = dzr;
      dzh[k + 2 * units] = dn * r;
      dhCarry[s] = dh * z;
    }
  }
}

export function simpleRnnCell(
  xw: FloatArray,
  hu: FloatArray,
  bias: FloatArray | null,
  hPrev: FloatArray,
  mask: FloatArray | null,
  h: FloatArray,
  units: number,
): void {
  const batch = units === 0 ? 0 : h.length / units;
  for (let b = 0; b < batch; b++) {
    const live = mask === null || mask[b] !== 0;
    for (let j = 0; j < units; j++) {
      const s = b * units + j;
      h[s] = live ? Math.tanh(xw[s]! + hu[s]! + (bias === null ? 0 : bias[j]!)) : hPrev[s]!;
    }
  }
}

export function simpleRnnCellBackward(
  h: FloatArray,
  mask: FloatArray | null,
  dy: FloatArray | null,
  dhRec: FloatArray | null,
  dhCarry: FloatArray,
  dz: FloatArray,
  units: number,
): void {
  const batch = units === 0 ? 0 : h.length / units;
  for (let b = 0; b < batch; b++) {
    const live = mask === null || mask[b] !== 0;
    for (let j = 0; j < units; j++) {
      const s = b * units + j;
      const dh = (dy === null ? 0 : dy[s]!) + (dhRec === null ? 0 : dhRec[s]!) + dhCarry[s]!;
      const y = h[s]!;
      dz[s] = live ? dh * (1 - y * y) : 0;
      dhCarry[s] = live ? 0 : dh;
    }
  }
}
