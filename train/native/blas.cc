// Native training kernels for the convnet: convolutions and matrix products as OpenBLAS sgemm
// calls (with im2col / col2im around them), on tensors that live in the tfjs wasm heap.
//
// Why: on the wasm backend the convolutions and their gradients run at 3-5 GMAC/s (XNNPACK at
// 128-bit SIMD without FMA, plus im2col in JS); OpenBLAS on the same core runs the same products
// several times faster. train/native/addon.ts builds and loads this file; train/kernel-overrides/native.ts
// registers the kernels that call it. Every function takes Float32Array views and writes its
// output in place; the views must be taken after the last allocation on the wasm heap.
#include <node_api.h>
#include <cblas.h>

#include "batch-norm.h"
#include "share.h"

#include <cstdint>
#include <algorithm>
#include <cstring>
#include <vector>

namespace {

// Convolution geometry as train/kernel-overrides/native.ts packs it (NHWC, dilation 1).
struct Geometry {
  int32_t batch, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels;
  int32_t filterHeight, filterWidth, strideHeight, strideWidth, padTop, padLeft;
  int64_t pixels() const { return int64_t(batch) * outHeight * outWidth; }
  int32_t patch() const { return filterHeight * filterWidth * inChannels; }
};

// im2col / col2im scratch, reused across calls (the JS side calls one kernel at a time).
std::vector<float> scratch;

float* scratchFor(int64_t count) {
  if (int64_t(scratch.size()) < count) scratch.resize(count);
  return scratch.data();
}

// OpenBLAS' Haswell sgemm (the pinned kernels) takes the rows of a row-major product in blocks of
// 12, and a row's rounding depends on the width of the block it falls in (measured: a product cut
// into two calls at row 12,544 differs from one call; cut at 12,540 it is identical). Cut at
// multiples of 12, every row keeps the block it has in one call.
constexpr int64_t SGEMM_ROW_BLOCK = 12;

// The calling thread's images of g's batch inside a parallel region: g cut to them, and where
// they start in the input (x, dx) and in the output rows (y, dy, patches).
struct ImageShare {
  Geometry images;
  int64_t inputOffset, rowOffset;
  explicit ImageShare(const Geometry& g) : images(g) {
    const Share share(g.batch);
    images.batch = int32_t(share.size());
    inputOffset = share.begin * g.inHeight * g.inWidth * g.inChannels;
    rowOffset = share.begin * g.outHeight * g.outWidth;
  }
};

// This thread's rows of out [m x n] = op(a) · op(b) inside a parallel region; returns them.
Share sgemmRows(bool ta, bool tb, int64_t m, int32_t n, int32_t k, const float* a, int32_t lda, const float* b, int32_t ldb, float* out) {
  const Share rows(m, SGEMM_ROW_BLOCK);
  if (rows.size() > 0)
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, rows.size(), n, k, 1.f, ta ? a + rows.begin : a + rows.begin * lda, lda,
                b, ldb, 0.f, out + rows.begin * n, n);
  return rows;
}

// One row per output pixel, (ky, kx, ci) in filter order; taps outside the image are zero.
void im2col(const float* x, const Geometry& g, float* patches) {
  const int32_t ci = g.inChannels, row = g.patch();
  float* out = patches;
  for (int32_t b = 0; b < g.batch; b++)
    for (int32_t oy = 0; oy < g.outHeight; oy++)
      for (int32_t ox = 0; ox < g.outWidth; ox++, out += row)
        for (int32_t ky = 0; ky < g.filterHeight; ky++) {
          const int32_t iy = oy * g.strideHeight + ky - g.padTop;
          float* tap = out + ky * g.filterWidth * ci;
          if (iy < 0 || iy >= g.inHeight) {
            std::memset(tap, 0, sizeof(float) * g.filterWidth * ci);
            continue;
          }
          const float* line = x + (int64_t(b) * g.inHeight + iy) * g.inWidth * ci;
          for (int32_t kx = 0; kx < g.filterWidth; kx++, tap += ci) {
            const int32_t ix = ox * g.strideWidth + kx - g.padLeft;
            const bool inside = ix >= 0 && ix < g.inWidth;
            // One channel (a first layer): a plain store, not a 4-byte memcpy call per tap.
            if (ci == 1) *tap = inside ? line[ix] : 0.f;
            else if (inside) std::memcpy(tap, line + int64_t(ix) * ci, sizeof(float) * ci);
            else std::memset(tap, 0, sizeof(float) * ci);
          }
        }
}

