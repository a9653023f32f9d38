// The kernels that exist once per instruction set. Each ISA's translation unit (isa_avx512.cc,
// isa_avx2.cc, isa_portable.cc) is compiled with its own target flags and fills one IsaKernels table
// by field name (isa_table.h); dispatch.cc picks the best table the CPU supports, once, at load.
#pragma once

#include "elementwise.h"
#include "kernel_table.h"
#include "optimizer.h"
#include "window.h"

namespace neurona {

// out[b] = op(A[b]) @ op(B[b]), row-major; A is [m, k] ([k, m] when trans_a), B is [k, n] ([n, k]
// when trans_b), out is [batch, m, n]. A batch stride of 0 broadcasts one matrix over the batch.
struct MatmulShape {
  long batch;
  long m;
  long n;
  long k;
  bool trans_a;
  bool trans_b;
  long a_batch_stride;
  long b_batch_stride;
};

// What matmul does to each element of a product before storing it for good: add bias[j] (the
// product's column j; none when bias is null), then apply the activation. The rounding is that of
// separate kernels: the sum over k rounded to float32, then the float32 addition, then the activation
// computed as the unary kernel computes it.
enum class Activation { kLinear, kRelu, kSigmoid, kTanh, kCount };
constexpr const char* kActivationNames[] = {"linear", "relu", "sigmoid", "tanh"};
static_assert(sizeof(kActivationNames) / sizeof(kActivationNames[0]) == static_cast<int>(Activation::kCount),
              "activation names");

struct MatmulEpilogue {
  const float* bias;
  Activation activation;
};

struct IsaKernels {
  const char* name;
  // Writes every element of out; runs on up to `threads` threads of the pool. epilogue: null for the
  // plain product.
  void (*matmul)(const float* a, const float* b, float* out, const MatmulShape& shape, const MatmulEpilogue* epilogue,
                 int threads);
  // op: a UnaryKernel code; out[i] = f(x[i]) for i < n (x may be out).
  void (*unary)(int op, const float* x, float* out, long n, float param, int threads);
  // op: a UnaryGradKernel code; out[i] = dy[i] * f'(x[i]), from x or the forward output y.
  void (*unary_grad)(int op, const float* x, const float* y, const float* dy, float* out, long n, float param,
                     int threads);
  // op: a BinaryKernel code. One operand has n elements; the other (`a` when a_is_small) follows
  // `pattern`.
  void (*binary)(int op, const float* a, const float* b, BroadcastPattern pattern, bool a_is_small, float* out,
                 long n, int threads);
  // op: a ReduceKernel code; x is [outer, length, inner] with length >= 1, out [outer, inner].
  void (*reduce)(int op, const float* x, long outer, long length, long inner, float* out, int threads);
  // Over contiguous rows: x and out are [outer, length].
  void (*softmax)(const float* x, long outer, long length, float* out, bool log, int threads);
  // Attention's masked softmax of scaled scores and its backward (attention_impl.h; AttentionArgs in kernels.ts).
  void (*attention_softmax)(const AttentionSoftmaxArgs& args, int threads);
  void (*attention_softmax_backward)(const AttentionSoftmaxBackwardArgs& args, int threads);

  // The image, normalization and optimizer kernels of kernels.ts (conv_impl.h, depthwise_impl.h,
  // pool_norm_impl.h, optimizer_impl.h); each writes all of its outputs. Those returning bool return false, having
  // written nothing, only when their scratch memory cannot be allocated.
  // epilogue: null, or the bias (per output channel) and activation to finish each output with, rounded
  // as the separate binary add and unary kernels round (conv2dBiasActivation).
  bool (*conv2d)(const float* x, const float* filter, float* out, const ConvGeometry& g, const MatmulEpilogue* epilogue,
                 int threads);
  bool (*conv2d_backprop_input)(const float* dy, const float* filter, float* dx, const ConvGeometry& g, int threads);
  bool (*conv2d_backprop_filter)(const float* x, const float* dy, float* dfilter, const ConvGeometry& g, int threads);
  void (*depthwise_conv2d)(const float* x, const float* filter, float* out, const ConvGeometry& g, int threads);
  void (*depthwise_conv2d_backprop_input)(const float* dy, const float* filter, float* dx, const ConvGeometry& g,
                                          int threads);
  bool (*depthwise_conv2d_backprop_filter)(const float* x, const float* dy, float* dfilter, const ConvGeometry& g,
                                           int threads);
  // op: a PoolKernel code.
  void (*pool2d)(int op, const float* x, float* out, const ConvGeometry& g, int threads);
  void (*pool2d_backward)(int op, const float* x, const float* dy, float* dx, const ConvGeometry& g, int threads);
  // x [outer, length, inner]; statistics per index along length.
  bool (*batch_norm_training)(const float* x, long outer, long length, long inner, const float* gamma,
                              const float* beta, double epsilon, float* out, float* mean, float* inv_std, int threads);
  bool (*batch_norm_backward)(const float* x, const float* dy, long outer, long length, long inner, const float* gamma,
                              const float* mean, const float* inv_std, float* dx, float* dgamma, float* dbeta,
                              int threads);
  // Rows of width values, statistics per row; gamma, beta, dgamma and dbeta may be null.
  void (*layer_norm)(const float* x, long rows, long width, const float* gamma, const float* beta, double epsilon,
                     bool rms, float* out, float* mean, float* inv_std, int threads);
  bool (*layer_norm_backward)(const float* x, const float* dy, long rows, long width, const float* gamma,
                              const float* mean, const float* inv_std, bool rms, float* dx, float* dgamma,
                              float* dbeta, int threads);
  // batch images of spatial positions and channels (channels last), statistics per (image, group).
  bool (*group_norm)(const float* x, long batch, long spatial, long channels, long groups, const float* gamma,
                     const float* beta, double epsilon, float* out, float* mean, float* inv_std, int threads);
  bool (*group_norm_backward)(const float* x, const float* dy, long batch, long spatial, long channels, long groups,
                              const float* gamma, const float* mean, const float* inv_std, float* dx, float* dgamma,
                              float* dbeta, int threads);
  // rule: an UpdateKernel code; slots holds update_slot_count(rule, p) arrays of n floats.
  void (*apply_update)(int rule, float* param, const float* grad, float* const* slots, long n, const UpdateParams& p,
                       int threads);

