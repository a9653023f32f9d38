// Data-movement kernels that need no vector code of their own (memcpy is already the fastest copy):
// compiled once, outside the per-ISA units.
#ifndef NEURONA_KERNELS_LAYOUT_H
#define NEURONA_KERNELS_LAYOUT_H

#include <cstdint>

namespace neurona {

// out[o, j, :] = x[o, indices[j], :] for x seen as [outer, length, inner] and out as
// [outer, count, inner]. Every index must lie in [0, length): the caller checks them.
void gather_rows(const float* x, long outer, long length, long inner, const int32_t* indices, long count, float* out);

// The transpose of gather_rows (an embedding's gradient): out[o, indices[j], :] += dy[o, j, :], out
// zeroed by the caller. Threads split the columns, so each element is summed in j order, as js does.
void scatter_add_rows(const float* dy, long outer, long length, long inner, const int32_t* indices, long count, float* out,
                      int threads);

}  // namespace neurona

#endif
