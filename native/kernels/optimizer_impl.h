// The fused optimizer updates (applyUpdate), compiled once per ISA (included by isa_table.h after
// elementwise_impl.h). Each rule is one pass over the variable, in place, with the exact terms and
// order of src/backend/js/optimizer.ts: the arithmetic is float64 (as JavaScript numbers), a slot
// is stored to float32 and read back before the next term uses it, so the results equal the js
// kernel's bit for bit. For that, the compiler must not fuse a multiply and an add into one FMA
// (rounded once instead of twice) here, which -ffp-contract=off below forbids.
#ifndef NEURONA_ISA
#error "define NEURONA_ISA and include elementwise_impl.h before optimizer_impl.h"
#endif

#include <cmath>

#include "thread_pool.h"
#include "optimizer.h"

#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#endif

namespace neurona {
namespace NEURONA_ISA {

inline void sgd_range(float* __restrict w, const float* __restrict g, float* __restrict m, const UpdateParams& p,
                      long begin, long end) {
  const double lr = p.learning_rate;
  if (p.momentum == 0) {
    for (long i = begin; i < end; i++) w[i] = static_cast<float>(w[i] - g[i] * lr);
    return;
  }
  const double mu = p.momentum;
  if (p.nesterov) {
    for (long i = begin; i < end; i++) {
      m[i] = static_cast<float>(m[i] * mu - g[i] * lr);
      w[i] = static_cast<float>(w[i] + (m[i] * mu - g[i] * lr));
    }
  } else {
    for (long i = begin; i < end; i++) {
      m[i] = static_cast<float>(m[i] * mu - g[i] * lr);
      w[i] = static_cast<float>(w[i] + static_cast<double>(m[i]));
    }
  }
}

inline void adam_range(float* __restrict w, const float* __restrict g, float* __restrict m, float* __restrict v,
                       float* __restrict v_hat, const UpdateParams& p, long begin, long end) {
  const double alpha = p.learning_rate;
  const double a1 = 1 - p.beta1;
  const double a2 = 1 - p.beta2;
  const double epsilon = p.epsilon;
  for (long i = begin; i < end; i++) {
    const double gi = g[i];
    m[i] = static_cast<float>(m[i] + (gi - m[i]) * a1);
    v[i] = static_cast<float>(v[i] + (gi * gi - v[i]) * a2);
    float vi = v[i];
    if (v_hat) {
      // Keeps the running maximum; a NaN second moment replaces it, as in js.
      v_hat[i] = vi > v_hat[i] || vi != vi ? vi : v_hat[i];
      vi = v_hat[i];
    }
    w[i] = static_cast<float>(w[i] - (m[i] * alpha) / (std::sqrt(static_cast<double>(vi)) + epsilon));
  }
}

inline void rmsprop_range(float* __restrict w, const float* __restrict g, float* __restrict v, float* __restrict mom,
                          float* __restrict avg, const UpdateParams& p, long begin, long end) {
  const double lr = p.learning_rate;
  const double rho = p.rho;
  const double epsilon = p.epsilon;
  const double momentum = p.momentum;
  for (long i = begin; i < end; i++) {
    const double gi = g[i];
    v[i] = static_cast<float>(v[i] * rho + gi * gi * (1 - rho));
    double denominator;
    if (avg) {
      avg[i] = static_cast<float>(avg[i] * rho + gi * (1 - rho));
      denominator = v[i] - static_cast<double>(avg[i]) * avg[i] + epsilon;
    } else {
      denominator = v[i] + epsilon;
    }
    const double increment = (gi * lr) / std::sqrt(denominator);
    if (mom) {
      mom[i] = static_cast<float>(mom[i] * momentum + increment);
      w[i] = static_cast<float>(w[i] - static_cast<double>(mom[i]));
    } else {
      w[i] = static_cast<float>(w[i] - increment);
    }
  }
}

inline void adagrad_range(float* __restrict w, const float* __restrict g, float* __restrict accumulator,
                          const UpdateParams& p, long begin, long end) {
  const double lr = p.learning_rate;
  const double epsilon = p.epsilon;
  for (long i = begin; i < end; i++) {
    const double gi = g[i];
    accumulator[i] = static_cast<float>(accumulator[i] + gi * gi);
    w[i] = static_cast<float>(w[i] - (gi * lr) / std::sqrt(accumulator[i] + epsilon));
  }
}

inline void adadelta_range(float* __restrict w, const float* __restrict g, float* __restrict accumulated_grad,
                           float* __restrict accumulated_delta, const UpdateParams& p, long begin, long end) {
  const double lr = p.learning_rate;
  const double rho = p.rho;
  const double epsilon = p.epsilon;
  for (long i = begin; i < end; i++) {
    const double gi = g[i];
    accumulated_grad[i] = static_cast<float>(accumulated_grad[i] * rho + gi * gi * (1 - rho));
    const double delta = -((std::sqrt(accumulated_delta[i] + epsilon) * gi) / std::sqrt(accumulated_grad[i] + epsilon));
    accumulated_delta[i] = static_cast<float>(accumulated_delta[i] * rho + delta * delta * (1 - rho));
    w[i] = static_cast<float>(w[i] + delta * lr);
  }
}

// slots: update_slot_count(rule, p) arrays of n floats, in applyUpdate's order.
inline void apply_update(int rule, float* param, const float* grad, float* const* slots, long n, const UpdateParams& p,
                         int threads) {
  float* s0 = slots[0];
  float* s1 = slots[1];
  float* s2 = slots[2];
  const UpdateKernel kind = static_cast<UpdateKernel>(rule);
  // Rmsprop's slots: velocity, then momentum when > 0, then the average gradient when centered.
  float* rms_momentum = p.momentum > 0 ? s1 : nullptr;
  float* rms_average = p.centered ? (p.momentum > 0 ? s2 : s1) : nullptr;
  parallel_chunks(n, 16, threads_for(n * 4, threads), [&](long begin, long end) {
    switch (kind) {
      case UpdateKernel::kSgd:
        sgd_range(param, grad, s0, p, begin, end);
        break;
      case UpdateKernel::kAdam:
        adam_range(param, grad, s0, s1, p.amsgrad ? s2 : nullptr, p, begin, end);
        break;
      case UpdateKernel::kRmsprop:
        rmsprop_range(param, grad, s0, rms_momentum, rms_average, p, begin, end);
        break;
      case UpdateKernel::kAdagrad:
        adagrad_range(param, grad, s0, p, begin, end);
        break;
      case UpdateKernel::kAdadelta:
        adadelta_range(param, grad, s0, s1, p, begin, end);
        break;
      case UpdateKernel::kCount:
        break;
    }
  });
}

}  // namespace NEURONA_ISA
}  // namespace neurona

#if defined(__clang__)
#pragma clang fp contract(on)
#elif defined(__GNUC__)
#pragma GCC pop_options
#endif
