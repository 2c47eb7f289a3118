// Elementwise and reduction kernels that dominate a training step once convolutions are native:
// Relu, Step (relu's gradient mask), same-shape / row-broadcast / scalar Add-Sub-Mul-Div, and Sum over
// leading (outer) or trailing (inner) axes. Sums accumulate in double like tfjs' JS loops (which accumulate in
// a JS number). These loops are memory-bound; they go parallel from kMemoryBoundParallelMin elements (common.h).
#ifdef _OPENMP
#include <omp.h>
#endif

#include <cmath>
#include <cstring>
#include <vector>

#include "common.h"

namespace onednn_binding {
namespace {

constexpr int64_t kParallelMin = kMemoryBoundParallelMin;

int64_t Int(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (i >= info.Length() || !info[i].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), std::string("onednn: argument '") + what + "' must be a number");
  }
  return info[i].As<Napi::Number>().Int64Value();
}

template <typename Op>
void BinaryLoop(const float* a, const float* b, float* out, int64_t outer, int64_t inner, int mode, Op op) {
  const int64_t n = outer * inner;
  switch (mode) {
    case 0:  // same shape
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
      for (int64_t i = 0; i < n; ++i) out[i] = op(a[i], b[i]);
      break;
    case 1:  // b is one row of `inner`, repeated over `outer`
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
      for (int64_t r = 0; r < outer; ++r) {
        const float* ar = a + r * inner;
        float* orow = out + r * inner;
        for (int64_t j = 0; j < inner; ++j) orow[j] = op(ar[j], b[j]);
      }
      break;
    case 2:  // a is one row
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
      for (int64_t r = 0; r < outer; ++r) {
        const float* br = b + r * inner;
        float* orow = out + r * inner;
        for (int64_t j = 0; j < inner; ++j) orow[j] = op(a[j], br[j]);
      }
      break;
    case 3: {  // b scalar
      const float s = b[0];
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
      for (int64_t i = 0; i < n; ++i) out[i] = op(a[i], s);
      break;
    }
    case 4: {  // a scalar
      const float s = a[0];
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
      for (int64_t i = 0; i < n; ++i) out[i] = op(s, b[i]);
      break;
    }
    default:
      break;
  }
}

/** Math.max / Math.min semantics: NaN when either operand is NaN. */
inline float JsMax(float a, float b) {
  return (a != a || b != b) ? std::nanf("") : (a > b ? a : b);
}
inline float JsMin(float a, float b) {
  return (a != a || b != b) ? std::nanf("") : (a < b ? a : b);
}

/** Calls `fn(op)` with the functor of binary op code `code` (see Binary). */
template <typename Fn>
void WithOp(int64_t code, Fn fn) {
  switch (code) {
    case 0:
      fn([](float x, float y) { return x + y; });
      break;
    case 1:
      fn([](float x, float y) { return x - y; });
      break;
    case 2:
      fn([](float x, float y) { return x * y; });
      break;
    case 3:
      fn([](float x, float y) { return x / y; });
      break;
    case 4:
      fn([](float x, float y) { return JsMax(x, y); });
      break;
    case 5:
      fn([](float x, float y) { return JsMin(x, y); });
      break;
    default:
      fn([](float x, float y) {
        const float d = x - y;
        return d * d;
      });
      break;
  }
}

constexpr int64_t kNumOps = 7;

/**
 * out[i0, i1, i2, i3] = op(a[Σ ik·as_k], b[Σ ik·bs_k]) over a 4-d output; the innermost dimension has
 * strides 0 or 1 for each operand (a broadcast or a contiguous run).
 */
