// Training-mode batch normalisation over the last (channel) axis of a row-major `[rows, C]` view (NHWC
// activations, or `[batch, features]`), the kernels behind CnnBatchNormTrain / CnnBatchNormGrad:
//
// batchNormTrain(x, gamma, beta, y, mean, var, rows, C, eps)
//   one pass for Σx and Σx² per channel (double accumulators, so E[x²] − mean² loses nothing that matters for
//   float32 data), then one pass y = (x − mean)·k + beta with k = gamma·invstd; `var` is the biased
//   batch variance.
// batchNormGrad(dy, x, gamma, mean, var, dx, dgamma, dbeta, rows, C, eps)
//   one pass for Σdy and Σdy·(x − mean), then one pass dx = a·dy + b·(x − mean) + c per channel, the closed form
//   dx = gamma·invstd/N · (N·dy − Σdy − x̂·Σ(dy·x̂)); dgamma = Σ(dy·x̂), dbeta = Σdy.
//
// Loops run over rows outside and channels inside (contiguous, vectorised over channels; AVX-512 and AVX2
// clones where the compiler supports target_clones, see ONEDNN_BINDING_CLONES). Sums run in float over blocks of
// kBlock rows, then in double. Above kParallelMin elements the rows are split between the OpenMP threads, each with its
// own partial sums.
#ifdef _OPENMP
#include <omp.h>
#endif

#include <algorithm>
#include <cmath>
#include <vector>

#include "common.h"

namespace onednn_binding {
namespace {

/** Elements from which the passes use every OpenMP thread (see kMemoryBoundParallelMin). */
constexpr int64_t kParallelMin = kMemoryBoundParallelMin;

/** Rows summed in float before being added to the double accumulators (bounds float rounding to ~kBlock ulp). */
constexpr int64_t kBlock = 16;

/** acc1[c] += Σ x, acc2[c] += Σ x² over rows [r0, r1) of x `[rows, C]`, in float blocks of kBlock rows. */
ONEDNN_BINDING_CLONES
void StatsRows(const float* __restrict x, int64_t r0, int64_t r1, int64_t C, float* __restrict b1, float* __restrict b2,
               double* __restrict acc1, double* __restrict acc2) {
  for (int64_t r = r0; r < r1; r += kBlock) {
    const int64_t re = std::min(r1, r + kBlock);
    for (int64_t j = 0; j < C; ++j) b1[j] = b2[j] = 0.f;
    for (int64_t q = r; q < re; ++q) {
      const float* __restrict xr = x + q * C;
      for (int64_t j = 0; j < C; ++j) {
        const float v = xr[j];
        b1[j] += v;
        b2[j] += v * v;
      }
    }
    for (int64_t j = 0; j < C; ++j) {
      acc1[j] += b1[j];
      acc2[j] += b2[j];
    }
  }
}

/** acc1[c] += Σ dy, acc2[c] += Σ dy·(x − mean) over rows [r0, r1), in float blocks of kBlock rows. */
ONEDNN_BINDING_CLONES
void GradStatsRows(const float* __restrict dy, const float* __restrict x, const float* __restrict mean, int64_t r0,
                   int64_t r1, int64_t C, float* __restrict b1, float* __restrict b2, double* __restrict acc1,
                   double* __restrict acc2) {
  for (int64_t r = r0; r < r1; r += kBlock) {
    const int64_t re = std::min(r1, r + kBlock);
    for (int64_t j = 0; j < C; ++j) b1[j] = b2[j] = 0.f;
    for (int64_t q = r; q < re; ++q) {
      const float* __restrict dr = dy + q * C;
      const float* __restrict xr = x + q * C;
      for (int64_t j = 0; j < C; ++j) {
        const float d = dr[j];
        b1[j] += d;
        b2[j] += d * (xr[j] - mean[j]);
      }
    }
    for (int64_t j = 0; j < C; ++j) {
      acc1[j] += b1[j];
      acc2[j] += b2[j];
    }
  }
}

int64_t Int(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (i >= info.Length() || !info[i].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), std::string("onednn: batchNorm: argument '") + what + "' must be a number");
  }
  return info[i].As<Napi::Number>().Int64Value();
}

int Threads(int64_t n) {
  return n >= kParallelMin ? MaxThreads() : 1;
}

/**
 * Two per-channel sums over all rows (the kernels' first passes): `Body(r0, r1, b1, b2, acc1, acc2)` adds rows
 * [r0, r1) into the calling thread's double accumulators (b1, b2: float scratch of C); the partials are then
 * added in thread order into s1, s2.
 */
template <typename Body>
void ChannelSums(int64_t rows, int64_t C, int threads, std::vector<double>& s1, std::vector<double>& s2, Body body) {
  const size_t c = static_cast<size_t>(C);
  std::vector<double> part(static_cast<size_t>(threads) * 2 * c, 0.0);
  std::vector<float> scratch(static_cast<size_t>(threads) * 2 * c);
#pragma omp parallel num_threads(threads)
  {
    const int t = ThreadId();
    double* acc1 = part.data() + static_cast<size_t>(t) * 2 * c;
    float* b1 = scratch.data() + static_cast<size_t>(t) * 2 * c;
    const int nt = threads;
    const int64_t per = (rows + nt - 1) / nt;
    const int64_t r0 = std::min(rows, per * t);
    const int64_t r1 = std::min(rows, r0 + per);
    body(r0, r1, b1, b1 + c, acc1, acc1 + c);
  }
  s1.assign(c, 0.0);
  s2.assign(c, 0.0);
  for (int t = 0; t < threads; ++t) {
    const double* acc1 = part.data() + static_cast<size_t>(t) * 2 * c;
    for (size_t j = 0; j < c; ++j) {
      s1[j] += acc1[j];
      s2[j] += acc1[c + j];
    }
  }
}

