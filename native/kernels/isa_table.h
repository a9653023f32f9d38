// The IsaKernels table of the instruction set being compiled, filled field by field from the kernels
// of its namespace: included last by each isa_*.cc, after it defines NEURONA_ISA and its GEMM
// micro-kernel Micro. A kernel added to IsaKernels (isa.h) is picked up here by name.
#ifndef NEURONA_ISA
#error "define NEURONA_ISA and Micro before including isa_table.h"
#endif

#include "elementwise_impl.h"
#include "attention_impl.h"
#include "gemm_impl.h"
#include "conv_impl.h"
#include "depthwise_impl.h"
#include "pool_norm_impl.h"
#include "optimizer_impl.h"
#include "recurrent_impl.h"

#define NEURONA_STRING(x) NEURONA_STRING_OF(x)
#define NEURONA_STRING_OF(x) #x

namespace neurona {
namespace NEURONA_ISA {

// The GEMM and the convolutions through it take their register blocking from Micro.
constexpr auto matmul = &Gemm<Micro>::matmul;
constexpr auto conv2d = &Conv<Micro>::conv2d;
constexpr auto conv2d_backprop_input = &Conv<Micro>::conv2d_backprop_input;
constexpr auto conv2d_backprop_filter = &Conv<Micro>::conv2d_backprop_filter;

constexpr IsaKernels make_table() {
  IsaKernels table{};
  table.name = NEURONA_STRING(NEURONA_ISA);
#define NEURONA_FILL(field, ...) table.field = field;
  NEURONA_ISA_KERNELS(NEURONA_FILL)
  NEURONA_ELEMENTWISE_KERNELS(NEURONA_FILL)
#undef NEURONA_FILL
  return table;
}

constexpr IsaKernels kTable = make_table();

}  // namespace NEURONA_ISA
}  // namespace neurona

#undef NEURONA_STRING
#undef NEURONA_STRING_OF
