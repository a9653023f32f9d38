// The optimizer update rules' codes and slot counts, shared by the addon and optimizer_impl.h. The
// hyper-parameters (UpdateParams, generated in kernel_table.h from src/backend/kernels.ts) are
// doubles, because the js kernel computes in float64 and the native one follows it term for term.
#pragma once

#include "kernel_table.h"

namespace neurona {

enum class UpdateKernel { kSgd, kAdam, kRmsprop, kAdagrad, kAdadelta, kCount };
constexpr const char* kUpdateNames[] = {"sgd", "adam", "rmsprop", "adagrad", "adadelta"};
static_assert(sizeof(kUpdateNames) / sizeof(kUpdateNames[0]) == static_cast<int>(UpdateKernel::kCount),
              "update names");

// How many slot arrays a rule reads (the order is applyUpdate's in kernels.ts).
inline int update_slot_count(UpdateKernel rule, const UpdateParams& p) {
  switch (rule) {
    case UpdateKernel::kSgd:
      return p.momentum == 0 ? 0 : 1;
    case UpdateKernel::kAdam:
      return p.amsgrad ? 3 : 2;
    case UpdateKernel::kRmsprop:
      return 1 + (p.momentum > 0 ? 1 : 0) + (p.centered ? 1 : 0);
    case UpdateKernel::kAdagrad:
      return 1;
    case UpdateKernel::kAdadelta:
      return 2;
    case UpdateKernel::kCount:
      break;
  }
  return 0;
}

}  // namespace neurona
