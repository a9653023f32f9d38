/*
 * groupNorm forward and forward + backward against PyTorch's group_norm, the U-Net's shape:
 *   node --import tsx bench/group-norm.ts [--threads 2] [--runs 15]
 * runs bench/group-norm.py (Debian's /usr/bin/python3, torch 1.13, the same thread count) between its
 * own rounds, A B A B, and prints the median and the range of each. Forward + backward differentiates
 * the sum of the output in both libraries (a gradient of ones), so that it measures the op, not a loss.
 */
import { execFileSync } from 'node:child_process';
import * as nr from '../src/index.js';

const arg = (name: string, fallback: number) => Number(process.argv[process.argv.indexOf(`--${name}`) + 1] ?? fallback) || fallback;
const threads = arg('threads', 2);
const runs = arg('runs', 15);
const shape = [64, 28, 28, 64];
const groups = 8;
nr.setNumThreads(threads);
nr.setSeed(1);
const x = nr.randn(shape);
const gamma = nr.randn([64]);
const beta = nr.randn([64]);
const forward = () => nr.groupNorm(x, groups, gamma, beta);
const both = () => nr.grad((a, g, b) => nr.groupNorm(a, groups, g, b).sum())(x, gamma, beta);

function time(fn: () => unknown): number[] {
  fn();
  return Array.from({ length: runs }, () => {
    const t0 = performance.now();
    fn();
    return performance.now() - t0;
  });
}
const summary = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b);
  return `median ${s[s.length >> 1]!.toFixed(1)} ms (${s[0]!.toFixed(1)} to ${s.at(-1)!.toFixed(1)})`;
};
const results: Record<string, number[]> = {};
const add = (key: string, ms: number[]) => {
  results[key] = (results[key] ?? []).concat(ms);
};
for (let round = 0; round < 2; round++) {
  add(`neurona ${nr.getBackend()} forward`, time(forward));
  add(`neurona ${nr.getBackend()} forward + backward`, time(both));
  const torch = JSON.parse(execFileSync('/usr/bin/python3', ['bench/group-norm.py', String(threads), String(runs)], { encoding: 'utf8' }));
  add('torch forward', torch.forward);
  add('torch forward + backward', torch.both);
}
console.log(`groupNorm ${JSON.stringify(shape)} (NHWC; torch NCHW) groups ${groups}, ${threads} threads, ${2 * runs} runs each`);
for (const [key, ms] of Object.entries(results)) console.log(`${key.padEnd(36)} ${summary(ms)}`);
