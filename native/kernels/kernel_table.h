// Generated from src/backend/native/table.ts by src/backend/native/cpp-header.ts (`npm run build:native`
// rewrites it); edit the table, not this file. test/backend/native-table.test.ts fails when it is stale.
#pragma once

#include <cstdint>

#include "arguments.h"

namespace neurona {

// The op-code enums, defined beside their kernels.
enum class UnaryKernel;
enum class UnaryGradKernel;
enum class BinaryKernel;
enum class ReduceKernel;
enum class Activation;
enum class PoolKernel;
enum class UpdateKernel;

// tableHash() in table.ts: the addon exports it, and the binding refuses a build of another table.
constexpr uint32_t kTableHash = 0x7bda83e9u;

// Conv2DGeometry in src/backend/kernels.ts, sent as an Int32Array of its fields.
struct ConvGeometry {
  long batch;
  long in_height;
  long in_width;
  long in_channels;
  long out_height;
  long out_width;
  long out_channels;
  long filter_height;
  long filter_width;
  long stride_height;
  long stride_width;
  long dilation_height;
  long dilation_width;
  long pad_top;
  long pad_left;

  using Element = int32_t;
  static constexpr int kFields = 15;
  static constexpr const char* kRule = "sizes must be >= 0, strides and dilations >= 1";
  // Fills the fields from the array; false when one breaks kRule.
  bool unpack(const int32_t* f) {
    batch = f[0]; in_height = f[1]; in_width = f[2]; in_channels = f[3]; out_height = f[4]; out_width = f[5];
    out_channels = f[6]; filter_height = f[7]; filter_width = f[8]; stride_height = f[9]; stride_width = f[10];
    dilation_height = f[11]; dilation_width = f[12]; pad_top = f[13]; pad_left = f[14];
    return batch >= 0 && in_height >= 0 && in_width >= 0 && in_channels >= 0 && out_height >= 0 && out_width >= 0
        && out_channels >= 0 && filter_height >= 0 && filter_width >= 0 && stride_height >= 1 && stride_width >= 1
        && dilation_height >= 1 && dilation_width >= 1;
  }
};

// UpdateParams in src/backend/kernels.ts, sent as a Float64Array of its fields.
struct UpdateParams {
  double learning_rate;
  double momentum;
  bool nesterov;
  double beta1;
  double beta2;
  double rho;
  double epsilon;
  bool amsgrad;
  bool centered;

