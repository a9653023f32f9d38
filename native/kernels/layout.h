// Data-movement and indexed kernels that need no vector code of their own (memcpy is already the fastest
// copy; a sparse row's gathers defeat wide loads): compiled once, outside the per-ISA units.
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

// CSR times dense: out[i, :] = sum over p in [row_ptr[i], row_ptr[i + 1]) of values[p] * dense[col_idx[p], :],
// out [rows, k]. The caller checks that row_ptr is non-decreasing and every column lies in dense. Threads
// split the rows, and each row is summed in p order, so the bits do not depend on the thread count.
void sparse_matmul(const int32_t* row_ptr, long rows, const int32_t* col_idx, const float* values, const float* dense, long k,
                   float* out, int threads);

}  // namespace neurona

#endif
