// The glue of the kernels over flat arrays and [outer, length, inner] views: matmul, elementwise,
// reduction, softmax, gather, batch normalization and the optimizer updates. Each run() checks the
// lengths its shape arguments imply, then calls the kernel (see addon.h).
#include <string>

#include "addon.h"
#include "kernels/layout.h"
#include "kernels/thread_pool.h"

namespace neurona {
namespace glue {

napi_value run(napi_env env, const MatmulArgs& args) {
  const MatmulShape s{args.batch, args.m, args.n, args.k, args.trans_a, args.trans_b, args.a_batch_stride,
                      args.b_batch_stride};
  if (s.batch == 0 || s.m == 0 || s.n == 0) return nullptr;
  const long last = s.batch - 1;
  // With k = 0 the product is all zeros and reads neither operand. The sums saturate, so strides or sizes
  // too large for a long fail the length check instead of wrapping around to a small number.
  const long a_needed = s.k > 0 ? extent_sum(extent({last, s.a_batch_stride}), extent({s.m, s.k})) : 0;
  const long b_needed = s.k > 0 ? extent_sum(extent({last, s.b_batch_stride}), extent({s.k, s.n})) : 0;
  return call_kernel(env, args.kName, {{args.out, extent({s.batch, s.m, s.n})}, {args.a, a_needed}, {args.b, b_needed}},
                     [&] {
                       active_kernels().matmul(args.a.data, args.b.data, args.out.data, s, nullptr, num_threads());
                       return true;
                     });
}

// One product (batch 1) finished in the GEMM's store epilogue; bias is n floats or null.
napi_value run(napi_env env, const MatmulBiasActivationArgs& args) {
  const MatmulShape s{1, args.m, args.n, args.k, args.trans_a, args.trans_b, 0, 0};
  if (s.m == 0 || s.n == 0) return nullptr;
  const MatmulEpilogue epilogue{args.bias.data, static_cast<Activation>(args.activation.value)};
  return call_kernel(env, args.kName,
                     {{args.out, extent({s.m, s.n})}, {args.bias, args.bias.data ? s.n : 0},
                      {args.a, s.k > 0 ? extent({s.m, s.k}) : 0}, {args.b, s.k > 0 ? extent({s.k, s.n}) : 0}},
                     [&] {
                       active_kernels().matmul(args.a.data, args.b.data, args.out.data, s, &epilogue, num_threads());
                       return true;
                     });
}

napi_value run(napi_env env, const UnaryArgs& args) {
  const long n = args.out.length;
  return call_kernel(env, args.kName, {{args.x, n}}, [&] {
    active_kernels().unary(args.op.value, args.x.data, args.out.data, n, args.param, num_threads());
    return true;
  });
}

napi_value run(napi_env env, const UnaryGradArgs& args) {
  const long n = args.out.length;
  return call_kernel(env, args.kName, {{args.x, n}, {args.y, n}, {args.dy, n}}, [&] {
    active_kernels().unary_grad(args.op.value, args.x.data, args.y.data, args.dy.data, args.out.data, n, args.param,
                                num_threads());
    return true;
  });
}

// The operand named by a_is_small follows the broadcast pattern (see BroadcastPattern), the other
// has out's length.
napi_value run(napi_env env, const BinaryArgs& args) {
  const long n = args.out.length;
  const BroadcastPattern pattern{args.period, args.repeat};
  if (n == 0) return nullptr;
  if (pattern.period < 1 || pattern.repeat < 1 || extent({pattern.period, pattern.repeat}) > n ||
      n % (pattern.period * pattern.repeat) != 0) {
    throw_range_error(env, args.kName, "period " + std::to_string(pattern.period) + " x repeat " +
                                           std::to_string(pattern.repeat) + " does not tile an output of " +
                                           std::to_string(n));
    return nullptr;
  }
  const F32Array& small = args.a_is_small ? args.a : args.b;
  const F32Array& full = args.a_is_small ? args.b : args.a;
  return call_kernel(env, args.kName, {{small, pattern.period}, {full, n}}, [&] {
    active_kernels().binary(args.op.value, args.a.data, args.b.data, pattern, args.a_is_small, args.out.data, n,
                            num_threads());
    return true;
  });
}

napi_value run(napi_env env, const ReduceArgs& args) {
  if (args.length < 1) {
    throw_range_error(env, args.kName, "length must be at least 1 (the js kernel handles empty axes)");
    return nullptr;
  }
  return call_kernel(env, args.kName,
                     {{args.x, extent({args.outer, args.length, args.inner})}, {args.out, extent({args.outer, args.inner})}},
                     [&] {
                       active_kernels().reduce(args.op.value, args.x.data, args.outer, args.length, args.inner,
                                               args.out.data, num_threads());
                       return true;
                     });
}

// Over contiguous rows.
napi_value run(napi_env env, const SoftmaxArgs& args) {
  const long size = extent({args.outer, args.length});
  return call_kernel(env, args.kName, {{args.x, size}, {args.out, size}}, [&] {
    active_kernels().softmax(args.x.data, args.outer, args.length, args.out.data, args.log, num_threads());
    return true;
  });
}

// Score matrices [batch, rows, cols]; the mask holds mask_batch matrices of mask_rows x cols.
napi_value run(napi_env env, const AttentionSoftmaxArgs& args) {
  const bool bad_rows = args.mask_rows != 1 && args.mask_rows != args.rows;
  if (args.mask.data && (args.mask_batch < 1 || args.mask_repeat < 1 || bad_rows)) {
    throw_range_error(env, args.kName, "the mask needs mask_batch and mask_repeat >= 1 and mask_rows of 1 or rows");
    return nullptr;
  }
  const long size = extent({args.batch, args.rows, args.cols});
  const long mask_size = args.mask.data ? extent({args.mask_batch, args.mask_rows, args.cols}) : 0;
  return call_kernel(env, args.kName, {{args.scores, size}, {args.out, size}, {args.mask, mask_size}}, [&] {
    active_kernels().attention_softmax(args, num_threads());
    return true;
  });
}

napi_value run(napi_env env, const AttentionSoftmaxBackwardArgs& args) {
  const long size = extent({args.rows, args.length});
  return call_kernel(env, args.kName, {{args.probs, size}, {args.d_probs, size}, {args.d_scores, size}}, [&] {
    active_kernels().attention_softmax_backward(args, num_threads());
    return true;
  });
}

// Rows of x picked by indices (see gather_rows).
napi_value run(napi_env env, const GatherArgs& args) {
  const long count = args.indices.length;
  for (long j = 0; j < count; j++) {
    if (args.indices.data[j] < 0 || args.indices.data[j] >= args.length) {
      throw_range_error(env, args.kName, "index " + std::to_string(args.indices.data[j]) + " at position " +
                                             std::to_string(j) + " is outside [0, " + std::to_string(args.length) + ")");
      return nullptr;
    }
  }
  return call_kernel(env, args.kName,
                     {{args.x, extent({args.outer, args.length, args.inner})},
                      {args.out, extent({args.outer, count, args.inner})}},
                     [&] {
                       gather_rows(args.x.data, args.outer, args.length, args.inner, args.indices.data, count,
                                   args.out.data);
                       return true;
                     });
}

// Rows of dy added into out at indices (see scatter_add_rows); an index outside [0, length) would write past out.
napi_value run(napi_env env, const ScatterAddArgs& args) {
  const long count = args.indices.length;
  for (long j = 0; j < count; j++) {
    if (args.indices.data[j] < 0 || args.indices.data[j] >= args.length) {
      throw_range_error(env, args.kName, "index " + std::to_string(args.indices.data[j]) + " at position " +
                                             std::to_string(j) + " is outside [0, " + std::to_string(args.length) + ")");
      return nullptr;
    }
  }
  return call_kernel(env, args.kName,
                     {{args.dy, extent({args.outer, count, args.inner})},
                      {args.out, extent({args.outer, args.length, args.inner})}},
                     [&] {
                       scatter_add_rows(args.dy.data, args.outer, args.length, args.inner, args.indices.data, count,
                                        args.out.data, num_threads());
                       return true;
                     });
}

// CSR times dense (see sparse_matmul): row_ptr must be non-decreasing from 0 and every column index inside
// dense, or the kernel would read past its arrays.
napi_value run(napi_env env, const SparseMatmulArgs& args) {
  const long rows = args.row_ptr.length - 1;
  if (rows < 0 || args.row_ptr.data[0] != 0) {
    throw_range_error(env, args.kName, "rowPtr must hold rows + 1 offsets starting at 0");
    return nullptr;
  }
  for (long i = 0; i < rows; i++) {
    if (args.row_ptr.data[i + 1] < args.row_ptr.data[i]) {
      throw_range_error(env, args.kName, "rowPtr decreases at row " + std::to_string(i));
      return nullptr;
    }
  }
  const long nnz = args.row_ptr.data[rows];
  if (nnz > args.col_idx.length) {
    throw_range_error(env, args.kName, "rowPtr ends at " + std::to_string(nnz) + " but colIdx has " +
                                           std::to_string(args.col_idx.length) + " entries");
    return nullptr;
  }
  const long m = args.k > 0 ? args.dense.length / args.k : 0;
  for (long p = 0; p < nnz; p++) {
    if (args.col_idx.data[p] < 0 || (args.k > 0 && args.col_idx.data[p] >= m)) {
      throw_range_error(env, args.kName, "column " + std::to_string(args.col_idx.data[p]) + " at position " +
                                             std::to_string(p) + " is outside [0, " + std::to_string(m) + ")");
      return nullptr;
    }
  }
  return call_kernel(env, args.kName, {{args.values, nnz}, {args.out, extent({rows, args.k})}}, [&] {
    sparse_matmul(args.row_ptr.data, rows, args.col_idx.data, args.values.data, args.dense.data, args.k, args.out.data,
                  num_threads());
    return true;
  });
}

// The table's elementwise kernels: every float32 array holds at least the output's length.
template <class Args>
napi_value run_elementwise(napi_env env, const Args& args, void (*kernel)(const Args&, long, int)) {
  const long n = args.output().length;
  if (args.arrays([&](const F32Array& array) { return check_lengths(env, args.kName, {{array, n}}); })) {
    kernel(args, n, num_threads());
  }
  return nullptr;
}

#define NEURONA_ELEMENTWISE_RUN(field, Args) \
  napi_value run(napi_env env, const Args& args) { return run_elementwise(env, args, active_kernels().field); }
NEURONA_ELEMENTWISE_KERNELS(NEURONA_ELEMENTWISE_RUN)
#undef NEURONA_ELEMENTWISE_RUN

napi_value run(napi_env env, const BatchNormTrainingArgs& args) {
  const long size = extent({args.outer, args.length, args.inner});
  const long channels = args.length;
  return call_kernel(env, args.kName,
                     {{args.x, size}, {args.out, size}, {args.gamma, channels}, {args.beta, channels},
                      {args.mean, channels}, {args.inv_std, channels}},
                     [&] {
                       return active_kernels().batch_norm_training(
                           args.x.data, args.outer, args.length, args.inner, args.gamma.data, args.beta.data,
                           args.epsilon, args.out.data, args.mean.data, args.inv_std.data, num_threads());
                     });
}

napi_value run(napi_env env, const BatchNormBackwardArgs& args) {
  const long size = extent({args.outer, args.length, args.inner});
  const long channels = args.length;
  return call_kernel(env, args.kName,
                     {{args.x, size}, {args.dy, size}, {args.dx, size}, {args.gamma, channels}, {args.mean, channels},
                      {args.inv_std, channels}, {args.d_gamma, channels}, {args.d_beta, channels}},
                     [&] {
                       return active_kernels().batch_norm_backward(
                           args.x.data, args.dy.data, args.outer, args.length, args.inner, args.gamma.data,
                           args.mean.data, args.inv_std.data, args.dx.data, args.d_gamma.data, args.d_beta.data,
                           num_threads());
                     });
}

// Rows of `width` values; gamma, beta, dGamma and dBeta are width floats or null.
napi_value run(napi_env env, const LayerNormArgs& args) {
  const long size = extent({args.rows, args.width});
  const long width = args.width;
  return call_kernel(env, args.kName,
                     {{args.x, size}, {args.out, size}, {args.gamma, args.gamma.data ? width : 0},
                      {args.beta, args.beta.data ? width : 0}, {args.mean, args.rows}, {args.inv_std, args.rows}},
                     [&] {
                       active_kernels().layer_norm(args.x.data, args.rows, width, args.gamma.data, args.beta.data,
                                                   args.epsilon, args.rms, args.out.data, args.mean.data,
                                                   args.inv_std.data, num_threads());
                       return true;
                     });
}

napi_value run(napi_env env, const LayerNormBackwardArgs& args) {
  const long size = extent({args.rows, args.width});
  const long width = args.width;
  return call_kernel(env, args.kName,
                     {{args.x, size}, {args.dy, size}, {args.dx, size}, {args.gamma, args.gamma.data ? width : 0},
                      {args.mean, args.rows}, {args.inv_std, args.rows}, {args.d_gamma, args.d_gamma.data ? width : 0},
                      {args.d_beta, args.d_beta.data ? width : 0}},
                     [&] {
                       return active_kernels().layer_norm_backward(
                           args.x.data, args.dy.data, args.rows, width, args.gamma.data, args.mean.data,
                           args.inv_std.data, args.rms, args.dx.data, args.d_gamma.data, args.d_beta.data,
                           num_threads());
                     });
}

// batch * spatial * channels values, channels a multiple of groups (the op checks it); statistics per
// (image, group); gamma, beta, dGamma and dBeta are channels floats or null.
napi_value run(napi_env env, const GroupNormArgs& args) {
  const long size = extent({args.batch, args.spatial, args.channels}), units = extent({args.batch, args.groups});
  const long channels = args.channels;
  if (args.groups == 0 || channels % args.groups != 0) {
    throw_range_error(env, args.kName, "channels must be a multiple of groups");
    return nullptr;
  }
  return call_kernel(env, args.kName,
                     {{args.x, size}, {args.out, size}, {args.gamma, args.gamma.data ? channels : 0},
                      {args.beta, args.beta.data ? channels : 0}, {args.mean, units}, {args.inv_std, units}},
                     [&] {
                       return active_kernels().group_norm(args.x.data, args.batch, args.spatial, channels, args.groups,
                                                          args.gamma.data, args.beta.data, args.epsilon, args.out.data,
                                                          args.mean.data, args.inv_std.data, num_threads());
                     });
}

napi_value run(napi_env env, const GroupNormBackwardArgs& args) {
  const long size = extent({args.batch, args.spatial, args.channels}), units = extent({args.batch, args.groups});
  const long channels = args.channels;
  if (args.groups == 0 || channels % args.groups != 0) {
    throw_range_error(env, args.kName, "channels must be a multiple of groups");
    return nullptr;
  }
  return call_kernel(env, args.kName,
                     {{args.x, size}, {args.dy, size}, {args.dx, size}, {args.gamma, args.gamma.data ? channels : 0},
                      {args.mean, units}, {args.inv_std, units}, {args.d_gamma, args.d_gamma.data ? channels : 0},
                      {args.d_beta, args.d_beta.data ? channels : 0}},
                     [&] {
                       return active_kernels().group_norm_backward(
                           args.x.data, args.dy.data, args.batch, args.spatial, channels, args.groups,
                           args.gamma.data, args.mean.data, args.inv_std.data, args.dx.data, args.d_gamma.data,
                           args.d_beta.data, num_threads());
                     });
}

// The recurrent steps: per-row arrays hold batch * width floats, biases one row, masks one float per row.
napi_value run(napi_env env, const LstmCellArgs& a) {
  const long state = extent({a.batch, a.units}), wide = extent({a.batch, 4, a.units});
  return call_kernel(env, a.kName,
                     {{a.xw, wide}, {a.hu, wide}, {a.gates, wide}, {a.bias, a.bias.data ? extent({4, a.units}) : 0},
                      {a.c_prev, state}, {a.h_prev, state}, {a.c, state}, {a.h, state}, {a.mask, a.mask.data ? a.batch : 0}},
                     [&] {
                       active_kernels().lstm_cell(a.xw.data, a.hu.data, a.bias.data, a.c_prev.data, a.h_prev.data,
                                                  a.mask.data, a.gates.data, a.c.data, a.h.data, a.batch, a.units,
                                                  num_threads());
                       return true;
                     });
}

napi_value run(napi_env env, const LstmCellBackwardArgs& a) {
  const long state = extent({a.batch, a.units}), wide = extent({a.batch, 4, a.units});
  return call_kernel(env, a.kName,
                     {{a.gates, wide}, {a.dz, wide}, {a.c, state}, {a.c_prev, state}, {a.dh_carry, state}, {a.dc, state},
                      {a.dy, a.dy.data ? state : 0}, {a.dh_rec, a.dh_rec.data ? state : 0},
                      {a.mask, a.mask.data ? a.batch : 0}},
                     [&] {
                       active_kernels().lstm_cell_backward(a.gates.data, a.c.data, a.c_prev.data, a.mask.data, a.dy.data,
                                                           a.dh_rec.data, a.dh_carry.data, a.dc.data, a.dz.data, a.batch,
                                                           a.units, num_threads());
                       return true;
                     });
}

napi_value run(napi_env env, const GruCellArgs& a) {
  const long state = extent({a.batch, a.units}), wide = extent({a.batch, 3, a.units});
  return call_kernel(env, a.kName,
                     {{a.xw, wide}, {a.hu, wide}, {a.gates, extent({a.batch, 4, a.units})}, {a.h_prev, state}, {a.h, state},
                      {a.bias_in, a.bias_in.data ? extent({3, a.units}) : 0},
                      {a.bias_rec, a.bias_rec.data ? extent({3, a.units}) : 0}, {a.mask, a.mask.data ? a.batch : 0}},
                     [&] {
                       active_kernels().gru_cell(a.xw.data, a.hu.data, a.bias_in.data, a.bias_rec.data, a.h_prev.data,
                                                 a.mask.data, a.gates.data, a.h.data, a.batch, a.units, num_threads());
                       return true;
                     });
}

napi_value run(napi_env env, const GruCellBackwardArgs& a) {
  const long state = extent({a.batch, a.units}), wide = extent({a.batch, 3, a.units});
  return call_kernel(env, a.kName,
                     {{a.gates, extent({a.batch, 4, a.units})}, {a.dzx, wide}, {a.dzh, wide}, {a.h_prev, state},
                      {a.dh_carry, state}, {a.dy, a.dy.data ? state : 0}, {a.dh_rec, a.dh_rec.data ? state : 0},
                      {a.mask, a.mask.data ? a.batch : 0}},
                     [&] {
                       active_kernels().gru_cell_backward(a.gates.data, a.h_prev.data, a.mask.data, a.dy.data,
                                                          a.dh_rec.data, a.dh_carry.data, a.dzx.data, a.dzh.data, a.batch,
                                                          a.units, num_threads());
                       return true;
                     });
}

napi_value run(napi_env env, const SimpleRnnCellArgs& a) {
  const long state = extent({a.batch, a.units});
  return call_kernel(env, a.kName,
                     {{a.xw, state}, {a.hu, state}, {a.h_prev, state}, {a.h, state}, {a.bias, a.bias.data ? a.units : 0},
                      {a.mask, a.mask.data ? a.batch : 0}},
                     [&] {
                       active_kernels().simple_rnn_cell(a.xw.data, a.hu.data, a.bias.data, a.h_prev.data, a.mask.data,
                                                        a.h.data, a.batch, a.units, num_threads());
                       return true;
                     });
}

napi_value run(napi_env env, const SimpleRnnCellBackwardArgs& a) {
  const long state = extent({a.batch, a.units});
  return call_kernel(env, a.kName,
                     {{a.h, state}, {a.dz, state}, {a.dh_carry, state}, {a.dy, a.dy.data ? state : 0},
                      {a.dh_rec, a.dh_rec.data ? state : 0}, {a.mask, a.mask.data ? a.batch : 0}},
                     [&] {
                       active_kernels().simple_rnn_cell_backward(a.h.data, a.mask.data, a.dy.data, a.dh_rec.data,
                                                                 a.dh_carry.data, a.dz.data, a.batch, a.units,
                                                                 num_threads());
                       return true;
                     });
}

// slots: the update_slot_count(rule, hyper-parameters) Float32Arrays the rule reads, each as long as param.
napi_value run(napi_env env, const ApplyUpdateArgs& args) {
  const char* name = args.kName;
  const UpdateParams& p = args.hyper_parameters;
  const int needed = update_slot_count(static_cast<UpdateKernel>(args.rule.value), p);
  uint32_t slot_count = 0;
  if (napi_get_array_length(env, args.slots.value, &slot_count) != napi_ok || slot_count < static_cast<uint32_t>(needed)) {
    throw_type_error(env, name, "slots must be an array of at least " + std::to_string(needed) +
                                    " Float32Arrays for rule " + kUpdateNames[args.rule.value]);
    return nullptr;
  }
  static const char* const kSlotNames[] = {"slots[0]", "slots[1]", "slots[2]"};
  F32Array slots[3] = {};
  float* slot_data[3] = {nullptr, nullptr, nullptr};
  for (int i = 0; i < needed; i++) {
    napi_value element;
    NAPI_CALL(env, napi_get_element(env, args.slots.value, static_cast<uint32_t>(i), &element));
    if (!read_arg(env, element, name, kSlotNames[i], &slots[i])) return nullptr;
    slot_data[i] = slots[i].data;
  }
  const long n = args.param.length;
  return call_kernel(env, name, {{args.grad, n}, {slots[0], needed > 0 ? n : 0}, {slots[1], needed > 1 ? n : 0},
                                 {slots[2], needed > 2 ? n : 0}},
                     [&] {
                       active_kernels().apply_update(args.rule.value, args.param.data, args.grad.data, slot_data, n, p,
                                                     num_threads());
                       return true;
                     });
}

}  // namespace glue
}  // namespace neurona