template <typename Op>
void StridedLoop(const float* a, const float* b, float* out, const int64_t* d, const int64_t* as, const int64_t* bs,
                 Op op) {
  const int64_t n3 = d[3];
  const int64_t outer = d[0] * d[1] * d[2];
  for (int64_t o = 0; o < outer; ++o) {
    const int64_t i2 = o % d[2];
    const int64_t i1 = (o / d[2]) % d[1];
    const int64_t i0 = o / (d[2] * d[1]);
    const float* __restrict ar = a + i0 * as[0] + i1 * as[1] + i2 * as[2];
    const float* __restrict br = b + i0 * bs[0] + i1 * bs[1] + i2 * bs[2];
    float* __restrict orow = out + o * n3;
    if (as[3] == 1 && bs[3] == 1) {
      for (int64_t j = 0; j < n3; ++j) orow[j] = op(ar[j], br[j]);
    } else if (as[3] == 1) {
      const float s = br[0];
      for (int64_t j = 0; j < n3; ++j) orow[j] = op(ar[j], s);
    } else if (bs[3] == 1) {
      const float s = ar[0];
      for (int64_t j = 0; j < n3; ++j) orow[j] = op(s, br[j]);
    } else {
      const float v = op(ar[0], br[0]);
      for (int64_t j = 0; j < n3; ++j) orow[j] = v;
    }
  }
}

}  // namespace

ONEDNN_BINDING_CLONES bool AllFinite(const float* x, size_t n) {
  float acc = 0.f;  // x·0 is 0 for a finite x and NaN for NaN or ±Infinity
#pragma omp simd reduction(+ : acc)
  for (size_t i = 0; i < n; ++i) acc += x[i] * 0.f;
  return acc == 0.f;
}

void ReluInPlace(float* x, size_t n) {
  const int64_t m = static_cast<int64_t>(n);
#pragma omp parallel for schedule(static) if (m >= kParallelMin)
  for (int64_t i = 0; i < m; ++i) x[i] = x[i] < 0.f ? 0.f : x[i];
}

// binaryStrided(op, a, b, out, dims, aStrides, bStrides): general broadcast over a (collapsed) 4-d output;
// dims/strides are Int32Array(4), innermost strides 0 or 1. op as in `binary`.
Napi::Value BinaryStrided(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t op = Int(info, 0, "op");
  if (op < 0 || op >= kNumOps) throw Napi::RangeError::New(env, "onednn: binaryStrided: op out of range");
  const std::vector<int64_t> d = Params(info, 4, "dims", 4);
  const std::vector<int64_t> as = Params(info, 5, "aStrides", 4);
  const std::vector<int64_t> bs = Params(info, 6, "bStrides", 4);
  if (as[3] < 0 || as[3] > 1 || bs[3] < 0 || bs[3] > 1) {
    throw Napi::RangeError::New(env, "onednn: binaryStrided: innermost strides must be 0 or 1");
  }
  size_t a_len = 1, b_len = 1;
  for (int k = 0; k < 4; ++k) {
    if (d[k] <= 0) throw Napi::RangeError::New(env, "onednn: binaryStrided: dims must be positive");
    a_len += static_cast<size_t>((d[k] - 1) * as[k]);
    b_len += static_cast<size_t>((d[k] - 1) * bs[k]);
  }
  const float* a = F32(info, 1, "a", a_len);
  const float* b = F32(info, 2, "b", b_len);
  float* out = F32(info, 3, "out", static_cast<size_t>(d[0] * d[1] * d[2] * d[3]));
  WithOp(op, [&](auto f) { StridedLoop(a, b, out, d.data(), as.data(), bs.data(), f); });
  return env.Undefined();
}

