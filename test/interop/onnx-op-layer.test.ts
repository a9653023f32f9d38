import { test } from 'node:test';
import { assert, nr } from '../helpers.js';
import { runLayerTest } from '../nn/layer-test-helper.js';

const { OnnxOp } = nr.interop;

test('OnnxOp passes the shared layer test (Gemm, Conv, LSTM nodes)', () => {
  runLayerTest(
    () => new OnnxOp({ opType: 'Gemm', attributes: { transB: 1 }, slots: [{ x: 0 }, { w: 0 }, { w: 1 }], weightShapes: [[3, 4], [3]] }),
    { inputShape: [[2, 4]], expectedOutputShape: [2, 3] },
  );
  runLayerTest(
    () =>
      new OnnxOp({
        opType: 'Conv',
        attributes: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] },
        slots: [{ x: 0 }, { w: 0 }, { w: 1 }],
        weightShapes: [[2, 3, 3, 3], [2]],
      }),
    { inputShape: [[2, 3, 5, 5]], expectedOutputShape: [2, 2, 3, 3] },
  );
  runLayerTest(
    () =>
      new OnnxOp({
        opType: 'LSTM',
        attributes: { hidden_size: 2 },
        slots: [{ x: 0 }, { w: 0 }, { w: 1 }, { w: 2 }],
        weightShapes: [
          [1, 8, 3],
          [1, 8, 2],
          [1, 16],
        ],
      }),
    { inputShape: [[4, 2, 3]], expectedOutputShape: [4, 1, 2, 2] },
  );
});

test('OnnxOp misuse: an operator it does not run, or no inputs, is a ConfigError', () => {
  assert.throws(
    () => new OnnxOp({ opType: 'NonMaxSuppression', slots: [{ x: 0 }] }),
    (e: Error) =>
      e instanceof nr.ConfigError &&
      /OnnxOp "\w+": opType must be an ONNX operator it runs, got "NonMaxSuppression"; one of Add, /.test(e.message),
  );
  assert.throws(() => new OnnxOp({ opType: 'Relu', slots: [] }), /slots must list the inputs of the node, got \[\]/);
});