// im2col of the whole batch, each thread its images, inside a parallel region; all threads wait
// at its end for every patch to be written.
void im2colShared(const float* x, const Geometry& g, float* patches) {
  const ImageShare mine(g);
  im2col(x + mine.inputOffset, mine.images, patches + mine.rowOffset * g.patch());
#pragma omp barrier
}

// The adjoint of im2col: adds every patch value back onto the input position it was read from.
void col2im(const float* patches, const Geometry& g, float* dx) {
  const int32_t ci = g.inChannels, row = g.patch();
  std::memset(dx, 0, sizeof(float) * int64_t(g.batch) * g.inHeight * g.inWidth * ci);
  const float* in = patches;
  for (int32_t b = 0; b < g.batch; b++)
    for (int32_t oy = 0; oy < g.outHeight; oy++)
      for (int32_t ox = 0; ox < g.outWidth; ox++, in += row)
        for (int32_t ky = 0; ky < g.filterHeight; ky++) {
          const int32_t iy = oy * g.strideHeight + ky - g.padTop;
          if (iy < 0 || iy >= g.inHeight) continue;
          for (int32_t kx = 0; kx < g.filterWidth; kx++) {
            const int32_t ix = ox * g.strideWidth + kx - g.padLeft;
            if (ix < 0 || ix >= g.inWidth) continue;
            float* target = dx + ((int64_t(b) * g.inHeight + iy) * g.inWidth + ix) * ci;
            const float* source = in + (ky * g.filterWidth + kx) * ci;
            for (int32_t c = 0; c < ci; c++) target[c] += source[c];
          }
        }
}

// Routes each dy value to the first maximum (row-major) of its window, for windows that do not
// overlap (filter = stride) and start at the top-left corner; dx must be zeroed.
void maxPoolGrad(const float* x, const float* dy, const Geometry& g, float* dx) {
  const int32_t c = g.inChannels;
  for (int32_t b = 0; b < g.batch; b++)
    for (int32_t oy = 0; oy < g.outHeight; oy++) {
      const int32_t y0 = oy * g.strideHeight, y1 = std::min(y0 + g.filterHeight, g.inHeight);
      for (int32_t ox = 0; ox < g.outWidth; ox++, dy += c) {
        const int32_t x0 = ox * g.strideWidth, x1 = std::min(x0 + g.filterWidth, g.inWidth);
        const int64_t corner = ((int64_t(b) * g.inHeight + y0) * g.inWidth + x0) * c;
        for (int32_t ch = 0; ch < c; ch++) {
          int64_t best = corner + ch;
          for (int32_t y = y0; y < y1; y++)
            for (int32_t xx = x0; xx < x1; xx++) {
              const int64_t at = ((int64_t(b) * g.inHeight + y) * g.inWidth + xx) * c + ch;
              if (x[at] > x[best]) best = at;
            }
          dx[best] += dy[ch];
        }
      }
    }
}

// The same for 2x2 windows that tile the input exactly (the usual pooling): every input is written
// once, dy or 0, so dx needs no zeroing first.
void maxPoolGrad2x2(const float* x, const float* dy, const Geometry& g, float* dx) {
  const int32_t c = g.inChannels;
  const int64_t rowStride = int64_t(g.inWidth) * c;
  for (int32_t b = 0; b < g.batch; b++)
    for (int32_t oy = 0; oy < g.outHeight; oy++) {
      const int64_t top = (int64_t(b) * g.inHeight + 2 * oy) * rowStride;
      for (int32_t ox = 0; ox < g.outWidth; ox++, dy += c) {
        const int64_t p0 = top + int64_t(2 * ox) * c, p1 = p0 + c, p2 = p0 + rowStride, p3 = p2 + c;
        for (int32_t ch = 0; ch < c; ch++) {
          const float v0 = x[p0 + ch], v1 = x[p1 + ch], v2 = x[p2 + ch], v3 = x[p3 + ch];
          // Strict comparisons in row-major order: ties go to the first maximum, as on cpu.
          int first = 0;
          float max = v0;
          if (v1 > max) max = v1, first = 1;
          if (v2 > max) max = v2, first = 2;
          if (v3 > max) first = 3;
          dx[p0 + ch] = first == 0 ? dy[ch] : 0.f;
          dx[p1 + ch] = first == 1 ? dy[ch] : 0.f;
          dx[p2 + ch] = first == 2 ? dy[ch] : 0.f;
          dx[p3 + ch] = first == 3 ? dy[ch] : 0.f;
        }
      }
    }
}

