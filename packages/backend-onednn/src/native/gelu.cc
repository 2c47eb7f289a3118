// GELU (Hendrycks & Gimpel, "Gaussian Error Linear Units", 2016) in its exact form, as torch.nn.GELU() /
// F.gelu(approximate='none'): gelu(x) = x·Φ(x), Φ(x) = ½·erfc(−x/√2), and its gradient
// dgelu/dx = Φ(x) + x·φ(x), φ(x) = exp(−x²/2)/√(2π).
//
// Φ is evaluated with vectorisable float32 approximations of our own (scripts/fit-gelu.py fits them with numpy
// and prints their errors), so the loops run 16 / 8 / 4 lanes wide in the AVX-512 / AVX2 / baseline clones:
//   |z| < 1 (z = x/√2):  erf(z) = z·P(z²), P of degree 6, relative error ≤ 2.1e-7 (in float32 arithmetic);
//   |z| ≥ 1:            erfc(|z|) = exp(−z²)·Q(t), t = 1/(1 + |z|/2), Q of degree 10, a in [1, 10];
//   exp:                Cody–Waite reduction by ln 2, a degree-6 polynomial (relative error ≤ 1e-7).
// Φ as a whole: absolute error ≤ 7.9e-8 over [−14, 6], relative ≤ 1.4e-5 in the far negative tail (the script
// rounds every multiply and add; the FMA clones round differently, and src/gelu-ema.test.ts bounds what they give).
// For x < 0 the second branch gives Φ = ½·erfc(|z|) directly, without PyTorch's cancellation in 1 + erf(z), so
// gelu of negative inputs is relatively more accurate than PyTorch's own float32 result; the two agree to
// ~1e-7 absolute. NaN propagates; gelu(±∞) = ±∞ · Φ = +∞ / NaN (as PyTorch).
//
// Both loops are compute-bound (~40 flops per element), so they run on all OpenMP threads above kParallelMin.
#ifdef _OPENMP
#include <omp.h>
#endif

#include <cstdint>
#include <cstring>

#include "common.h"

// Both sides of every select below are computed unconditionally; telling GCC that float operations do not trap
// (no FP exceptions are ever enabled here) lets it turn the selects into vector blends. Results are unchanged.
#pragma GCC optimize("no-trapping-math")
// The addon is built with -ffp-contract=off (the optimizer kernels reproduce the op path's rounding exactly);
// here contraction is welcome: the AVX-512 and x86-64-v3 clones (ONEDNN_BINDING_FMA_CLONES) evaluate the
// polynomials with FMA (about a third fewer instructions, each step rounded once). The AVX2 and baseline clones
// have no FMA and keep mul + add.
#pragma GCC optimize("fp-contract=fast")

