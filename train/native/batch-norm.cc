// Batch normalisation for the convnet's training kernels (blas.cc exposes them to Node): the
// forward step in training mode and its gradient, with the relu that follows it fused in. Sums
// over the batch are split across threads by channel, so each channel's sum keeps its row order.
#include "batch-norm.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "share.h"

namespace {

// Rows [begin, end) of batch norm's output: xHat = (x - mean) · scale, y = act(gamma · xHat + beta).
// Relu is a template argument and the pointers __restrict so that the loop vectorises.
template <bool Relu>
void normaliseRows(const float* __restrict x, const float* __restrict mean, const float* __restrict scale, const float* __restrict gamma,
                   const float* __restrict beta, int64_t begin, int64_t end, int32_t channels, float* __restrict xHat, float* __restrict y) {
  for (int64_t r = begin; r < end; r++)
    for (int32_t c = 0; c < channels; c++) {
      const int64_t i = r * channels + c;
      const float normalised = (x[i] - mean[c]) * scale[c];
      xHat[i] = normalised;
      const float affine = gamma[c] * normalised + beta[c];
      y[i] = Relu && affine < 0.f ? 0.f : affine;
    }
}

// The gradient that reaches batch norm's output: dy, or 0 where relu cut y.
template <bool Relu>
inline float passedGradient(float dy, float y) {
  return Relu && !(y > 0.f) ? 0.f : dy;
}

// Σ dy' and Σ dy'·xHat over all rows for channels [first, first + count), in row order.
template <bool Relu>
void gradientSums(const float* __restrict dy, const float* __restrict y, const float* __restrict xHat, int64_t rows, int32_t channels, int64_t first,
                  int64_t count, double* __restrict sum, double* __restrict sumXHat) {
  for (int64_t r = 0; r < rows; r++) {
    const int64_t base = r * channels + first;
    for (int64_t c = 0; c < count; c++) {
      const float g = passedGradient<Relu>(dy[base + c], y[base + c]);
      sum[c] += g;
      sumXHat[c] += double(g) * xHat[base + c];
    }
  }
}

// Rows [begin, end) of dx = gain · (dy' - meanDy - xHat · meanDyXHat).
template <bool Relu>
void inputGradientRows(const float* __restrict dy, const float* __restrict y, const float* __restrict xHat, const float* __restrict gain,
                       const float* __restrict meanDy, const float* __restrict meanDyXHat, int64_t begin, int64_t end, int32_t channels,
                       float* __restrict dx) {
  for (int64_t r = begin; r < end; r++)
    for (int32_t c = 0; c < channels; c++) {
      const int64_t i = r * channels + c;
      dx[i] = gain[c] * (passedGradient<Relu>(dy[i], y[i]) - meanDy[c] - xHat[i] * meanDyXHat[c]);
    }
}

}  // namespace

// Batch normalisation over the rows of x [rows x channels], training mode: batch mean and biased
// variance per channel, xHat = (x - mean) / sqrt(variance + epsilon), y = gamma * xHat + beta.
// Sums run in double so that the one-pass statistics stay exact enough at 1.6M rows.
void batchNormForward(const float* x, const float* gamma, const float* beta, float epsilon, bool relu, int64_t rows, int32_t channels, float* y,
                      float* xHat, float* mean, float* variance, float* gain) {
  std::vector<float> inverseStd(channels);
#pragma omp parallel
  {
    // Each thread sums its channels into its own accumulators: shared ones would sit on cache
    // lines that both threads write on every row.
    const Share mine(channels);
    std::vector<double> sum(mine.size(), 0.0), squares(mine.size(), 0.0);
    for (int64_t r = 0; r < rows; r++) {
      const float* line = x + r * channels + mine.begin;
      for (int64_t c = 0; c < mine.size(); c++) {
        const double v = line[c];
        sum[c] += v;
        squares[c] += v * v;
      }
    }
    for (int64_t c = 0; c < mine.size(); c++) {
      const int64_t channel = mine.begin + c;
      const double m = sum[c] / rows;
      const double var = std::max(0.0, squares[c] / rows - m * m);
      mean[channel] = float(m);
      variance[channel] = float(var);
      inverseStd[channel] = float(1.0 / std::sqrt(var + epsilon));
      gain[channel] = gamma[channel] * inverseStd[channel];
    }
#pragma omp barrier
    const Share lines(rows);
    const float* scale = inverseStd.data();
    if (relu) normaliseRows<true>(x, mean, scale, gamma, beta, lines.begin, lines.end, channels, xHat, y);
    else normaliseRows<false>(x, mean, scale, gamma, beta, lines.begin, lines.end, channels, xHat, y);
  }
}

// Its gradient, with dy' = dy where y > 0 under relu (else dy): dBeta = Σ dy', dGamma = Σ dy'·xHat,
// dx = gain · (dy' - dBeta/rows - xHat · dGamma/rows).
void batchNormBackward(const float* dy, const float* xHat, const float* gain, const float* y, bool relu, int64_t rows, int32_t channels, float* dx,
                       float* dGamma, float* dBeta) {
  std::vector<float> meanDy(channels), meanDyXHat(channels);
#pragma omp parallel
  {
    const Share mine(channels);
    std::vector<double> sumDy(mine.size(), 0.0), sumDyXHat(mine.size(), 0.0);
    if (relu) gradientSums<true>(dy, y, xHat, rows, channels, mine.begin, mine.size(), sumDy.data(), sumDyXHat.data());
    else gradientSums<false>(dy, y, xHat, rows, channels, mine.begin, mine.size(), sumDy.data(), sumDyXHat.data());
    for (int64_t c = 0; c < mine.size(); c++) {
      const int64_t channel = mine.begin + c;
      dBeta[channel] = float(sumDy[c]);
      dGamma[channel] = float(sumDyXHat[c]);
      meanDy[channel] = float(sumDy[c] / rows);
      meanDyXHat[channel] = float(sumDyXHat[c] / rows);
    }
#pragma omp barrier
    const Share lines(rows);
    if (relu) inputGradientRows<true>(dy, y, xHat, gain, meanDy.data(), meanDyXHat.data(), lines.begin, lines.end, channels, dx);
    else inputGradientRows<false>(dy, y, xHat, gain, meanDy.data(), meanDyXHat.data(), lines.begin, lines.end, channels, dx);
  }
}