// Adds bias (length n, may be null) to every row of out [m x n], then applies relu if asked.
void biasAndActivation(float* out, int64_t m, int32_t n, const float* bias, bool relu) {
  if (!bias && !relu) return;
  for (int64_t r = 0; r < m; r++, out += n)
    for (int32_t c = 0; c < n; c++) {
      float v = out[c] + (bias ? bias[c] : 0.f);
      out[c] = relu && v < 0.f ? 0.f : v;
    }
}

// ---- N-API plumbing -------------------------------------------------------------------------

struct Args {
  napi_env env;
  // False once an argument was rejected (a JS exception is then pending): do no work.
  bool ok = true;
  napi_value values[12];
  size_t count = 12;
  Args(napi_env e, napi_callback_info info) : env(e) { napi_get_cb_info(env, info, &count, values, nullptr, nullptr); }

  // The Float32Array argument i, or null when it is undefined/null.
  float* floats(size_t i) {
    napi_valuetype type;
    napi_typeof(env, values[i], &type);
    if (type == napi_undefined || type == napi_null) return nullptr;
    napi_typedarray_type kind;
    size_t length, offset;
    void* data;
    napi_value buffer;
    if (napi_get_typedarray_info(env, values[i], &kind, &length, &data, &buffer, &offset) != napi_ok || kind != napi_float32_array) {
      fail("native kernels: expected a Float32Array");
      return nullptr;
    }
    return static_cast<float*>(data);
  }
  int32_t integer(size_t i) const {
    int32_t v = 0;
    napi_get_value_int32(env, values[i], &v);
    return v;
  }
  bool flag(size_t i) const {
    napi_value coerced;
    bool v = false;
    napi_coerce_to_bool(env, values[i], &coerced);
    napi_get_value_bool(env, coerced, &v);
    return v;
  }
  Geometry geometry(size_t i) {
    void* data;
    size_t length = 0, offset;
    napi_typedarray_type kind;
    napi_value buffer;
    napi_get_typedarray_info(env, values[i], &kind, &length, &data, &buffer, &offset);
    Geometry g{};
    if (kind == napi_int32_array && length == 13) std::memcpy(&g, data, sizeof(g));
    else fail("native kernels: geometry must be an Int32Array of 13");
    return g;
  }
  void fail(const char* message) {
    if (ok) napi_throw_type_error(env, nullptr, message);
    ok = false;
  }
};

// convForward(x, filter, bias | null, relu, out, geometry): out = act(im2col(x) · filter + bias).
napi_value ConvForward(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const Geometry g = a.geometry(5);
  float *x = a.floats(0), *filter = a.floats(1), *bias = a.floats(2), *out = a.floats(4);
  if (!a.ok || !x || !filter || !out) return nullptr;
  float* patches = scratchFor(g.pixels() * g.patch());
  const bool relu = a.flag(3);
#pragma omp parallel
  {
    im2colShared(x, g, patches);
    const Share rows = sgemmRows(false, false, g.pixels(), g.outChannels, g.patch(), patches, g.patch(), filter, g.outChannels, out);
    biasAndActivation(out + rows.begin * g.outChannels, rows.size(), g.outChannels, bias, relu);
  }
  return nullptr;
}

// convFilterGradient(x, dy, dFilter, geometry): dFilter = im2col(x)ᵀ · dy.
napi_value ConvFilterGradient(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const Geometry g = a.geometry(3);
  float *x = a.floats(0), *dy = a.floats(1), *dFilter = a.floats(2);
  if (!a.ok || !x || !dy || !dFilter) return nullptr;
  // The sum runs over every pixel of the batch, so the product is split by filter tap instead.
  float* patches = scratchFor(g.pixels() * g.patch());
#pragma omp parallel
  {
    im2colShared(x, g, patches);
    sgemmRows(true, false, g.patch(), g.outChannels, g.pixels(), patches, g.patch(), dy, g.outChannels, dFilter);
  }
  return nullptr;
}

// convInputGradient(dy, filter, dx, geometry): dx = col2im(dy · filterᵀ).
napi_value ConvInputGradient(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const Geometry g = a.geometry(3);
  float *dy = a.floats(0), *filter = a.floats(1), *dx = a.floats(2);
  if (!a.ok || !dy || !filter || !dx) return nullptr;
  float* patches = scratchFor(g.pixels() * g.patch());
#pragma omp parallel
  {
    sgemmRows(false, true, g.pixels(), g.patch(), g.outChannels, dy, g.outChannels, filter, g.outChannels, patches);
#pragma omp barrier
    const ImageShare mine(g);
    col2im(patches + mine.rowOffset * g.patch(), mine.images, dx + mine.inputOffset);
  }
  return nullptr;
}