namespace onednn_binding {
namespace {

constexpr int64_t kParallelMin = int64_t{1} << 16;

#if defined(__GNUC__)
#define GELU_INLINE inline __attribute__((always_inline))
#else
#define GELU_INLINE inline
#endif

/** exp(v) for v ≤ 0 (v < −87 gives 0; NaN stays NaN). */
GELU_INLINE float ExpNonPositive(float v) {
  const float lo = -87.f;
  const bool under = v < lo;
  const float c = v < lo ? lo : v;  // NaN keeps NaN (the compare is false)
  const float kLog2e = 1.44269504088896341f, kLn2Hi = 0.693145751953125f, kLn2Lo = 1.42860682030941723e-6f;
  const float kRound = 12582912.f;  // 1.5·2^23: adding and subtracting it rounds to the nearest integer
  const float n = (c * kLog2e + kRound) - kRound;
  const float r = (c - n * kLn2Hi) - n * kLn2Lo;
  float p = 0.0013829423072769435f;
  p = p * r + 0.0083747735127466406f;
  p = p * r + 0.04166835811507668f;
  p = p * r + 0.16666420808542542f;
  p = p * r + 0.4999999149210369f;
  p = p * r + 1.0000000361310759f;
  p = p * r + 1.0000000005921192f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;  // 2^n, n in [−126, 0]
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return under ? 0.f : p * scale;
}

/**
 * Φ(x), the standard normal CDF (see the file comment). `*gauss` receives exp(−x²/2) (as exp(−z²), z = x/√2),
 * which the tail branch computes anyway and the gradient's φ(x) = exp(−x²/2)/√(2π) reuses.
 */
GELU_INLINE float NormalCdf(float x, float* gauss) {
  const float z = x * 0.70710678118654752f;
  const float a = z < 0.f ? -z : z;
  // Branch 1: erf(z) = z·P(z²) for |z| < 1.
  const float s = z * z;
  float p = 7.8981627559168946e-05f;
  p = p * s + -0.00080243415622164227f;
  p = p * s + 0.0051900523656467478f;
  p = p * s + -0.026854808026026852f;
  p = p * s + 0.11283612419646961f;
  p = p * s + -0.37612628843030671f;
  p = p * s + 1.1283791665102059f;
  const float inner = 0.5f + 0.5f * (z * p);
  // Branch 2: erfc(|z|) = exp(−z²)·Q(t), t = 1/(1 + |z|/2), for |z| ≥ 1.
  const float t = 1.f / (1.f + 0.5f * a);
  float q = -0.055653119596807799f;
  q = q * t + 0.16047741894257589f;
  q = q * t + -0.084947674116872429f;
  q = q * t + -0.14241562557549461f;
  q = q * t + 0.08449303442901053f;
  q = q * t + 0.03940129015130673f;
  q = q * t + 0.18981610268904378f;
  q = q * t + 0.2442015324534611f;
  q = q * t + 0.28241588371562071f;
  q = q * t + 0.28207239276222751f;
  q = q * t + 6.8223390975447181e-07f;
  const float e = ExpNonPositive(-s);
  *gauss = e;
  const float tail = 0.5f * (e * q);  // ½·erfc(|z|)
  const float outer = z < 0.f ? tail : 1.f - tail;
  return a < 1.f ? inner : outer;
}

ONEDNN_BINDING_FMA_CLONES void GeluForward(const float* __restrict x, float* __restrict y, int64_t n) {
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    float gauss;
    y[i] = x[i] * NormalCdf(x[i], &gauss);
  }
}

ONEDNN_BINDING_FMA_CLONES void GeluBackward(const float* __restrict dy, const float* __restrict x, float* __restrict dx,
                                            int64_t n) {
  const float kInvSqrt2Pi = 0.398942280401432678f;
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    float gauss;
    const float cdf = NormalCdf(v, &gauss);
    dx[i] = dy[i] * (cdf + v * (gauss * kInvSqrt2Pi));
  }
}

int64_t Count(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  if (i >= info.Length() || !info[i].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), std::string("onednn: ") + fn + ": 'n' must be a number");
  }
  return info[i].As<Napi::Number>().Int64Value();
}

}  // namespace

void GeluArray(const float* x, float* y, int64_t n) {
  GeluForward(x, y, n);
}

// gelu(x, out, n): out = x·Φ(x).
Napi::Value Gelu(const Napi::CallbackInfo& info) {
  const int64_t n = Count(info, 2, "gelu");
  const float* x = F32(info, 0, "x", static_cast<size_t>(n));
  float* y = F32(info, 1, "out", static_cast<size_t>(n));
  GeluForward(x, y, n);
  return info.Env().Undefined();
}

// geluGrad(dy, x, out, n): out = dy·(Φ(x) + x·φ(x)).
Napi::Value GeluGrad(const Napi::CallbackInfo& info) {
  const int64_t n = Count(info, 3, "geluGrad");
  const float* dy = F32(info, 0, "dy", static_cast<size_t>(n));
  const float* x = F32(info, 1, "x", static_cast<size_t>(n));
  float* dx = F32(info, 2, "out", static_cast<size_t>(n));
  GeluBackward(dy, x, dx, n);
  return info.Env().Undefined();
}

}  // namespace onednn_binding
