// Batch normalisation over the rows of x [rows x channels] in training mode, and its gradient;
// batch-norm.cc says how.
#pragma once
#include <cstdint>

// y = act(gamma · xHat + beta) with xHat = (x - mean) / sqrt(variance + epsilon) over the batch;
// also writes mean, biased variance and gain = gamma / sqrt(variance + epsilon) per channel.
void batchNormForward(const float* x, const float* gamma, const float* beta, float epsilon, bool relu, int64_t rows, int32_t channels, float* y,
                      float* xHat, float* mean, float* variance, float* gain);

// dx, dGamma and dBeta from dy and the forward step's xHat, gain and y.
void batchNormBackward(const float* dy, const float* xHat, const float* gain, const float* y, bool relu, int64_t rows, int32_t channels, float* dx,
                       float* dGamma, float* dBeta);