  // One step of a recurrent cell for `batch` rows (recurrent_impl.h, after src/backend/js/recurrent.ts);
  // bias and mask arrays may be null, dh_carry and dc are read and rewritten in place.
  void (*lstm_cell)(const float* xw, const float* hu, const float* bias, const float* c_prev, const float* h_prev,
                    const float* mask, float* gates, float* c, float* h, long batch, long units, int threads);
  void (*lstm_cell_backward)(const float* gates, const float* c, const float* c_prev, const float* mask, const float* dy,
                             const float* dh_rec, float* dh_carry, float* dc, float* dz, long batch, long units, int threads);
  void (*gru_cell)(const float* xw, const float* hu, const float* bias_in, const float* bias_rec, const float* h_prev,
                   const float* mask, float* gates, float* h, long batch, long units, int threads);
  void (*gru_cell_backward)(const float* gates, const float* h_prev, const float* mask, const float* dy,
                            const float* dh_rec, float* dh_carry, float* dzx, float* dzh, long batch, long units,
                            int threads);
  void (*simple_rnn_cell)(const float* xw, const float* hu, const float* bias, const float* h_prev, const float* mask,
                          float* h, long batch, long units, int threads);
  void (*simple_rnn_cell_backward)(const float* h, const float* mask, const float* dy, const float* dh_rec,
                                   float* dh_carry, float* dz, long batch, long units, int threads);

  // The table's elementwise kernels (kernel_table.h): each writes args.output()'s first n elements,
  // every array of args holding at least n.
#define NEURONA_ISA_FIELD(field, Args) void (*field)(const Args& args, long n, int threads);
  NEURONA_ELEMENTWISE_KERNELS(NEURONA_ISA_FIELD)
#undef NEURONA_ISA_FIELD
};

// The fields of IsaKernels written above by hand, which isa_table.h fills by name (the elementwise
// ones follow NEURONA_ELEMENTWISE_KERNELS). A field missing here fails the static_assert below.
#define NEURONA_ISA_KERNELS(X)                                                                           \
  X(matmul) X(unary) X(unary_grad) X(binary) X(reduce) X(softmax) X(conv2d) X(conv2d_backprop_input)     \
  X(attention_softmax) X(attention_softmax_backward)                                                     \
  X(conv2d_backprop_filter) X(depthwise_conv2d) X(depthwise_conv2d_backprop_input)                       \
  X(depthwise_conv2d_backprop_filter) X(pool2d) X(pool2d_backward) X(batch_norm_training)                \
  X(batch_norm_backward) X(layer_norm) X(layer_norm_backward) X(apply_update) X(lstm_cell) X(lstm_cell_backward)   \
  X(group_norm) X(group_norm_backward)                                                                   \
  X(gru_cell) X(gru_cell_backward) X(simple_rnn_cell) X(simple_rnn_cell_backward)

#define NEURONA_COUNT_FIELD(...) +1
static_assert(sizeof(IsaKernels) == sizeof(const char*) + (0 NEURONA_ISA_KERNELS(NEURONA_COUNT_FIELD)
                                                               NEURONA_ELEMENTWISE_KERNELS(NEURONA_COUNT_FIELD)) *
                                                              sizeof(void (*)()),
              "every kernel of IsaKernels is listed in NEURONA_ISA_KERNELS or NEURONA_ELEMENTWISE_KERNELS");
#undef NEURONA_COUNT_FIELD

const IsaKernels* portable_kernels();
#if defined(__wasm__)
const IsaKernels* wasm_kernels();
#endif
#if defined(__x86_64__) || defined(_M_X64)
const IsaKernels* avx2_kernels();
const IsaKernels* avx512_kernels();
#endif

// The table for this CPU, chosen on first use. NEURONA_ISA=portable|avx2|avx512 (lower only: a
// request above what the CPU supports is ignored) lets tests and benchmarks compare the paths.
const IsaKernels& active_kernels();

}  // namespace neurona
