import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { assert, assertClose, gradCheck, nr, randomFloat64 } from '../helpers.js';

const D = nr.distributions;

/*
 * logProb, entropy and klDivergence against torch.distributions, values and gradients w.r.t. every
 * parameter: test/fixtures/generative/distributions.json, written by distributions_torch.py beside it.
 */
interface Spec {
  family: 'Normal' | 'Bernoulli' | 'Categorical';
  params: Record<string, { shape: number[] }>;
  values: Record<string, number[]>;
}
interface Case {
  kind: 'logProb' | 'entropy' | 'kl';
  p: Spec;
  q: Spec | null;
  value: { shape: number[]; values: number[] } | null;
  weight: number[];
  shape: number[];
  out: number[];
  grads: Record<string, number[]>;
}
const { cases } = JSON.parse(readFileSync(new URL('../fixtures/generative/distributions.json', import.meta.url), 'utf8')) as {
  cases: Case[];
};

function build(spec: Spec, leaves: nr.Tensor[]): nr.distributions.Distribution {
  const [a, b] = leaves;
  if (spec.family === 'Normal') return new D.Normal(a!, b!);
  const args = 'probs' in spec.params ? { probs: a! } : { logits: a! };
  return spec.family === 'Bernoulli' ? new D.Bernoulli(args) : new D.Categorical(args);
}

for (const dtype of ['float64', 'float32'] as const) {
  test(`distributions match torch.distributions in ${dtype}: logProb, entropy, KL and their gradients (${cases.length} cases)`, () => {
    const tolerance = dtype === 'float64' ? { rtol: 1e-6, atol: 1e-9 } : { rtol: 1e-5, atol: 1e-5 };
    for (const c of cases) {
      const specs = c.q ? [c.p, c.q] : [c.p];
      const names = specs.flatMap((s, i) => Object.keys(s.params).map((k) => `${i ? 'q' : 'p'}.${k}`));
      const leaves = specs.flatMap((s) => Object.entries(s.params).map(([k, p]) => nr.tensor(s.values[k]!, p.shape, dtype)));
      const value = c.value && nr.tensor(c.value.values, c.value.shape, dtype);
      const f = (...ls: nr.Tensor[]) => {
        const p = build(c.p, ls.slice(0, Object.keys(c.p.params).length));
        if (c.kind === 'logProb') return p.logProb(value!);
        if (c.kind === 'entropy') return p.entropy();
        return D.klDivergence(p, build(c.q!, ls.slice(Object.keys(c.p.params).length)));
      };
      const label = `${c.kind} ${c.p.family}(${Object.keys(c.p.params)})${c.q ? ` || ${c.q.family}(${Object.keys(c.q.params)})` : ''} ${dtype}`;
      const out = f(...leaves);
      assert.deepEqual(out.shape, c.shape, `${label}: shape`);
      assertClose(out, c.out, { ...tolerance, message: `${label}: value` });
      const weight = nr.tensor(c.weight, c.shape, dtype);
      const grads = nr.grad((...ls) =>
        f(...ls)
          .mul(weight)
          .sum(),
      )(...leaves);
      names.forEach((name, i) =>
        assertClose(grads[i] ?? nr.zeros(leaves[i]!.shape, dtype), c.grads[name]!, { ...tolerance, message: `${label}: d/d${name}` }),
      );
    }
  });
}

test('KL(N(m1, s1) || N(m2, s2)) equals log(s2/s1) + (s1^2 + (m1 - m2)^2) / (2 s2^2) - 1/2 in float64', () => {
  const [m1, s1, m2, s2] = [
    [0.3, -1.2, 4],
    [0.5, 2, 1e-3],
    [-0.7, -1.2, 3.5],
    [1.5, 0.25, 2e-3],
  ];
  const kl = D.klDivergence(
    new D.Normal(nr.tensor(m1, [3], 'float64'), nr.tensor(s1, [3], 'float64')),
    new D.Normal(nr.tensor(m2, [3], 'float64'), nr.tensor(s2, [3], 'float64')),
  );
  const expected = m1.map((_, i) => Math.log(s2[i]! / s1[i]!) + (s1[i]! ** 2 + (m1[i]! - m2[i]!) ** 2) / (2 * s2[i]! ** 2) - 0.5);
  assertClose(kl, expected, { rtol: 1e-12, atol: 1e-14 });
});

test('gradcheck in float64: logProb, entropy, klDivergence and Normal.rsample w.r.t. every parameter', () => {
  const loc = randomFloat64([2, 3]);
  const scale = randomFloat64([3], 0.5, 2);
  const value = randomFloat64([2, 3], -2, 2);
  gradCheck((l, s) => new D.Normal(l, s).logProb(value), [loc, scale], { label: 'Normal.logProb' });
  gradCheck((s) => new D.Normal(0, s).entropy(), [scale], { label: 'Normal.entropy' });
  gradCheck(
    (l, s, l2, s2) => D.klDivergence(new D.Normal(l, s), new D.Normal(l2, s2)),
    [loc, scale, randomFloat64([3]), randomFloat64([2, 1], 0.5, 2)],
    {
      label: 'KL Normal',
    },
  );
  gradCheck(
    (l, s) => {
      nr.setSeed(4); // the same noise at every evaluation
      return new D.Normal(l, s).rsample([5]);
    },
    [loc, scale],
    { label: 'Normal.rsample' },
  );
  const probs = randomFloat64([4], 0.1, 0.9);
  const logits = randomFloat64([4], -2, 2);
  const bits = nr.tensor([1, 0, 0, 1], [4], 'float64');
  gradCheck((p) => new D.Bernoulli({ probs: p }).logProb(bits), [probs], { label: 'Bernoulli(probs).logProb' });
  gradCheck((l) => new D.Bernoulli({ logits: l }).entropy(), [logits], { label: 'Bernoulli(logits).entropy' });
  gradCheck((p, l) => D.klDivergence(new D.Bernoulli({ probs: p }), new D.Bernoulli({ logits: l })), [probs, logits], {
    label: 'KL Bernoulli',
  });
  const cp = randomFloat64([2, 5], 0.1, 1);
  const cl = randomFloat64([2, 5], -2, 2);
  gradCheck((p) => new D.Categorical({ probs: p }).logProb([4, 1]), [cp], { label: 'Categorical(probs).logProb' });
  gradCheck((l) => new D.Categorical({ logits: l }).entropy(), [cl], { label: 'Categorical(logits).entropy' });
  gradCheck((p, l) => D.klDivergence(new D.Categorical({ probs: p }), new D.Categorical({ logits: l })), [cp, cl], {
    label: 'KL Categorical',
  });
});

