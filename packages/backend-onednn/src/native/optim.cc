// Fused optimizer updates (one native call per parameter), bit-identical to @cnn/train's tf-op path: every
// scalar arrives already rounded to float32 (as tfjs rounds a JS number operand), and each expression keeps
// the op path's order of float32 operations (no FMA contraction: built with -ffp-contract=off).
//
// adamUpdate(param, grad, m|null, v|null, vmax|null, outParam, outM, outV, outVmax|null, n, amsgrad, scalars)
//   scalars (Float32Array, 8): weightDecay, beta1, 1-beta1, beta2, 1-beta2, sqrt(1-beta2^t), eps, lr/(1-beta1^t)
// sgdUpdate(param, grad, buf|null, outParam, outBuf|null, n, nesterov, scalars)
//   scalars (Float32Array, 5): weightDecay, momentum, 1-dampening, lr, (unused 0)
#include <cmath>

#include "common.h"

namespace onednn_binding {
namespace {

int64_t Count(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), "onednn: optimizer update: 'n' must be a number");
  }
  return info[i].As<Napi::Number>().Int64Value();
}

const float* Scalars(const Napi::CallbackInfo& info, size_t i, size_t count) {
  return F32(info, i, "scalars", count);
}

/** Math.max semantics: NaN when either operand is NaN. */
inline float JsMax(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::nanf("");
  return a > b ? a : b;
}

}  // namespace

Napi::Value AdamUpdate(const Napi::CallbackInfo& info) {
  const int64_t n = Count(info, 9);
  const size_t len = static_cast<size_t>(n);
  const float* p = F32(info, 0, "param", len);
  const float* g = F32(info, 1, "grad", len);
  const float* m0 = F32OrNull(info, 2, "m", len);
  const float* v0 = F32OrNull(info, 3, "v", len);
  const float* vmax0 = F32OrNull(info, 4, "vmax", len);
  float* po = F32(info, 5, "outParam", len);
  float* mo = F32(info, 6, "outM", len);
  float* vo = F32(info, 7, "outV", len);
  float* vmaxo = F32OrNull(info, 8, "outVmax", len);
  const bool amsgrad = info[10].ToBoolean().Value();
  if (amsgrad && vmaxo == nullptr) {
    throw Napi::TypeError::New(info.Env(), "onednn: adamUpdate: amsgrad needs outVmax");
  }
  const float* s = Scalars(info, 11, 8);
  const float wd = s[0], b1 = s[1], omb1 = s[2], b2 = s[3], omb2 = s[4], bc2s = s[5], eps = s[6], step = s[7];
  const bool decay = wd != 0.f;
  for (int64_t i = 0; i < n; ++i) {
    const float gi = decay ? g[i] + p[i] * wd : g[i];
    const float mi = m0 ? m0[i] * b1 + gi * omb1 : gi * omb1;
    const float g2 = gi * gi;
    const float vi = v0 ? v0[i] * b2 + g2 * omb2 : g2 * omb2;
    mo[i] = mi;
    vo[i] = vi;
    float vu = vi;
    if (amsgrad) {
      vu = vmax0 ? JsMax(vmax0[i], vi) : vi;
      vmaxo[i] = vu;
    }
    const float denom = std::sqrt(vu) / bc2s + eps;
    po[i] = p[i] - (mi / denom) * step;
  }
  return info.Env().Undefined();
}

Napi::Value SgdUpdate(const Napi::CallbackInfo& info) {
  const int64_t n = Count(info, 5);
  const size_t len = static_cast<size_t>(n);
  const float* p = F32(info, 0, "param", len);
  const float* g = F32(info, 1, "grad", len);
  const float* buf0 = F32OrNull(info, 2, "buf", len);
  float* po = F32(info, 3, "outParam", len);
  float* bufo = F32OrNull(info, 4, "outBuf", len);
  const bool nesterov = info[6].ToBoolean().Value();
  const float* s = Scalars(info, 7, 5);
  const float wd = s[0], mom = s[1], omd = s[2], lr = s[3];
  const bool decay = wd != 0.f;
  for (int64_t i = 0; i < n; ++i) {
    float d = decay ? g[i] + p[i] * wd : g[i];
    if (bufo) {
      const float b = buf0 ? buf0[i] * mom + d * omd : d;
      bufo[i] = b;
      d = nesterov ? d + b * mom : b;
    }
    po[i] = p[i] - d * lr;
  }
  return info.Env().Undefined();
}

}  // namespace onednn_binding

namespace onednn_binding {

// emaUpdate(avg, param, outAvg, n, weight): outAvg = torch.lerp(avg, param, weight) in float32 with torch's
// formula and the op path's rounding: |w| < 0.5 ? avg + w·(param − avg) : param − (param − avg)·(1 − w), where
// `weight` and `1 − weight` arrive as float32 values (scalars[0], scalars[1]).
Napi::Value EmaUpdate(const Napi::CallbackInfo& info) {
  const int64_t n = Count(info, 3);
  const size_t len = static_cast<size_t>(n);
  const float* avg = F32(info, 0, "avg", len);
  const float* param = F32(info, 1, "param", len);
  float* out = F32(info, 2, "outAvg", len);
  const float* s = Scalars(info, 4, 2);
  const float w = s[0], omw = s[1];
  if (std::fabs(w) < 0.5f) {
    for (int64_t i = 0; i < n; ++i) out[i] = avg[i] + w * (param[i] - avg[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = param[i] - (param[i] - avg[i]) * omw;
  }
  return info.Env().Undefined();
}

}  // namespace onednn_binding
