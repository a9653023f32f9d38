#include "layout.h"

#include <cstring>

#include "thread_pool.h"

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

namespace {

struct ScatterJob {
  const float* dy;
  long outer, length, inner, count;
  const int32_t* indices;
  float* out;
};

void scatter_add_part(void* context, int thread, int threads) {
  const ScatterJob& job = *static_cast<const ScatterJob*>(context);
  long begin, end;
  split_range(job.inner, threads, thread, &begin, &end);
  for (long o = 0; o < job.outer; o++) {
    const float* g = job.dy + o * job.count * job.inner;
    float* block = job.out + o * job.length * job.inner;
    for (long j = 0; j < job.count; j++, g += job.inner) {
      float* row = block + static_cast<long>(job.indices[j]) * job.inner;
      for (long i = begin; i < end; i++) row[i] += g[i];
    }
  }
}

}  // namespace

void scatter_add_rows(const float* dy, long outer, long length, long inner, const int32_t* indices, long count, float* out,
                      int threads) {
  ScatterJob job{dy, outer, length, inner, count, indices, out};
  // Column ranges of at least 16 floats, and threads only for work worth waking them.
  long parts = inner / 16;
  if (outer * count * inner < (1L << 16)) parts = 1;
  if (parts > threads) parts = threads;
  parallel_run(parts < 1 ? 1 : static_cast<int>(parts), scatter_add_part, &job);
}

namespace {

struct SparseJob {
  const int32_t* row_ptr;
  long rows;
  const int32_t* col_idx;
  const float* values;
  const float* dense;
  long k;
  float* out;
};

void sparse_matmul_part(void* context, int thread, int threads) {
  const SparseJob& job = *static_cast<const SparseJob*>(context);
  long begin, end;
  split_range(job.rows, threads, thread, &begin, &end);
  for (long i = begin; i < end; i++) {
    float* row = job.out + i * job.k;
    for (long c = 0; c < job.k; c++) row[c] = 0.0f;
    for (int32_t p = job.row_ptr[i]; p < job.row_ptr[i + 1]; p++) {
      const float v = job.values[p];
      const float* d = job.dense + static_cast<long>(job.col_idx[p]) * job.k;
      for (long c = 0; c < job.k; c++) row[c] += v * d[c];
    }
  }
}

}  // namespace

void sparse_matmul(const int32_t* row_ptr, long rows, const int32_t* col_idx, const float* values, const float* dense, long k,
                   float* out, int threads) {
  SparseJob job{row_ptr, rows, col_idx, values, dense, k, out};
  const long work = (rows > 0 ? static_cast<long>(row_ptr[rows]) : 0L) * (k > 0 ? k : 1);
  long parts = work < (1L << 15) ? 1 : rows / 8;
  if (parts > threads) parts = threads;
  parallel_run(parts < 1 ? 1 : static_cast<int>(parts), sparse_matmul_part, &job);
}

}  // namespace neurona