test('samples: shapes [...shape, ...batchShape], moments, and properties mean / variance / stddev', () => {
  nr.setSeed(21);
  const n = new D.Normal([0, 10], [1, 0.5]);
  assert.deepEqual(n.batchShape, [2]);
  const s = n.sample([4000]);
  assert.deepEqual(s.shape, [4000, 2]);
  assert.equal(s.requiresGrad, false);
  assertClose(s.mean(0), [0, 10], { atol: 0.06 });
  assertClose(s.sub(n.mean).square().mean(0), n.variance, { rtol: 0.08 });
  assert.deepEqual(n.stddev.toArray(), [1, 0.5]);
  const b = new D.Bernoulli({ logits: [-20, 0, 20] });
  const bs = b.sample([3000]);
  assertClose(bs.mean(0), [0, 0.5, 1], { atol: 0.03 });
  assertClose(b.variance, [0, 0.25, 0], { atol: 1e-6 });
  const c = new D.Categorical({
    probs: [
      [1, 0, 3],
      [0, 1, 0],
    ],
  });
  const cs = c.sample([2000, 2]);
  assert.deepEqual([cs.shape, cs.dtype], [[2000, 2, 2], 'int32']);
  const first = Array.from(cs.data()).filter((_, i) => i % 2 === 0);
  assert.ok(Math.abs(first.filter((v) => v === 2).length / first.length - 0.75) < 0.03 && !first.includes(1));
  assert.ok(
    Array.from(cs.data())
      .filter((_, i) => i % 2 === 1)
      .every((v) => v === 1),
  );
  assert.ok(Number.isNaN(c.mean.data()[0]!));
  assert.deepEqual(
    Array.from(c.entropy().data(), (v) => Number(v.toFixed(6))),
    [Number((-(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75))).toFixed(6)), 0],
  );
});

test('Normal.rsample is differentiable: d mean(x) / d loc = 1 and d mean(x) / d scale = mean(noise)', () => {
  const loc = nr.tensor([0.5], [1], 'float64');
  const scale = nr.tensor([2], [1], 'float64');
  nr.setSeed(3);
  const x = new D.Normal(loc, scale).rsample([1000]);
  const [dl, ds] = nr.grad((l, s) => {
    nr.setSeed(3);
    return new D.Normal(l, s).rsample([1000]).mean();
  })(loc, scale);
  assertClose(dl!, [1], { rtol: 1e-12 });
  assertClose(ds!, [x.sub(0.5).div(2).mean().item()], { rtol: 1e-9 });
});

test('probabilities 0 and 1 keep finite logits (clamped by the dtype epsilon, as PyTorch): logProb, entropy and KL stay finite', () => {
  const b = new D.Bernoulli({ probs: [0, 1, 0.5] });
  assertClose(b.logProb([0, 1, 1]), [0, 0, Math.log(0.5)], { atol: 1e-6 });
  assertClose(b.entropy(), [0, 0, Math.log(2)], { atol: 2e-5 });
  const c = new D.Categorical({ probs: [[0, 1, 3]] });
  assertClose(c.logProb([2]), [Math.log(0.75)], { atol: 1e-6 });
  assertClose(c.entropy(), [-(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75))], { atol: 1e-6 });
  assertClose(D.klDivergence(c, c), [0], { atol: 1e-6 });
  assertClose(D.klDivergence(b, b), [0, 0, 0], { atol: 1e-5 });
});

test('distributions reject bad parameters and unsupported pairs, naming the distribution', () => {
  const fails = (fn: () => unknown, pattern: RegExp) =>
    assert.throws(fn, (e: Error) => e instanceof nr.NeuronaError && pattern.test(e.message), String(pattern));
  fails(() => new D.Normal(0, [1, -1]), /distributions\.Normal: scale must be positive, got -1/);
  fails(() => new D.Normal([0, 0], [1, 1, 1]), /distributions\.Normal/);
  fails(() => new D.Bernoulli({ probs: 1.5 }), /distributions\.Bernoulli: probs must be in \[0, 1\], got 1\.5/);
  fails(() => new D.Bernoulli({ probs: 0.5, logits: 0 } as never), /distributions\.Bernoulli: exactly one of \{probs\} or \{logits\}/);
  fails(() => new D.Categorical({ logits: 3 }), /distributions\.Categorical: probs or logits need a last axis of classes/);
  fails(() => new D.Categorical({ probs: [0.5, 0.5] }).logProb(2), /class indices in 0\.\.1, got 2/);
  fails(() => new D.Categorical({ probs: [0.5, 0.5] }).rsample(), /Categorical\.rsample: .*Normal only/);
  fails(
    () => D.klDivergence(new D.Normal(0, 1), new D.Bernoulli({ probs: 0.5 })),
    /distributions\.klDivergence: .*got Normal and Bernoulli/,
  );
});
