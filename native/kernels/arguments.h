// The argument types of the addon's functions (kernel_table.h's argument structs are made of them):
// an array is its data, its length and the argument's name in the table, which the glue's error
// messages use. Plain C++, so that kernels may take an argument struct as it is.
#pragma once

#include <cstdint>

// N-API's opaque value type (node_api.h), named here only so that ArrayList can hold one.
struct napi_value__;

namespace neurona {

struct F32Array {
  float* data;
  long length;
  const char* name;
};

// data is null when JavaScript passed null.
struct F32ArrayOrNull : F32Array {};

struct I32Array {
  int32_t* data;
  long length;
  const char* name;
};

// A JavaScript array whose elements the function's glue reads itself (it alone knows how many).
struct ArrayList {
  napi_value__* value;
  const char* name;
};

// An op code of `Enum`, checked to lie below Enum::kCount.
template <class Enum>
struct Code {
  int value;
};

}  // namespace neurona