// gather(x, indices, out, batch, outer, dimSize, slice, count): out[b, o, i, :] = x[b, o, indices[b, i], :] for
// x `[batch, outer, dimSize, slice]` and indices `[batch, count]` (int32), i.e. tfjs GatherV2 after its reshape.
// Returns false (writing nothing) when an index is outside [0, dimSize), so the caller can raise tfjs' error.
Napi::Value Gather(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t batch = Int(info, 3, "batch");
  const int64_t outer = Int(info, 4, "outer");
  const int64_t dim = Int(info, 5, "dimSize");
  const int64_t slice = Int(info, 6, "slice");
  const int64_t count = Int(info, 7, "count");
  if (batch < 0 || outer < 0 || dim < 0 || slice < 0 || count < 0) {
    throw Napi::RangeError::New(env, "onednn: gather: sizes must be non-negative");
  }
  if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      info[1].As<Napi::Int32Array>().ElementLength() < static_cast<size_t>(batch * count)) {
    throw Napi::TypeError::New(env, "onednn: gather: 'indices' must be an Int32Array of batch * count entries");
  }
  const int32_t* idx = info[1].As<Napi::Int32Array>().Data();
  const float* x = F32(info, 0, "x", static_cast<size_t>(batch * outer * dim * slice));
  float* out = F32(info, 2, "out", static_cast<size_t>(batch * outer * count * slice));
  for (int64_t i = 0; i < batch * count; ++i) {
    if (idx[i] < 0 || idx[i] >= dim) return Napi::Boolean::New(env, false);
  }
  const size_t bytes = sizeof(float) * static_cast<size_t>(slice);
  for (int64_t b = 0; b < batch; ++b) {
    const int32_t* ib = idx + b * count;
    for (int64_t o = 0; o < outer; ++o) {
      const float* xs = x + (b * outer + o) * dim * slice;
      float* os = out + (b * outer + o) * count * slice;
      if (slice == 1) {
        for (int64_t i = 0; i < count; ++i) os[i] = xs[ib[i]];
      } else if (slice == 3) {
        for (int64_t i = 0; i < count; ++i) {
          const float* src = xs + ib[i] * 3;
          float* dst = os + i * 3;
          dst[0] = src[0];
          dst[1] = src[1];
          dst[2] = src[2];
        }
      } else {
        for (int64_t i = 0; i < count; ++i) std::memcpy(os + i * slice, xs + ib[i] * slice, bytes);
      }
    }
  }
  return Napi::Boolean::New(env, true);
}

// clip(x, out, n, lo, hi): out = x > hi ? hi : x < lo ? lo : x (NaN passes through, as tfjs ClipByValue).
Napi::Value Clip(const Napi::CallbackInfo& info) {
  const int64_t n = Int(info, 2, "n");
  const float* x = F32(info, 0, "x", static_cast<size_t>(n));
  float* out = F32(info, 1, "out", static_cast<size_t>(n));
  const float lo = info[3].As<Napi::Number>().FloatValue();
  const float hi = info[4].As<Napi::Number>().FloatValue();
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    out[i] = v > hi ? hi : (v < lo ? lo : v);
  }
  return info.Env().Undefined();
}

// relu(x, out, n): out = x < 0 ? 0 : x (NaN passes through, as tfjs).
Napi::Value Relu(const Napi::CallbackInfo& info) {
  const int64_t n = Int(info, 2, "n");
  const float* x = F32(info, 0, "x", static_cast<size_t>(n));
  float* out = F32(info, 1, "out", static_cast<size_t>(n));
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] < 0.f ? 0.f : x[i];
  return info.Env().Undefined();
}

// step(x, out, n, alpha): out = NaN if x is NaN, 1 if x > 0, else alpha (tfjs Step).
Napi::Value Step(const Napi::CallbackInfo& info) {
  const int64_t n = Int(info, 2, "n");
  const float* x = F32(info, 0, "x", static_cast<size_t>(n));
  float* out = F32(info, 1, "out", static_cast<size_t>(n));
  const float alpha = info[3].As<Napi::Number>().FloatValue();
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) out[i] = std::isnan(x[i]) ? x[i] : (x[i] > 0.f ? 1.f : alpha);
  return info.Env().Undefined();
}