/** out[r, c] = (x[r, c] − m[c])·k[c] + o[c] (+ dy[r, c]·a[c] when dy is given). */
ONEDNN_BINDING_CLONES
void Affine(const float* x, const float* m, const float* dy, const float* k, const float* o, const float* a, float* out,
            int64_t rows, int64_t C, int threads) {
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const float* __restrict xr = x + r * C;
    float* __restrict yr = out + r * C;
    if (dy) {
      const float* __restrict dr = dy + r * C;
      for (int64_t j = 0; j < C; ++j) yr[j] = dr[j] * a[j] + (xr[j] - m[j]) * k[j] + o[j];
    } else {
      for (int64_t j = 0; j < C; ++j) yr[j] = (xr[j] - m[j]) * k[j] + o[j];
    }
  }
}

}  // namespace

Napi::Value BatchNormTrain(const Napi::CallbackInfo& info) {
  const int64_t rows = Int(info, 6, "rows");
  const int64_t C = Int(info, 7, "channels");
  if (info.Length() <= 8 || !info[8].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), "onednn: batchNormTrain: argument 'eps' must be a number");
  }
  const double eps = info[8].As<Napi::Number>().DoubleValue();
  if (rows <= 0 || C <= 0) throw Napi::RangeError::New(info.Env(), "onednn: batchNormTrain: empty input");
  const size_t n = static_cast<size_t>(rows * C);
  const size_t c = static_cast<size_t>(C);
  const float* x = F32(info, 0, "x", n);
  const float* gamma = F32(info, 1, "gamma", c);
  const float* beta = F32(info, 2, "beta", c);
  float* y = F32(info, 3, "y", n);
  float* mean = F32(info, 4, "mean", c);
  float* var = F32(info, 5, "variance", c);
  const int threads = Threads(rows * C);
  std::vector<double> s1, s2;
  ChannelSums(rows, C, threads, s1, s2, [x, C](int64_t r0, int64_t r1, float* b1, float* b2, double* a1, double* a2) {
    StatsRows(x, r0, r1, C, b1, b2, a1, a2);
  });
  std::vector<float> k(c), o(c);
  const double inv_n = 1.0 / static_cast<double>(rows);
  for (size_t j = 0; j < c; ++j) {
    const double m = s1[j] * inv_n;
    const double v = std::max(0.0, s2[j] * inv_n - m * m);
    const double invstd = 1.0 / std::sqrt(v + eps);
    const double kk = gamma[j] * invstd;
    mean[j] = static_cast<float>(m);
    var[j] = static_cast<float>(v);
    k[j] = static_cast<float>(kk);
    o[j] = beta[j];
  }
  Affine(x, mean, nullptr, k.data(), o.data(), nullptr, y, rows, C, threads);
  return info.Env().Undefined();
}

Napi::Value BatchNormGrad(const Napi::CallbackInfo& info) {
  const int64_t rows = Int(info, 8, "rows");
  const int64_t C = Int(info, 9, "channels");
  if (rows <= 0 || C <= 0) throw Napi::RangeError::New(info.Env(), "onednn: batchNormGrad: empty input");
  if (info.Length() <= 10 || !info[10].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), "onednn: batchNormGrad: argument 'eps' must be a number");
  }
  const double eps = info[10].As<Napi::Number>().DoubleValue();
  const size_t n = static_cast<size_t>(rows * C);
  const size_t c = static_cast<size_t>(C);
  const float* dy = F32(info, 0, "dy", n);
  const float* x = F32(info, 1, "x", n);
  const float* gamma = F32(info, 2, "gamma", c);
  const float* mean = F32(info, 3, "mean", c);
  const float* var = F32(info, 4, "variance", c);
  float* dx = F32(info, 5, "dx", n);
  float* dgamma = F32(info, 6, "dgamma", c);
  float* dbeta = F32(info, 7, "dbeta", c);
  const int threads = Threads(rows * C);
  std::vector<double> sdy, sdyx;
  ChannelSums(rows, C, threads, sdy, sdyx,
              [dy, x, mean, C](int64_t r0, int64_t r1, float* b1, float* b2, double* a1, double* a2) {
                GradStatsRows(dy, x, mean, r0, r1, C, b1, b2, a1, a2);
              });
  std::vector<float> a(c), b(c), o(c);
  const double inv_n = 1.0 / static_cast<double>(rows);
  for (size_t j = 0; j < c; ++j) {
    const double invstd = 1.0 / std::sqrt(static_cast<double>(var[j]) + eps);
    const double sum_dy_xhat = sdyx[j] * invstd;
    const double aa = gamma[j] * invstd;
    const double bb = -aa * invstd * sum_dy_xhat * inv_n;
    dgamma[j] = static_cast<float>(sum_dy_xhat);
    dbeta[j] = static_cast<float>(sdy[j]);
    a[j] = static_cast<float>(aa);
    b[j] = static_cast<float>(bb);
    o[j] = static_cast<float>(-aa * sdy[j] * inv_n);
  }
  Affine(x, mean, dy, b.data(), o.data(), a.data(), dx, rows, C, threads);
  return info.Env().Undefined();
}

}  // namespace onednn_binding
