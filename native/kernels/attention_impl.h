// Attention's masked softmax of scaled scores and its backward, one row at a time, as the js kernels
// in src/backend/js/attention.ts (AttentionArgs in kernels.ts says what each argument means). Rows
// are split between threads whole, so every row's sums run in one fixed order on any thread count.
#ifndef NEURONA_ISA
#error "define NEURONA_ISA before including attention_impl.h"
#endif

// exp_f32, sum_contiguous, parallel_chunks: elementwise_impl.h, which isa_table.h includes first.

namespace neurona {
namespace NEURONA_ISA {

void attention_softmax(const AttentionSoftmaxArgs& args, int threads) {
  const long rows = args.rows, cols = args.cols;
  const float scale = args.scale;
  const float* mask = args.mask.data;
  parallel_chunks(args.batch * rows, 1, threads_for(args.batch * rows * cols * 4, threads), [&](long begin, long end) {
    for (long r = begin; r < end; r++) {
      const long b = r / rows, i = r % rows;
      const float* scores = args.scores.data + r * cols;
      float* out = args.out.data + r * cols;
      const long mask_matrix = mask ? (b / args.mask_repeat) % args.mask_batch : 0;
      const float* keep = mask ? mask + mask_matrix * args.mask_rows * cols + (args.mask_rows == 1 ? 0 : i * cols) : nullptr;
      // Keys past `last` are dropped by the causal rule; dropped keys hold -inf until the exponential.
      const long last = args.causal && i + 1 < cols ? i + 1 : cols;
      float max = -INFINITY;
      for (long j = 0; j < cols; j++) {
        const bool kept = j < last && (!keep || keep[j] != 0.0f);
        const float v = kept ? scores[j] * scale : -INFINITY;
        out[j] = v;
        max = v > max ? v : max;
      }
      if (max == -INFINITY) {
        const float fill = args.uniform_empty_rows ? 1.0f / static_cast<float>(cols) : 0.0f;
        for (long j = 0; j < cols; j++) out[j] = fill;
        continue;
      }
      for (long j = 0; j < cols; j++) {
        const float v = out[j];
        out[j] = v == -INFINITY ? 0.0f : exp_f32(v - max);
      }
      const float inverse = static_cast<float>(1.0 / sum_contiguous(out, cols));
      for (long j = 0; j < cols; j++) out[j] *= inverse;
    }
  });
}

void attention_softmax_backward(const AttentionSoftmaxBackwardArgs& args, int threads) {
  const long length = args.length;
  const float scale = args.scale;
  parallel_chunks(args.rows, 1, threads_for(args.rows * length * 2, threads), [&](long begin, long end) {
    for (long r = begin; r < end; r++) {
      const float* p = args.probs.data + r * length;
      const float* dp = args.d_probs.data + r * length;
      float* ds = args.d_scores.data + r * length;
      double lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      long j = 0;
      for (; j + 8 <= length; j += 8) {
        for (int u = 0; u < 8; u++) lanes[u] += static_cast<double>(p[j + u]) * dp[j + u];
      }
      for (; j < length; j++) lanes[j & 7] += static_cast<double>(p[j]) * dp[j];
      const double sum = ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]));
      const float dot = static_cast<float>(sum);
      for (long k = 0; k < length; k++) ds[k] = scale * p[k] * (dp[k] - dot);
    }
  });
}

}  // namespace NEURONA_ISA
}  // namespace neurona