// reluBiasGrad(dy, y, dz, dbias, rows, channels): ReLU's gradient through its output y, dz = dy * step(y)
// exactly as tfjs computes it (step: 1 where y > 0, 0 elsewhere, NaN where y is NaN), and the bias gradient
// dbias[c] = sum over rows of dz[., c], accumulated in double like tfjs' Sum. One pass.
Napi::Value ReluBiasGrad(const Napi::CallbackInfo& info) {
  const int64_t rows = Int(info, 4, "rows");
  const int64_t channels = Int(info, 5, "channels");
  const size_t n = static_cast<size_t>(rows * channels);
  const float* dy = F32(info, 0, "dy", n);
  const float* y = F32(info, 1, "y", n);
  float* dz = F32(info, 2, "dz", n);
  float* dbias = F32(info, 3, "dbias", static_cast<size_t>(channels));
  std::vector<double> acc(static_cast<size_t>(channels), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    const float* dyr = dy + r * channels;
    const float* yr = y + r * channels;
    float* dzr = dz + r * channels;
    double* a = acc.data();
#pragma omp simd  // dz, dy, y and acc never alias
    for (int64_t c = 0; c < channels; ++c) {
      const float yv = yr[c];
      float mask = yv > 0.f ? 1.f : 0.f;  // tfjs' step(y); two flat selects so the loop vectorizes
      mask = yv != yv ? yv : mask;
      const float v = dyr[c] * mask;
      dzr[c] = v;
      a[c] += v;
    }
  }
  for (int64_t c = 0; c < channels; ++c) dbias[c] = static_cast<float>(acc[c]);
  return info.Env().Undefined();
}

// binary(op, a, b, out, outer, inner, mode); op: 0 add, 1 sub, 2 mul, 3 div, 4 maximum, 5 minimum,
// 6 squared difference;
// mode: 0 same shape, 1 b is a row of `inner`, 2 a is a row, 3 b scalar, 4 a scalar.
Napi::Value Binary(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t op = Int(info, 0, "op");
  const int64_t outer = Int(info, 4, "outer");
  const int64_t inner = Int(info, 5, "inner");
  const int mode = static_cast<int>(Int(info, 6, "mode"));
  if (op < 0 || op >= kNumOps || mode < 0 || mode > 4)
    throw Napi::RangeError::New(env, "onednn: binary op/mode out of range");
  const size_t n = static_cast<size_t>(outer * inner);
  const size_t a_len = mode == 2 ? static_cast<size_t>(inner) : mode == 4 ? 1 : n;
  const size_t b_len = mode == 1 ? static_cast<size_t>(inner) : mode == 3 ? 1 : n;
  const float* a = F32(info, 1, "a", a_len);
  const float* b = F32(info, 2, "b", b_len);
  float* out = F32(info, 3, "out", n);
  WithOp(op, [&](auto f) { BinaryLoop(a, b, out, outer, inner, mode, f); });
  return env.Undefined();
}

/** Optional trailing `divisor` argument of the sums (Mean = sum / count, divided once in double). */
double Divisor(const Napi::CallbackInfo& info, size_t i) {
  return i < info.Length() && info[i].IsNumber() ? info[i].As<Napi::Number>().DoubleValue() : 1.0;
}

// sumOuter(x, out, outer, inner, divisor = 1): out[j] = sum_i x[i * inner + j] / divisor  (reduce leading axes).
Napi::Value SumOuter(const Napi::CallbackInfo& info) {
  const int64_t outer = Int(info, 2, "outer");
  const int64_t inner = Int(info, 3, "inner");
  const double divisor = Divisor(info, 4);
  const float* x = F32(info, 0, "x", static_cast<size_t>(outer * inner));
  float* out = F32(info, 1, "out", static_cast<size_t>(inner));
  const int threads = outer * inner >= kParallelMin ? MaxThreads() : 1;
  std::vector<double> partial(static_cast<size_t>(threads * inner), 0.0);
#pragma omp parallel num_threads(threads)
  {
    double* acc = partial.data() + ThreadId() * inner;
#pragma omp for schedule(static)
    for (int64_t i = 0; i < outer; ++i) {
      const float* row = x + i * inner;
      for (int64_t j = 0; j < inner; ++j) acc[j] += row[j];
    }
  }
  for (int64_t j = 0; j < inner; ++j) {
    double s = 0;
    for (int t = 0; t < threads; ++t) s += partial[static_cast<size_t>(t * inner + j)];
    out[j] = static_cast<float>(s / divisor);
  }
  return info.Env().Undefined();
}