// matMul(a, b, bias | null, relu, out, m, n, k, transposeA, transposeB): out [m x n] = act(op(a) · op(b) + bias).
napi_value MatMul(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int32_t m = a.integer(5), n = a.integer(6), k = a.integer(7);
  const bool ta = a.flag(8), tb = a.flag(9);
  float *left = a.floats(0), *right = a.floats(1), *bias = a.floats(2), *out = a.floats(4);
  if (!a.ok || !left || !right || !out) return nullptr;
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.f, left, ta ? m : k, right, tb ? k : n, 0.f, out, n);
  biasAndActivation(out, m, n, bias, a.flag(3));
  return nullptr;
}

// maxPoolGrad(x, dy, dx, geometry): dx = dy scattered onto each window's first maximum.
napi_value MaxPoolGrad(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const Geometry g = a.geometry(3);
  float *x = a.floats(0), *dy = a.floats(1), *dx = a.floats(2);
  if (!a.ok || !x || !dy || !dx) return nullptr;
  const bool tiled2x2 = g.filterHeight == 2 && g.filterWidth == 2 && g.strideHeight == 2 && g.strideWidth == 2 && g.inHeight == 2 * g.outHeight &&
                        g.inWidth == 2 * g.outWidth;
#pragma omp parallel
  {
    const ImageShare mine(g);
    const float *input = x + mine.inputOffset, *gradient = dy + mine.rowOffset * g.inChannels;
    float* own = dx + mine.inputOffset;
    if (tiled2x2) {
      maxPoolGrad2x2(input, gradient, mine.images, own);
    } else {
      std::memset(own, 0, sizeof(float) * int64_t(mine.images.batch) * g.inHeight * g.inWidth * g.inChannels);
      maxPoolGrad(input, gradient, mine.images, own);
    }
  }
  return nullptr;
}

// batchNormForward(x, gamma, beta, epsilon, relu, y, xHat, mean, variance, gain, rows, channels).
napi_value BatchNormForward(napi_env env, napi_callback_info info) {
  Args a(env, info);
  float *x = a.floats(0), *gamma = a.floats(1), *beta = a.floats(2), *y = a.floats(5), *xHat = a.floats(6), *mean = a.floats(7), *variance = a.floats(8),
        *gain = a.floats(9);
  double epsilon = 0;
  napi_get_value_double(env, a.values[3], &epsilon);
  const int32_t rows = a.integer(10), channels = a.integer(11);
  if (!a.ok || !x || !gamma || !beta || !y || !xHat || !mean || !variance || !gain) return nullptr;
  batchNormForward(x, gamma, beta, float(epsilon), a.flag(4), rows, channels, y, xHat, mean, variance, gain);
  return nullptr;
}

// batchNormBackward(dy, xHat, gain, y, relu, dx, dGamma, dBeta, rows, channels).
napi_value BatchNormBackward(napi_env env, napi_callback_info info) {
  Args a(env, info);
  float *dy = a.floats(0), *xHat = a.floats(1), *gain = a.floats(2), *y = a.floats(3), *dx = a.floats(5), *dGamma = a.floats(6), *dBeta = a.floats(7);
  const int32_t rows = a.integer(8), channels = a.integer(9);
  if (!a.ok || !dy || !xHat || !gain || !y || !dx || !dGamma || !dBeta) return nullptr;
  batchNormBackward(dy, xHat, gain, y, a.flag(4), rows, channels, dx, dGamma, dBeta);
  return nullptr;
}

// The name of the kernel set OpenBLAS chose when it loaded, for the loader to verify its pin.
napi_value BlasCore(napi_env env, napi_callback_info) {
  napi_value name;
  napi_create_string_utf8(env, openblas_get_corename(), NAPI_AUTO_LENGTH, &name);
  return name;
}

}  // namespace

NAPI_MODULE_INIT() {
  // OpenBLAS' own threads stay off (its two-thread products differ in the last bits from its
  // one-thread ones): each of the kernels' OpenMP threads calls a single-threaded sgemm on its
  // rows, so every product keeps the single-threaded driver's sums whatever the thread count.
  openblas_set_num_threads(1);
  const struct { const char* name; napi_callback callback; } functions[] = {
      {"convForward", ConvForward},
      {"convFilterGradient", ConvFilterGradient},
      {"convInputGradient", ConvInputGradient},
      {"matMul", MatMul},
      {"maxPoolGrad", MaxPoolGrad},
      {"batchNormForward", BatchNormForward},
      {"batchNormBackward", BatchNormBackward},
      {"blasCore", BlasCore},
  };
  for (const auto& f : functions) {
    napi_value fn;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.callback, nullptr, &fn);
    napi_set_named_property(env, exports, f.name, fn);
  }
  return exports;
}
