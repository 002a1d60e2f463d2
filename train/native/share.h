// Work sharing for the native training kernels (blas.cc, batch-norm.cc).
//
// The kernels run on every core (OpenMP), split only where that leaves each output value's
// arithmetic as it was, so the bits do not depend on the thread count: products by row (each
// thread a single-threaded sgemm on its rows, with the same sums over k), im2col, col2im and
// pooling by image, batch-norm sums by channel, element-wise passes by row.
// test/blas-pin.test.ts checks this at 1, 2 and 3 threads.

#pragma once
#include <omp.h>

#include <cstdint>

// Items [begin, end) of the calling thread's share of `count` inside a parallel region, cut at
// multiples of `grain` (the last share takes the rest).
struct Share {
  int64_t begin, end;
  explicit Share(int64_t count, int64_t grain = 1) {
    const int part = omp_get_thread_num(), parts = omp_get_num_threads();
    const int64_t units = count / grain;
    begin = units * part / parts * grain;
    end = part + 1 == parts ? count : units * (part + 1) / parts * grain;
  }
  int64_t size() const { return end - begin; }
};