// sumInner(x, out, outer, inner, divisor = 1): out[i] = sum_j x[i * inner + j] / divisor  (reduce trailing axes).
Napi::Value SumInner(const Napi::CallbackInfo& info) {
  const int64_t outer = Int(info, 2, "outer");
  const int64_t inner = Int(info, 3, "inner");
  const double divisor = Divisor(info, 4);
  const float* x = F32(info, 0, "x", static_cast<size_t>(outer * inner));
  float* out = F32(info, 1, "out", static_cast<size_t>(outer));
#pragma omp parallel for schedule(static) if (outer * inner >= kParallelMin)
  for (int64_t i = 0; i < outer; ++i) {
    const float* row = x + i * inner;
    double s = 0;
    for (int64_t j = 0; j < inner; ++j) s += row[j];
    out[i] = static_cast<float>(s / divisor);
  }
  return info.Env().Undefined();
}

// square(x, out, n): out = x * x.
Napi::Value Square(const Napi::CallbackInfo& info) {
  const int64_t n = Int(info, 2, "n");
  const float* x = F32(info, 0, "x", static_cast<size_t>(n));
  float* out = F32(info, 1, "out", static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] * x[i];
  return info.Env().Undefined();
}

// tileRows(x, out, rows, rowLen): out = x (rowLen values) repeated `rows` times.
Napi::Value TileRows(const Napi::CallbackInfo& info) {
  const int64_t rows = Int(info, 2, "rows");
  const int64_t len = Int(info, 3, "rowLen");
  const float* x = F32(info, 0, "x", static_cast<size_t>(len));
  float* out = F32(info, 1, "out", static_cast<size_t>(rows * len));
  for (int64_t r = 0; r < rows; ++r) std::memcpy(out + r * len, x, sizeof(float) * static_cast<size_t>(len));
  return info.Env().Undefined();
}

// batchNorm(x, mean, variance, offset|null, scale|null, out, outer, channels, eps): per channel c (last axis),
// out = offset[c] + (x - mean[c]) * scale[c] / sqrt(variance[c] + eps), as tfjs' cpu kernel. Each of
// mean/variance/offset/scale holds `channels` values (the JS side expands scalars).
Napi::Value BatchNorm(const Napi::CallbackInfo& info) {
  const int64_t outer = Int(info, 6, "outer");
  const int64_t C = Int(info, 7, "channels");
  const size_t c = static_cast<size_t>(C);
  const float* x = F32(info, 0, "x", static_cast<size_t>(outer * C));
  const float* mean = F32(info, 1, "mean", c);
  const float* var = F32(info, 2, "variance", c);
  const float* off = F32OrNull(info, 3, "offset", c);
  const float* sc = F32OrNull(info, 4, "scale", c);
  float* out = F32(info, 5, "out", static_cast<size_t>(outer * C));
  const double eps = info[8].As<Napi::Number>().DoubleValue();
  // Per channel: out = off + (x - m) * k with k = scale / sqrt(var + eps) (differs from tfjs' order by <= 1 ulp).
  std::vector<float> k(c), o(c);
  for (int64_t j = 0; j < C; ++j) {
    k[j] = static_cast<float>((sc ? sc[j] : 1.0) / std::sqrt(static_cast<double>(var[j]) + eps));
    o[j] = off ? off[j] : 0.f;
  }
  const float* __restrict kp = k.data();
  const float* __restrict op = o.data();
  for (int64_t r = 0; r < outer; ++r) {
    const float* __restrict xr = x + r * C;
    float* __restrict yr = out + r * C;
    for (int64_t j = 0; j < C; ++j) yr[j] = op[j] + (xr[j] - mean[j]) * kp[j];
  }
  return info.Env().Undefined();
}

}  // namespace onednn_binding
