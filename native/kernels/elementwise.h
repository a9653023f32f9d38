// The elementwise, reduction and softmax kernels' codes, shared by the addon (which exports the names
// so that the TypeScript side maps its op names to these codes by name, never by position) and the
// per-ISA implementations in elementwise_impl.h.
#pragma once

namespace neurona {

// The unary ops with a native loop; any other op runs on the js kernel.
enum class UnaryKernel { kNeg, kAbs, kExp, kSqrt, kRsqrt, kSquare, kReciprocal, kTanh, kSigmoid, kRelu, kLeakyRelu,
                         kFloor, kCeil, kRound, kSilu, kBoundedRelu, kCount };
constexpr const char* kUnaryNames[] = {"neg",     "abs",  "exp",       "sqrt",  "rsqrt", "square", "reciprocal", "tanh",
                                       "sigmoid", "relu", "leakyRelu", "floor", "ceil",  "round",  "silu",       "boundedRelu"};

enum class UnaryGradKernel { kAbs, kExp, kSqrt, kSquare, kTanh, kSigmoid, kRelu, kLeakyRelu, kMinimumScalar, kMaximumScalar, kSilu,
                             kBoundedRelu, kCount };
constexpr const char* kUnaryGradNames[] = {"abs",           "exp",           "sqrt", "square",     "tanh",     "sigmoid",
                                           "relu",          "leakyRelu",     "minimumScalar",   "maximumScalar", "silu",
                                           "boundedRelu"};

// Arithmetic whose float32 result is the correctly rounded one, so it equals the js kernel's bit for
// bit (js computes in float64 and rounds once; for + - * / that double rounding is harmless).
enum class BinaryKernel { kAdd, kSub, kMul, kDiv, kMaximum, kMinimum, kCount };
constexpr const char* kBinaryNames[] = {"add", "sub", "mul", "div", "maximum", "minimum"};

enum class ReduceKernel { kSum, kMax, kCount };
constexpr const char* kReduceNames[] = {"sum", "max"};

static_assert(sizeof(kUnaryNames) / sizeof(kUnaryNames[0]) == static_cast<int>(UnaryKernel::kCount), "unary names");
static_assert(sizeof(kUnaryGradNames) / sizeof(kUnaryGradNames[0]) == static_cast<int>(UnaryGradKernel::kCount),
              "unaryGrad names");
static_assert(sizeof(kBinaryNames) / sizeof(kBinaryNames[0]) == static_cast<int>(BinaryKernel::kCount), "binary names");
static_assert(sizeof(kReduceNames) / sizeof(kReduceNames[0]) == static_cast<int>(ReduceKernel::kCount), "reduce names");

// How the smaller operand of a binary op maps onto the output (n elements): output i reads element
// (i / repeat) % period. Same shape: period n; scalar: period 1; a row [c] added to [r, c]:
// period c, repeat 1; a column [r, 1] added to [r, c]: period r, repeat c.
struct BroadcastPattern {
  long period;
  long repeat;
};

}  // namespace neurona