  using Element = double;
  static constexpr int kFields = 9;
  static constexpr const char* kRule = "";
  // Fills the fields from the array; false when one breaks kRule.
  bool unpack(const double* f) {
    learning_rate = f[0]; momentum = f[1]; nesterov = f[2] != 0; beta1 = f[3]; beta2 = f[4]; rho = f[5];
    epsilon = f[6]; amsgrad = f[7] != 0; centered = f[8] != 0;
    return true;
  }
};

// One struct per function of the table: its arguments by name, read in order by read(r), which calls
// r(field, "jsName") for each until one fails.

// matmul(a, b, out, batch, m, n, k, transA, transB, aBatchStride, bBatchStride)
struct MatmulArgs {
  static constexpr const char* kName = "matmul";
  static constexpr int kCount = 11;
  F32Array a, b, out;
  long batch, m, n, k;
  bool trans_a, trans_b;
  long a_batch_stride, b_batch_stride;
  template <class Read>
  bool read(Read&& r) {
    return r(a, "a") && r(b, "b") && r(out, "out") && r(batch, "batch") && r(m, "m") && r(n, "n") && r(k, "k")
        && r(trans_a, "transA") && r(trans_b, "transB") && r(a_batch_stride, "aBatchStride")
        && r(b_batch_stride, "bBatchStride");
  }
};

// matmulBiasActivation(a, b, bias, out, m, n, k, transA, transB, activation)
struct MatmulBiasActivationArgs {
  static constexpr const char* kName = "matmulBiasActivation";
  static constexpr int kCount = 10;
  F32Array a, b;
  F32ArrayOrNull bias;
  F32Array out;
  long m, n, k;
  bool trans_a, trans_b;
  Code<Activation> activation;
  template <class Read>
  bool read(Read&& r) {
    return r(a, "a") && r(b, "b") && r(bias, "bias") && r(out, "out") && r(m, "m") && r(n, "n") && r(k, "k")
        && r(trans_a, "transA") && r(trans_b, "transB") && r(activation, "activation");
  }
};

// unary(op, x, out, param)
struct UnaryArgs {
  static constexpr const char* kName = "unary";
  static constexpr int kCount = 4;
  Code<UnaryKernel> op;
  F32Array x, out;
  float param;
  template <class Read>
  bool read(Read&& r) {
    return r(op, "op") && r(x, "x") && r(out, "out") && r(param, "param");
  }
};

// unaryGrad(op, x, y, dy, out, param)
struct UnaryGradArgs {
  static constexpr const char* kName = "unaryGrad";
  static constexpr int kCount = 6;
  Code<UnaryGradKernel> op;
  F32Array x, y, dy, out;
  float param;
  template <class Read>
  bool read(Read&& r) {
    return r(op, "op") && r(x, "x") && r(y, "y") && r(dy, "dy") && r(out, "out") && r(param, "param");
  }
};

// binary(op, a, b, period, repeat, aIsSmall, out)
struct BinaryArgs {
  static constexpr const char* kName = "binary";
  static constexpr int kCount = 7;
  Code<BinaryKernel> op;
  F32Array a, b;
  long period, repeat;
  bool a_is_small;
  F32Array out;
  template <class Read>
  bool read(Read&& r) {
    return r(op, "op") && r(a, "a") && r(b, "b") && r(period, "period") && r(repeat, "repeat")
        && r(a_is_small, "aIsSmall") && r(out, "out");
  }
};

// reduce(op, x, outer, length, inner, out)
struct ReduceArgs {
  static constexpr const char* kName = "reduce";
  static constexpr int kCount = 6;
  Code<ReduceKernel> op;
  F32Array x;
  long outer, length, inner;
  F32Array out;
  template <class Read>
  bool read(Read&& r) {
    return r(op, "op") && r(x, "x") && r(outer, "outer") && r(length, "length") && r(inner, "inner") && r(out, "out");
  }
};

// softmax(x, outer, length, out, log)
struct SoftmaxArgs {
  static constexpr const char* kName = "softmax";
  static constexpr int kCount = 5;
  F32Array x;
  long outer, length;
  F32Array out;
  bool log;
  template <class Read>
  bool read(Read&& r) {
    return r(x, "x") && r(outer, "outer") && r(length, "length") && r(out, "out") && r(log, "log");
  }
};

// attentionSoftmax(scores, mask, out, batch, rows, cols, scale, causal, maskBatch, maskRows, maskRepeat, uniformEmptyRows)
struct AttentionSoftmaxArgs {
  static constexpr const char* kName = "attentionSoftmax";
  static constexpr int kCount = 12;
  F32Array scores;
  F32ArrayOrNull mask;
  F32Array out;
  long batch, rows, cols;
  float scale;
  bool causal;
  long mask_batch, mask_rows, mask_repeat;
  bool uniform_empty_rows;
  template <class Read>
  bool read(Read&& r) {
    return r(scores, "scores") && r(mask, "mask") && r(out, "out") && r(batch, "batch") && r(rows, "rows")
        && r(cols, "cols") && r(scale, "scale") && r(causal, "causal") && r(mask_batch, "maskBatch")
        && r(mask_rows, "maskRows") && r(mask_repeat, "maskRepeat") && r(uniform_empty_rows, "uniformEmptyRows");
  }
};

// attentionSoftmaxBackward(probs, dProbs, dScores, rows, length, scale)
struct AttentionSoftmaxBackwardArgs {
  static constexpr const char* kName = "attentionSoftmaxBackward";
  static constexpr int kCount = 6;
  F32Array probs, d_probs, d_scores;
  long rows, length;
  float scale;
  template <class Read>
  bool read(Read&& r) {
    return r(probs, "probs") && r(d_probs, "dProbs") && r(d_scores, "dScores") && r(rows, "rows")
        && r(length, "length") && r(scale, "scale");
  }
};

// gather(x, outer, length, inner, indices, out)
struct GatherArgs {
  static constexpr const char* kName = "gather";
  static constexpr int kCount = 6;
  F32Array x;
  long outer, length, inner;
  I32Array indices;
  F32Array out;
  template <class Read>
  bool read(Read&& r) {
    return r(x, "x") && r(outer, "outer") && r(length, "length") && r(inner, "inner") && r(indices, "indices")
        && r(out, "out");
  }
};

// scatterAdd(dy, outer, length, inner, indices, out)
struct ScatterAddArgs {
  static constexpr const char* kName = "scatterAdd";
  static constexpr int kCount = 6;
  F32Array dy;
  long outer, length, inner;
  I32Array indices;
  F32Array out;
  template <class Read>
  bool read(Read&& r) {
    return r(dy, "dy") && r(outer, "outer") && r(length, "length") && r(inner, "inner") && r(indices, "indices")
        && r(out, "out");
  }
};

// gelu(x, out, approximate)
struct GeluArgs {
  static constexpr const char* kName = "gelu";
  static constexpr int kCount = 3;
  F32Array x, out;
  bool approximate;
  template <class Read>
  bool read(Read&& r) {
    return r(x, "x") && r(out, "out") && r(approximate, "approximate");
  }
  // The float32 arrays, the output last.
  template <class Visit>
  bool arrays(Visit&& v) const {
    return v(x) && v(out);
  }
  const F32Array& output() const { return out; }
};

// geluBackward(x, dy, dx, approximate)
struct GeluBackwardArgs {
  static constexpr const char* kName = "geluBackward";
  static constexpr int kCount = 4;
  F32Array x, dy, dx;
  bool approximate;
  template <class Read>
  bool read(Read&& r) {
    return r(x, "x") && r(dy, "dy") && r(dx, "dx") && r(approximate, "approximate");
  }
  // The float32 arrays, the output last.
  template <class Visit>
  bool arrays(Visit&& v) const {
    return v(x) && v(dy) && v(dx);
  }
  const F32Array& output() const { return dx; }
};

// conv2d(x, filter, out, geometry)
struct Conv2dArgs {
  static constexpr const char* kName = "conv2d";
  static constexpr int kCount = 4;
  F32Array x, filter, out;
  ConvGeometry geometry;
  template <class Read>
  bool read(Read&& r) {
    return r(x, "x") && r(filter, "filter") && r(out, "out") && r(geometry, "geometry");
  }
};

// conv2dBiasActivation(x, filter, bias, out, geometry, activation)
struct Conv2dBiasActivationArgs {
  static constexpr const char* kName = "conv2dBiasActivation";
  static constexpr int kCount = 6;
  F32Array x, filter;
  F32ArrayOrNull bias;
  F32Array out;
  ConvGeometry geometry;
  Code<Activation> activation;
  template <class Read>
  bool read(Read&& r) {
    return r(x, "x") && r(filter, "filter") && r(bias, "bias") && r(out, "out") && r(geometry, "geometry")
        && r(activation, "activation");
  }
};

// conv2dBackpropInput(dy, filter, dx, geometry)
struct Conv2dBackpropInputArgs {
  static constexpr const char* kName = "conv2dBackpropInput";
  static constexpr int kCount = 4;
  F32Array dy, filter, dx;
  ConvGeometry geometry;
  template <class Read>
  bool read(Read&& r) {
    return r(dy, "dy") && r(filter, "filter") && r(dx, "dx") && r(geometry, "geometry");
  }
};

// conv2dBackpropFilter(x, dy, dFilter, geometry)
struct Conv2dBackpropFilterArgs {
  static constexpr const char* kName = "conv2dBackpropFilter";
  static constexpr int kCount = 4;
  F32Array x, dy, d_filter;
  ConvGeometry geometry;
  template <class Read>
  bool read(Read&& r) {
    return r(x, "x") && r(dy, "dy") && r(d_filter, "dFilter") && r(geometry, "geometry");
  }
};

// depthwiseConv2d(x, filter, out, geometry)
struct DepthwiseConv2dArgs {
  static constexpr const char* kName = "depthwiseConv2d";
  static constexpr int kCount = 4;
  F32Array x, filter, out;
  ConvGeometry geometry;
  template <class Read>
  bool read(Read&& r) {
    return r(x, "x") && r(filter, "filter") && r(out, "out") && r(geometry, "geometry");
  }
};

// depthwiseConv2dBackpropInput(dy, filter, dx, geometry)
struct DepthwiseConv2dBackpropInputArgs {
  static constexpr const char* kName = "depthwiseConv2dBackpropInput";
  static constexpr int kCount = 4;
  F32Array dy, filter, dx;
  ConvGeometry geometry;
  template <class Read>
  bool read(Read&& r) {
    return r(dy, "dy") && r(filter, "filter") && r(dx, "dx") && r(geometry, "geometry");
  }
};

// depthwiseConv2dBackpropFilter(x, dy, dFilter, geometry)
struct DepthwiseConv2dBackpropFilterArgs {
  static constexpr const char* kName = "depthwiseConv2dBackpropFilter";
  static constexpr int kCount = 4;
  F32Array x, dy, d_filter;
  ConvGeometry geometry;
  template <class Read>
  bool read(Read&& r) {
    return r(x, "x") && r(dy, "dy") && r(d_filter, "dFilter") && r(geometry, "geometry");
  }
};

// pool2d(op, x, out, geometry)
struct Pool2dArgs {
  static constexpr const char* kName = "pool2d";
  static constexpr int kCount = 4;
  Code<PoolKernel> op;
  F32Array x, out;
  ConvGeometry geometry;
  template <class Read>
  bool read(Read&& r) {
    return r(op, "op") && r(x, "x") && r(out, "out") && r(geometry, "geometry");
  }
};

// pool2dBackward(op, x, dy, dx, geometry)
struct Pool2dBackwardArgs {
  static constexpr const char* kName = "pool2dBackward";
  static constexpr int kCount = 5;
  Code<PoolKernel> op;
  F32Array x, dy, dx;
  ConvGeometry geometry;
  template <class Read>
  bool read(Read&& r) {
    return r(op, "op") && r(x, "x") && r(dy, "dy") && r(dx, "dx") && r(geometry, "geometry");
  }
};

// batchNormTraining(x, outer, length, inner, gamma, beta, epsilon, out, mean, invStd)
struct BatchNormTrainingArgs {
  static constexpr const char* kName = "batchNormTraining";
  static constexpr int kCount = 10;
  F32Array x;
  long outer, length, inner;
  F32Array gamma, beta;
  double epsilon;
  F32Array out, mean, inv_std;
  template <class Read>
  bool read(Read&& r) {
    return r(x, "x") && r(outer, "outer") && r(length, "length") && r(inner, "inner") && r(gamma, "gamma")
        && r(beta, "beta") && r(epsilon, "epsilon") && r(out, "out") && r(mean, "mean") && r(inv_std, "invStd");
  }
};

// batchNormBackward(x, dy, outer, length, inner, gamma, mean, invStd, dx, dGamma, dBeta)
struct BatchNormBackwardArgs {
  static constexpr const char* kName = "batchNormBackward";
  static constexpr int kCount = 11;
  F32Array x, dy;
  long outer, length, inner;
  F32Array gamma, mean, inv_std, dx, d_gamma, d_beta;
  template <class Read>
  bool read(Read&& r) {
    return r(x, "x") && r(dy, "dy") && r(outer, "outer") && r(length, "length") && r(inner, "inner")
        && r(gamma, "gamma") && r(mean, "mean") && r(inv_std, "invStd") && r(dx, "dx") && r(d_gamma, "dGamma")
        && r(d_beta, "dBeta");
  }
};

// layerNorm(x, rows, width, gamma, beta, epsilon, rms, out, mean, invStd)
struct LayerNormArgs {
  static constexpr const char* kName = "layerNorm";
  static constexpr int kCount = 10;
  F32Array x;
  long rows, width;
  F32ArrayOrNull gamma, beta;
  double epsilon;
  bool rms;
  F32Array out, mean, inv_std;
  template <class Read>
  bool read(Read&& r) {
    return r(x, "x") && r(rows, "rows") && r(width, "width") && r(gamma, "gamma") && r(beta, "beta")
        && r(epsilon, "epsilon") && r(rms, "rms") && r(out, "out") && r(mean, "mean") && r(inv_std, "invStd");
  }
};

// layerNormBackward(x, dy, rows, width, gamma, mean, invStd, rms, dx, dGamma, dBeta)
struct LayerNormBackwardArgs {
  static constexpr const char* kName = "layerNormBackward";
  static constexpr int kCount = 11;
  F32Array x, dy;
  long rows, width;
  F32ArrayOrNull gamma;
  F32Array mean, inv_std;
  bool rms;
  F32Array dx;
  F32ArrayOrNull d_gamma, d_beta;
  template <class Read>
  bool read(Read&& r) {
    return r(x, "x") && r(dy, "dy") && r(rows, "rows") && r(width, "width") && r(gamma, "gamma") && r(mean, "mean")
        && r(inv_std, "invStd") && r(rms, "rms") && r(dx, "dx") && r(d_gamma, "dGamma") && r(d_beta, "dBeta");
  }
};

// groupNorm(x, batch, spatial, channels, groups, gamma, beta, epsilon, out, mean, invStd)
struct GroupNormArgs {
  static constexpr const char* kName = "groupNorm";
  static constexpr int kCount = 11;
  F32Array x;
  long batch, spatial, channels, groups;
  F32ArrayOrNull gamma, beta;
  double epsilon;
  F32Array out, mean, inv_std;
  template <class Read>
  bool read(Read&& r) {
    return r(x, "x") && r(batch, "batch") && r(spatial, "spatial") && r(channels, "channels") && r(groups, "groups")
        && r(gamma, "gamma") && r(beta, "beta") && r(epsilon, "epsilon") && r(out, "out") && r(mean, "mean")
        && r(inv_std, "invStd");
  }
};

// groupNormBackward(x, dy, batch, spatial, channels, groups, gamma, mean, invStd, dx, dGamma, dBeta)
struct GroupNormBackwardArgs {
  static constexpr const char* kName = "groupNormBackward";
  static constexpr int kCount = 12;
  F32Array x, dy;
  long batch, spatial, channels, groups;
  F32ArrayOrNull gamma;
  F32Array mean, inv_std, dx;
  F32ArrayOrNull d_gamma, d_beta;
  template <class Read>
  bool read(Read&& r) {
    return r(x, "x") && r(dy, "dy") && r(batch, "batch") && r(spatial, "spatial") && r(channels, "channels")
        && r(groups, "groups") && r(gamma, "gamma") && r(mean, "mean") && r(inv_std, "invStd") && r(dx, "dx")
        && r(d_gamma, "dGamma") && r(d_beta, "dBeta");
  }
};

// applyUpdate(rule, param, grad, slots, hyperParameters)
struct ApplyUpdateArgs {
  static constexpr const char* kName = "applyUpdate";
  static constexpr int kCount = 5;
  Code<UpdateKernel> rule;
  F32Array param, grad;
  ArrayList slots;
  UpdateParams hyper_parameters;
  template <class Read>
  bool read(Read&& r) {
    return r(rule, "rule") && r(param, "param") && r(grad, "grad") && r(slots, "slots")
        && r(hyper_parameters, "hyperParameters");
  }
};

// lstmCell(xw, hu, bias, cPrev, hPrev, mask, gates, c, h, batch, units)
struct LstmCellArgs {
  static constexpr const char* kName = "lstmCell";
  static constexpr int kCount = 11;
  F32Array xw, hu;
  F32ArrayOrNull bias;
  F32Array c_prev, h_prev;
  F32ArrayOrNull mask;
  F32Array gates, c, h;
  long batch, units;
  template <class Read>
  bool read(Read&& r) {
    return r(xw, "xw") && r(hu, "hu") && r(bias, "bias") && r(c_prev, "cPrev") && r(h_prev, "hPrev")
        && r(mask, "mask") && r(gates, "gates") && r(c, "c") && r(h, "h") && r(batch, "batch") && r(units, "units");
  }
};

// lstmCellBackward(gates, c, cPrev, mask, dy, dhRec, dhCarry, dc, dz, batch, units)
struct LstmCellBackwardArgs {
  static constexpr const char* kName = "lstmCellBackward";
  static constexpr int kCount = 11;
  F32Array gates, c, c_prev;
  F32ArrayOrNull mask, dy, dh_rec;
  F32Array dh_carry, dc, dz;
  long batch, units;
  template <class Read>
  bool read(Read&& r) {
    return r(gates, "gates") && r(c, "c") && r(c_prev, "cPrev") && r(mask, "mask") && r(dy, "dy")
        && r(dh_rec, "dhRec") && r(dh_carry, "dhCarry") && r(dc, "dc") && r(dz, "dz") && r(batch, "batch")
        && r(units, "units");
  }
};

// gruCell(xw, hu, biasIn, biasRec, hPrev, mask, gates, h, batch, units)
struct GruCellArgs {
  static constexpr const char* kName = "gruCell";
  static constexpr int kCount = 10;
  F32Array xw, hu;
  F32ArrayOrNull bias_in, bias_rec;
  F32Array h_prev;
  F32ArrayOrNull mask;
  F32Array gates, h;
  long batch, units;
  template <class Read>
  bool read(Read&& r) {
    return r(xw, "xw") && r(hu, "hu") && r(bias_in, "biasIn") && r(bias_rec, "biasRec") && r(h_prev, "hPrev")
        && r(mask, "mask") && r(gates, "gates") && r(h, "h") && r(batch, "batch") && r(units, "units");
  }
};

// gruCellBackward(gates, hPrev, mask, dy, dhRec, dhCarry, dzx, dzh, batch, units)
struct GruCellBackwardArgs {
  static constexpr const char* kName = "gruCellBackward";
  static constexpr int kCount = 10;
  F32Array gates, h_prev;
  F32ArrayOrNull mask, dy, dh_rec;
  F32Array dh_carry, dzx, dzh;
  long batch, units;
  template <class Read>
  bool read(Read&& r) {
    return r(gates, "gates") && r(h_prev, "hPrev") && r(mask, "mask") && r(dy, "dy") && r(dh_rec, "dhRec")
        && r(dh_carry, "dhCarry") && r(dzx, "dzx") && r(dzh, "dzh") && r(batch, "batch") && r(units, "units");
  }
};

// simpleRnnCell(xw, hu, bias, hPrev, mask, h, batch, units)
struct SimpleRnnCellArgs {
  static constexpr const char* kName = "simpleRnnCell";
  static constexpr int kCount = 8;
  F32Array xw, hu;
  F32ArrayOrNull bias;
  F32Array h_prev;
  F32ArrayOrNull mask;
  F32Array h;
  long batch, units;
  template <class Read>
  bool read(Read&& r) {
    return r(xw, "xw") && r(hu, "hu") && r(bias, "bias") && r(h_prev, "hPrev") && r(mask, "mask") && r(h, "h")
        && r(batch, "batch") && r(units, "units");
  }
};

// simpleRnnCellBackward(h, mask, dy, dhRec, dhCarry, dz, batch, units)
struct SimpleRnnCellBackwardArgs {
  static constexpr const char* kName = "simpleRnnCellBackward";
  static constexpr int kCount = 8;
  F32Array h;
  F32ArrayOrNull mask, dy, dh_rec;
  F32Array dh_carry, dz;
  long batch, units;
  template <class Read>
  bool read(Read&& r) {
    return r(h, "h") && r(mask, "mask") && r(dy, "dy") && r(dh_rec, "dhRec") && r(dh_carry, "dhCarry") && r(dz, "dz")
        && r(batch, "batch") && r(units, "units");
  }
};

// setNumThreads(n)
struct SetNumThreadsArgs {
  static constexpr const char* kName = "setNumThreads";
  static constexpr int kCount = 1;
  long n;
  template <class Read>
  bool read(Read&& r) {
    return r(n, "n");
  }
};

// info()
struct InfoArgs {
  static constexpr const char* kName = "info";
  static constexpr int kCount = 0;
  template <class Read>
  bool read(Read&& r) {
    (void)r;
    return true;
  }
};

// Every function the addon exports: X(argument struct).
#define NEURONA_NATIVE_FUNCTIONS(X) \
  X(MatmulArgs) \
  X(MatmulBiasActivationArgs) \
  X(UnaryArgs) \
  X(UnaryGradArgs) \
  X(BinaryArgs) \
  X(ReduceArgs) \
  X(SoftmaxArgs) \
  X(AttentionSoftmaxArgs) \
  X(AttentionSoftmaxBackwardArgs) \
  X(GatherArgs) \
  X(ScatterAddArgs) \
  X(GeluArgs) \
  X(GeluBackwardArgs) \
  X(Conv2dArgs) \
  X(Conv2dBiasActivationArgs) \
  X(Conv2dBackpropInputArgs) \
  X(Conv2dBackpropFilterArgs) \
  X(DepthwiseConv2dArgs) \
  X(DepthwiseConv2dBackpropInputArgs) \
  X(DepthwiseConv2dBackpropFilterArgs) \
  X(Pool2dArgs) \
  X(Pool2dBackwardArgs) \
  X(BatchNormTrainingArgs) \
  X(BatchNormBackwardArgs) \
  X(LayerNormArgs) \
  X(LayerNormBackwardArgs) \
  X(GroupNormArgs) \
  X(GroupNormBackwardArgs) \
  X(ApplyUpdateArgs) \
  X(LstmCellArgs) \
  X(LstmCellBackwardArgs) \
  X(GruCellArgs) \
  X(GruCellBackwardArgs) \
  X(SimpleRnnCellArgs) \
  X(SimpleRnnCellBackwardArgs) \
  X(SetNumThreadsArgs) \
  X(InfoArgs)

// The elementwise kernels: X(IsaKernels field, argument struct); each ISA defines field(args, n, threads).
#define NEURONA_ELEMENTWISE_KERNELS(X) \
  X(gelu, GeluArgs) \
  X(gelu_backward, GeluBackwardArgs)

// The op-code lists the addon exports: X(property, enum, names in code order).
#define NEURONA_CODE_LISTS(X) \
  X("unaryOps", UnaryKernel, kUnaryNames) \
  X("unaryGradOps", UnaryGradKernel, kUnaryGradNames) \
  X("binaryOps", BinaryKernel, kBinaryNames) \
  X("reduceOps", ReduceKernel, kReduceNames) \
  X("activationOps", Activation, kActivationNames) \
  X("poolOps", PoolKernel, kPoolNames) \
  X("updateRules", UpdateKernel, kUpdateNames)

}  // namespace neurona
