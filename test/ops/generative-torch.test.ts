import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { assertClose, nr } from '../helpers.js';

/*
 * groupNorm against torch.nn.functional.group_norm (float64, NCHW inputs stored channels last) and
 * timestepEmbedding against guided-diffusion's timestep_embedding: test/fixtures/generative/groupnorm.json,
 * written by groupnorm_torch.py beside it.
 */
interface GroupNormCase {
  shape: number[];
  groups: number;
  epsilon: number;
  x: number[];
  gamma: number[];
  beta: number[];
  dy: number[];
  y: number[];
  dx: number[];
  dGamma: number[];
  dBeta: number[];
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/generative/groupnorm.json', import.meta.url), 'utf8')) as {
  groupNorm: GroupNormCase[];
  timestepEmbedding: { t: number[]; dim: number; maxPeriod: number; embedding: number[] }[];
};

for (const dtype of ['float64', 'float32'] as const) {
  test(`groupNorm matches torch's group_norm in ${dtype}: output and gradients w.r.t. input, gamma and beta`, () => {
    const tolerance = dtype === 'float64' ? { rtol: 1e-10, atol: 1e-12 } : { rtol: 1e-5, atol: 1e-5 };
    for (const c of fixture.groupNorm) {
      const channels = c.shape.at(-1)!;
      const x = nr.tensor(c.x, c.shape, dtype);
      const gamma = nr.tensor(c.gamma, [channels], dtype);
      const beta = nr.tensor(c.beta, [channels], dtype);
      const f = (a: nr.Tensor, g: nr.Tensor, b: nr.Tensor) => nr.groupNorm(a, c.groups, g, b, { epsilon: c.epsilon });
      const label = `${JSON.stringify(c.shape)} groups ${c.groups} ${dtype}`;
      assertClose(f(x, gamma, beta), c.y, { ...tolerance, message: `${label}: y` });
      const [dx, dGamma, dBeta] = nr.grad((a, g, b) =>
        f(a, g, b)
          .mul(nr.tensor(c.dy, c.shape, dtype))
          .sum(),
      )(x, gamma, beta);
      assertClose(dx!, c.dx, { ...tolerance, message: `${label}: dx` });
      assertClose(dGamma!, c.dGamma, { ...tolerance, message: `${label}: dGamma` });
      assertClose(dBeta!, c.dBeta, { ...tolerance, message: `${label}: dBeta` });
    }
  });
}

test("timestepEmbedding matches guided-diffusion's [cos | sin] embedding, odd dims padded with a zero column", () => {
  for (const c of fixture.timestepEmbedding) {
    const e = nr.timestepEmbedding(nr.tensor(c.t, [c.t.length], 'float64'), c.dim, { maxPeriod: c.maxPeriod });
    assertClose(e, c.embedding, { rtol: 1e-12, atol: 1e-12, message: `dim ${c.dim} maxPeriod ${c.maxPeriod}` });
    const e32 = nr.timestepEmbedding(c.t, c.dim, { maxPeriod: c.maxPeriod });
    // t = 999 puts angles near 1e3 into float32, whose rounding there is ~6e-5.
    assertClose(e32, c.embedding, { rtol: 1e-4, atol: 1e-4, message: `float32 dim ${c.dim}` });
  }
});
