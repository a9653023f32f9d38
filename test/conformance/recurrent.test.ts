import { includeWebgpu, nr } from '../helpers.js';
import { TestRandom, assertConforms, conformance, randomTensor, valuesOf } from './harness.js';

includeWebgpu();

/*
 * Conformance of the recurrent cell kernels (lstmCell, gruCell, simpleRnnCell and their backward
 * kernels) through nr.recurrent on every backend. Forward: against a float64 loop written here from
 * the cells' formulas, with Keras's mask rule. Backward: against the same op run in float64 (which
 * the js kernels compute, and test/gradcheck/recurrent.test.ts checks by central differences).
 * Sizes are odd and cross the native cut-off; one case drives the gates into saturation.
 */

type Cell = 'lstm' | 'gru' | 'simpleRnn';
const GATES: Record<Cell, number> = { lstm: 4, gru: 3, simpleRnn: 1 };
const STATES: Record<Cell, number> = { lstm: 2, gru: 1, simpleRnn: 1 };
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** The float64 reference: outputs [batch, time, units] then the final states, as recurrentPacked lays them out. */
function reference(
  cell: Cell,
  x: number[],
  w: number[],
  u: number[],
  b: number[],
  h0: number[][],
  mask: number[],
  dims: number[],
): number[] {
  const [batch, time, features, units] = dims as [number, number, number, number];
  const width = GATES[cell] * units;
  const rows = time + STATES[cell];
  const out = new Array<number>(batch * rows * units).fill(0);
  for (let i = 0; i < batch; i++) {
    let h = h0[0]!.slice(i * units, (i + 1) * units);
    let c = cell === 'lstm' ? h0[1]!.slice(i * units, (i + 1) * units) : [];
    let previous = new Array<number>(units).fill(0);
    for (let t = 0; t < time; t++) {
      const xw = new Array<number>(width).fill(0);
      const hu = new Array<number>(width).fill(0);
      for (let j = 0; j < width; j++) {
        for (let k = 0; k < features; k++) xw[j] += x[(i * time + t) * features + k]! * w[k * width + j]!;
        for (let k = 0; k < units; k++) hu[j] += h[k]! * u[k * width + j]!;
      }
      let nextH: number[];
      let nextC: number[] = c;
      if (cell === 'lstm') {
        const z = xw.map((v, j) => v + hu[j]! + b[j]!);
        nextC = c.map((cv, j) => sigmoid(z[units + j]!) * cv + sigmoid(z[j]!) * Math.tanh(z[2 * units + j]!));
        nextH = nextC.map((cv, j) => sigmoid(z[3 * units + j]!) * Math.tanh(cv));
      } else if (cell === 'gru') {
        nextH = h.map((hv, j) => {
          const zg = sigmoid(xw[j]! + b[j]! + hu[j]! + b[width + j]!);
          const r = sigmoid(xw[units + j]! + b[units + j]! + hu[units + j]! + b[width + units + j]!);
          const n = Math.tanh(xw[2 * units + j]! + b[2 * units + j]! + r * (hu[2 * units + j]! + b[width + 2 * units + j]!));
          return zg * hv + (1 - zg) * n;
        });
      } else {
        nextH = h.map((_, j) => Math.tanh(xw[j]! + hu[j]! + b[j]!));
      }
      if (mask[i * time + t]) {
        h = nextH;
        c = nextC;
        previous = nextH;
      }
      for (let j = 0; j < units; j++) out[(i * rows + t) * units + j] = previous[j]!;
    }
    for (let j = 0; j < units; j++) out[(i * rows + time) * units + j] = h[j]!;
    if (cell === 'lstm') for (let j = 0; j < units; j++) out[(i * rows + time + 1) * units + j] = c[j]!;
  }
  return out;
}

const CASES: [Cell, number[], number][] = [
  ['lstm', [5, 3, 4, 7], 1],
  ['lstm', [3, 4, 2, 33], 6],
  ['gru', [5, 3, 4, 7], 1],
  ['gru', [3, 4, 2, 33], 6],
  ['simpleRnn', [5, 3, 4, 7], 1],
  ['simpleRnn', [3, 4, 2, 129], 6],
];

for (const [cell, dims, scale] of CASES) {
  const [batch, time, features, units] = dims as [number, number, number, number];
  const label = `${cell} [batch ${batch}, time ${time}, features ${features}, units ${units}]${scale > 1 ? ', saturating' : ''}`;
  const make = () => {
    const rng = new TestRandom(dims.reduce((a, d) => a * 31 + d, scale));
    const width = GATES[cell] * units;
    const x = randomTensor(rng, [batch, time, features], -scale, scale);
    const w = randomTensor(rng, [features, width], -1, 1);
    const u = randomTensor(rng, [units, width], -0.5, 0.5);
    const b = randomTensor(rng, cell === 'gru' ? [2, width] : [width], -0.5, 0.5);
    const states = Array.from({ length: STATES[cell] }, () => randomTensor(rng, [batch, units], -1, 1));
    const maskValues = Array.from({ length: batch * time }, (_, k) => (k % 5 === 2 ? 0 : 1));
    const mask = nr.tensor(maskValues, [batch, time]);
    return { x, w, u, b, states, mask, maskValues };
  };

  conformance(`recurrent ${label}: forward matches its float64 reference (masked, initial states)`, () => {
    const { x, w, u, b, states, mask, maskValues } = make();
    const y = nr.recurrentPacked(cell, x, w, u, b, { mask, initialState: states });
    const expected = reference(cell, valuesOf(x), valuesOf(w), valuesOf(u), valuesOf(b), states.map(valuesOf), maskValues, dims);
    assertConforms(y, expected, (features + units) * time, label, [batch, time + STATES[cell], units]);
  });

  conformance(`recurrent ${label}: gradients match the float64 op's`, () => {
    const { x, w, u, b, states, mask } = make();
    const rng = new TestRandom(7);
    const dy = randomTensor(rng, [batch, time + STATES[cell], units], -1, 1);
    const gradients = (dtype: 'float32' | 'float64') => {
      const inputs = [x, w, u, b, ...states].map((t) => t.cast(dtype));
      const m = mask.cast(dtype);
      return nr.grad((...ts: nr.Tensor[]) =>
        nr
          .recurrentPacked(cell, ts[0]!, ts[1]!, ts[2]!, ts[3]!, { mask: m, initialState: ts.slice(4), goBackwards: true })
          .mul(dy.cast(dtype))
          .sum(),
      )(...inputs);
    };
    const got = gradients('float32');
    const expected = gradients('float64');
    got.forEach((g, k) => assertConforms(g, valuesOf(expected[k]!), (features + units) * time * 4, `${label} gradient ${k}`));
  });
}
