#include "layout.h"

#include <cstring>

namespace neurona {

void gather_rows(const float* x, long outer, long length, long inner, const int32_t* indices, long count, float* out) {
  const std::size_t row_bytes = sizeof(float) * static_cast<std::size_t>(inner);
  for (long o = 0; o < outer; o++) {
    const float* block = x + o * length * inner;
    for (long j = 0; j < count; j++) {
      std::memcpy(out, block + static_cast<long>(indices[j]) * inner, row_bytes);
      out += inner;
    }
  }
}

}  // namespace neurona
