// The recurrent cell kernels (one step of LSTM, GRU and SimpleRNN for a batch, forward and backward),
// compiled once per ISA (included by isa_table.h after elementwise_impl.h, whose exp/sigmoid/tanh and
// parallel_chunks they use). They follow src/backend/js/recurrent.ts: the same formulas, the same
// mask rule (a row whose mask is 0 keeps its state and passes its gradient around the step).
//
// Rows (batch entries) are independent, so threads split rows; each element is written by one thread
// with the same arithmetic at any thread count, so results do not depend on it.
#ifndef NEURONA_ISA
#error "define NEURONA_ISA and include elementwise_impl.h before recurrent_impl.h"
#endif

namespace neurona {
namespace NEURONA_ISA {

inline int recurrent_threads(long batch, long width, int threads) { return threads_for(batch * width * 8, threads); }

void lstm_cell(const float* xw, const float* hu, const float* bias, const float* c_prev, const float* h_prev,
               const float* mask, float* gates, float* c, float* h, long batch, long units, int threads) {
  parallel_chunks(batch, 1, recurrent_threads(batch, 4 * units, threads), [&](long begin, long end) {
    for (long b = begin; b < end; b++) {
      const long row = b * 4 * units;
      const float* __restrict x = xw + row;
      const float* __restrict r = hu + row;
      float* __restrict g = gates + row;
      for (long j = 0; j < 4 * units; j++) {
        const float z = x[j] + r[j] + (bias ? bias[j] : 0.0f);
        const bool candidate = j >= 2 * units && j < 3 * units;
        g[j] = candidate ? tanh_f32(z) : sigmoid_f32(z);
      }
      const bool live = !mask || mask[b] != 0.0f;
      const long s = b * units;
      for (long j = 0; j < units; j++) {
        const float cell = g[units + j] * c_prev[s + j] + g[j] * g[2 * units + j];
        c[s + j] = live ? cell : c_prev[s + j];
        h[s + j] = live ? g[3 * units + j] * tanh_f32(cell) : h_prev[s + j];
      }
    }
  });
}

void lstm_cell_backward(const float* gates, const float* c, const float* c_prev, const float* mask, const float* dy,
                        const float* dh_rec, float* dh_carry, float* dc, float* dz, long batch, long units, int threads) {
  parallel_chunks(batch, 1, recurrent_threads(batch, 4 * units, threads), [&](long begin, long end) {
    for (long b = begin; b < end; b++) {
      const long row = b * 4 * units;
      const long s = b * units;
      const float* __restrict g = gates + row;
      float* __restrict d = dz + row;
      const bool live = !mask || mask[b] != 0.0f;
      for (long j = 0; j < units; j++) {
        const float dh = (dy ? dy[s + j] : 0.0f) + (dh_rec ? dh_rec[s + j] : 0.0f) + dh_carry[s + j];
        const float i = g[j], f = g[units + j], cand = g[2 * units + j], o = g[3 * units + j];
        const float tc = tanh_f32(c[s + j]);
        const float total = dc[s + j] + dh * o * (1.0f - tc * tc);
        d[j] = live ? total * cand * i * (1.0f - i) : 0.0f;
        d[units + j] = live ? total * c_prev[s + j] * f * (1.0f - f) : 0.0f;
        d[2 * units + j] = live ? total * i * (1.0f - cand * cand) : 0.0f;
        d[3 * units + j] = live ? dh * tc * o * (1.0f - o) : 0.0f;
        dc[s + j] = live ? total * f : dc[s + j];
        dh_carry[s + j] = live ? 0.0f : dh;
      }
    }
  });
}

void gru_cell(const float* xw, const float* hu, const float* bias_in, const float* bias_rec, const float* h_prev,
              const float* mask, float* gates, float* h, long batch, long units, int threads) {
  parallel_chunks(batch, 1, recurrent_threads(batch, 3 * units, threads), [&](long begin, long end) {
    for (long b = begin; b < end; b++) {
      const float* __restrict x = xw + b * 3 * units;
      const float* __restrict r = hu + b * 3 * units;
      float* __restrict g = gates + b * 4 * units;
      const bool live = !mask || mask[b] != 0.0f;
      const long s = b * units;
      for (long j = 0; j < units; j++) {
        const float xz = x[j] + (bias_in ? bias_in[j] : 0.0f);
        const float xr = x[units + j] + (bias_in ? bias_in[units + j] : 0.0f);
        const float xh = x[2 * units + j] + (bias_in ? bias_in[2 * units + j] : 0.0f);
        const float uz = r[j] + (bias_rec ? bias_rec[j] : 0.0f);
        const float ur = r[units + j] + (bias_rec ? bias_rec[units + j] : 0.0f);
        const float uh = r[2 * units + j] + (bias_rec ? bias_rec[2 * units + j] : 0.0f);
        const float z = sigmoid_f32(xz + uz);
        const float reset = sigmoid_f32(xr + ur);
        const float n = tanh_f32(xh + reset * uh);
        g[j] = z;
        g[units + j] = reset;
        g[2 * units + j] = n;
        g[3 * units + j] = uh;
        h[s + j] = live ? z * h_prev[s + j] + (1.0f - z) * n : h_prev[s + j];
      }
    }
  });
}

void gru_cell_backward(const float* gates, const float* h_prev, const float* mask, const float* dy, const float* dh_rec,
                       float* dh_carry, float* dzx, float* dzh, long batch, long units, int threads) {
  parallel_chunks(batch, 1, recurrent_threads(batch, 3 * units, threads), [&](long begin, long end) {
    for (long b = begin; b < end; b++) {
      const float* __restrict g = gates + b * 4 * units;
      float* __restrict dx = dzx + b * 3 * units;
      float* __restrict dr = dzh + b * 3 * units;
      const bool live = !mask || mask[b] != 0.0f;
      const long s = b * units;
      for (long j = 0; j < units; j++) {
        const float dh = (dy ? dy[s + j] : 0.0f) + (dh_rec ? dh_rec[s + j] : 0.0f) + dh_carry[s + j];
        const float z = g[j], reset = g[units + j], n = g[2 * units + j], uh = g[3 * units + j];
        const float dn = live ? dh * (1.0f - z) * (1.0f - n * n) : 0.0f;
        const float dzz = live ? dh * (h_prev[s + j] - n) * z * (1.0f - z) : 0.0f;
        const float dzr = dn * uh * reset * (1.0f - reset);
        dx[j] = dzz;
        dx[units + j] = dzr;
        dx[2 * units + j] = dn;
        dr[j] = dzz;
        dr[units + j] = dzr;
        dr[2 * units + j] = dn * reset;
        dh_carry[s + j] = live ? dh * z : dh;
      }
    }
  });
}

void simple_rnn_cell(const float* xw, const float* hu, const float* bias, const float* h_prev, const float* mask, float* h,
                     long batch, long units, int threads) {
  parallel_chunks(batch, 1, recurrent_threads(batch, units, threads), [&](long begin, long end) {
    for (long b = begin; b < end; b++) {
      const bool live = !mask || mask[b] != 0.0f;
      const long s = b * units;
      for (long j = 0; j < units; j++) {
        const float v = tanh_f32(xw[s + j] + hu[s + j] + (bias ? bias[j] : 0.0f));
        h[s + j] = live ? v : h_prev[s + j];
      }
    }
  });
}

void simple_rnn_cell_backward(const float* h, const float* mask, const float* dy, const float* dh_rec, float* dh_carry,
                              float* dz, long batch, long units, int threads) {
  parallel_chunks(batch, 1, recurrent_threads(batch, units, threads), [&](long begin, long end) {
    for (long b = begin; b < end; b++) {
      const bool live = !mask || mask[b] != 0.0f;
      const long s = b * units;
      for (long j = 0; j < units; j++) {
        const float dh = (dy ? dy[s + j] : 0.0f) + (dh_rec ? dh_rec[s + j] : 0.0f) + dh_carry[s + j];
        const float y = h[s + j];
        dz[s + j] = live ? dh * (1.0f - y * y) : 0.0f;
        dh_carry[s + j] = live ? 0.0f : dh;
      }
    }
  });
}

}  // namespace NEURONA_ISA
}  // namespace neurona
