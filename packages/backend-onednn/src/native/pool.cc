// 2-D pooling, NHWC. Max: native forward and backward (first-max routing like tfjs), one pass vectorised over
// channels. Avg: oneDNN forward (padding excluded) and include-padding backward, which matches tfjs' constant
// 1/(fh*fw) multiplier.
//
// params (Int32Array, 14): N, H, W, C, OH, OW, KH, KW, strideH, strideW, padTop, padLeft, padBottom, padRight
#include <cmath>
#include <cstring>
#include <limits>

#include "common.h"
#include "dnnl_compat.h"
#include "ops.h"

namespace onednn_binding {
namespace {

// Input rows (or columns) [lo, hi) under output position `o` of a window of size `k`, stride `s` and
// leading padding `pad`, clipped to an input extent of `size`.
struct Span {
  int64_t lo, hi;
};
inline Span WindowSpan(int64_t o, int64_t s, int64_t pad, int64_t k, int64_t size) {
  const int64_t start = o * s - pad;
  return {start < 0 ? 0 : start, start + k < size ? start + k : size};
}

constexpr size_t kPoolParams = 14;

struct PoolGeom {
  dims src, dst, strides, kernel, pad_l, pad_r;
  size_t src_n, dst_n;
};

PoolGeom Geom(const std::vector<int64_t>& p) {
  PoolGeom g;
  g.src = {p[0], p[3], p[1], p[2]};
  g.dst = {p[0], p[3], p[4], p[5]};
  g.kernel = {p[6], p[7]};
  g.strides = {p[8], p[9]};
  g.pad_l = {p[10], p[11]};
  g.pad_r = {p[12], p[13]};
  g.src_n = static_cast<size_t>(p[0] * p[1] * p[2] * p[3]);
  g.dst_n = static_cast<size_t>(p[0] * p[4] * p[5] * p[3]);
  return g;
}

struct PoolFwdEntry : CacheEntry {
  dnnl::pooling_forward prim;
  dnnl::memory::desc src_md, dst_md;
};

struct PoolBwdEntry : CacheEntry {
  dnnl::pooling_backward prim;
  dnnl::memory::desc diff_src_md, diff_dst_md;
};

dnnl::pooling_forward::primitive_desc FwdPd(const PoolGeom& g, dnnl::algorithm alg, dnnl::prop_kind prop) {
  dnnl::memory::desc src_md(g.src, dt::f32, tag::nhwc);
  dnnl::memory::desc dst_md(g.dst, dt::f32, tag::nhwc);
  return compat::PoolForwardPd(Engine(), prop, alg, src_md, dst_md, g.strides, g.kernel, g.pad_l, g.pad_r);
}

Napi::Value PoolForward(const Napi::CallbackInfo& info, dnnl::algorithm alg, const char* kernel) {
  Napi::Env env = info.Env();
  auto p = Params(info, 2, "params", kPoolParams);
  PoolGeom g = Geom(p);
  float* x = F32(info, 0, "x", g.src_n);
  float* y = F32(info, 1, "out", g.dst_n);
  try {
    std::string key = Key(kernel, p);
    auto* e = CachedEntry<PoolFwdEntry>(key, [&](PoolFwdEntry& entry) {
      auto pd = FwdPd(g, alg, dnnl::prop_kind::forward_inference);
      entry.prim = dnnl::pooling_forward(pd);
      entry.src_md = pd.src_desc();
      entry.dst_md = pd.dst_desc();
      RecordImpl(kernel, key, pd.impl_info_str());
    });
    e->prim.execute(Stream(), {{DNNL_ARG_SRC, dnnl::memory(e->src_md, Engine(), x)},
                               {DNNL_ARG_DST, dnnl::memory(e->dst_md, Engine(), y)}});
    Stream().wait();
  } catch (const dnnl::error& err) {
    ThrowDnnl(env, kernel, err);
  }
  return env.Undefined();
}

/** 4-lane float / int vectors (GCC and Clang vector extensions; SSE2 on x86-64, NEON on arm64). */
typedef float V4f __attribute__((vector_size(16)));
typedef int32_t V4i __attribute__((vector_size(16)));

inline V4i Load4(const float* p) {
  V4i v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void Store4(float* p, V4i v) {
  std::memcpy(p, &v, sizeof v);
}
inline V4i AsI(V4f v) {
  return (V4i)v;
}  // same-size vector cast: bit reinterpretation
inline V4f AsF(V4i v) {
  return (V4f)v;
}

/**
 * Four channels of a 2x2 window: the gradient goes to the first strict maximum in order x0, x1, x2, x3 (NaN and
 * -Infinity never win, like tfjs' scan from -Infinity); the other three positions get 0.
 */
inline void Max2x2Grad4(const float* x0, const float* x1, const float* x2, const float* x3, const float* dy, float* d0,
                        float* d1, float* d2, float* d3) {
  const V4f v0 = AsF(Load4(x0)), v1 = AsF(Load4(x1)), v2 = AsF(Load4(x2)), v3 = AsF(Load4(x3));
  const V4f ninf = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
  const V4i g0 = v0 > ninf;
  V4f m = AsF((AsI(v0) & g0) | (AsI(ninf) & ~g0));
  const V4i g1 = v1 > m;
  m = AsF((AsI(v1) & g1) | (AsI(m) & ~g1));
  const V4i g2 = v2 > m;
  m = AsF((AsI(v2) & g2) | (AsI(m) & ~g2));
  const V4i g3 = v3 > m;
  // Winner masks: the last position whose compare succeeded.
  const V4i w3 = g3;
  const V4i w2 = g2 & ~g3;
  const V4i w1 = g1 & ~g2 & ~g3;
  const V4i w0 = g0 & ~g1 & ~g2 & ~g3;
  const V4i g = Load4(dy);
  Store4(d0, g & w0);
  Store4(d1, g & w1);
  Store4(d2, g & w2);
  Store4(d3, g & w3);
}

/**
 * MaxPoolGrad for windows that tile the input (stride == window, no leading padding); see MaxPoolGrad. The
 * window position of the maximum is tracked as a float lane (exact for small integers) so that compare, select
 * and the final masked store all vectorise over channels.
 */
void MaxPoolGradTiled(const float* dy, const float* x, float* dx, const std::vector<int64_t>& p) {
  const int64_t N = p[0], H = p[1], W = p[2], C = p[3], OH = p[4], OW = p[5], KH = p[6], KW = p[7];
  const int64_t HC = OH * KH < H ? OH * KH : H;  // rows covered by some window
  const int64_t WC = OW * KW < W ? OW * KW : W;
  const float ninf = -std::numeric_limits<float>::infinity();
#pragma omp parallel if (N * H * W * C >= kMemoryBoundParallelMin)
  {
    std::vector<float> best(static_cast<size_t>(C));
    std::vector<float> arg(static_cast<size_t>(C));
#pragma omp for schedule(static)
    for (int64_t n = 0; n < N; ++n) {
      const float* xn = x + n * H * W * C;
      float* dxn = dx + n * H * W * C;
      for (int64_t oh = 0; oh < OH; ++oh) {
        const int64_t h0 = oh * KH;
        const int64_t h1 = h0 + KH < H ? h0 + KH : H;
        for (int64_t ow = 0; ow < OW; ++ow) {
          const int64_t w0 = ow * KW;
          const int64_t w1 = w0 + KW < W ? w0 + KW : W;
          const float* __restrict dyp = dy + ((n * OH + oh) * OW + ow) * C;
          if (h1 - h0 == 2 && w1 - w0 == 2) {  // the common 2x2 window, in registers
            const float* __restrict x0 = xn + (h0 * W + w0) * C;
            const float* __restrict x1 = x0 + C;
            const float* __restrict x2 = x0 + W * C;
            const float* __restrict x3 = x2 + C;
            float* __restrict d0 = dxn + (h0 * W + w0) * C;
            float* __restrict d1 = d0 + C;
            float* __restrict d2 = d0 + W * C;
            float* __restrict d3 = d2 + C;
            int64_t c = 0;
            for (; c + 4 <= C; c += 4)
              Max2x2Grad4(x0 + c, x1 + c, x2 + c, x3 + c, dyp + c, d0 + c, d1 + c, d2 + c, d3 + c);
            for (; c < C; ++c) {
              const float v[4] = {x0[c], x1[c], x2[c], x3[c]};
              float m = ninf;
              int a = -1;
              for (int i = 0; i < 4; ++i) {
                if (v[i] > m) {
                  m = v[i];
                  a = i;
                }
              }
              d0[c] = a == 0 ? dyp[c] : 0.f;
              d1[c] = a == 1 ? dyp[c] : 0.f;
              d2[c] = a == 2 ? dyp[c] : 0.f;
              d3[c] = a == 3 ? dyp[c] : 0.f;
            }
            continue;
          }
          float* __restrict bp = best.data();
          float* __restrict ap = arg.data();
          for (int64_t c = 0; c < C; ++c) {
            bp[c] = ninf;
            ap[c] = -1.f;
          }
          float k = 0.f;
          for (int64_t h = h0; h < h1; ++h) {
            for (int64_t w = w0; w < w1; ++w, k += 1.f) {
              const float* __restrict xp = xn + (h * W + w) * C;
              for (int64_t c = 0; c < C; ++c) {
                const bool gt = xp[c] > bp[c];
                bp[c] = gt ? xp[c] : bp[c];
                ap[c] = gt ? k : ap[c];
              }
            }
          }
          k = 0.f;
          for (int64_t h = h0; h < h1; ++h) {
            for (int64_t w = w0; w < w1; ++w, k += 1.f) {
              float* __restrict dp = dxn + (h * W + w) * C;
              for (int64_t c = 0; c < C; ++c) dp[c] = ap[c] == k ? dyp[c] : 0.f;
            }
          }
        }
        for (int64_t h = h0; h < h1 && WC < W; ++h) {  // columns no window covers
          std::memset(dxn + (h * W + WC) * C, 0, sizeof(float) * static_cast<size_t>((W - WC) * C));
        }
      }
      if (HC < H) std::memset(dxn + HC * W * C, 0, sizeof(float) * static_cast<size_t>((H - HC) * W * C));
    }
  }
}

/**
 * MaxPoolNhwc for one image: xn `[H, W, C]` → yn `[OH, OW, C]` (p: kPoolParams). Compiled for AVX-512, AVX2 and
 * baseline x86-64 (ONEDNN_BINDING_CLONES), so the channel loop runs 16, 8 or 4 lanes wide.
 */
ONEDNN_BINDING_CLONES
void MaxPoolImage(const float* __restrict xn, float* __restrict yn, const int64_t* p) {
  const int64_t H = p[1], W = p[2], C = p[3], OH = p[4], OW = p[5], KH = p[6], KW = p[7];
  const int64_t SH = p[8], SW = p[9], PT = p[10], PL = p[11];
  const float ninf = -std::numeric_limits<float>::infinity();
  for (int64_t oh = 0; oh < OH; ++oh) {
    const auto [h0, h1] = WindowSpan(oh, SH, PT, KH, H);
    for (int64_t ow = 0; ow < OW; ++ow) {
      const auto [w0, w1] = WindowSpan(ow, SW, PL, KW, W);
      float* __restrict yp = yn + (oh * OW + ow) * C;
      for (int64_t c = 0; c < C; ++c) yp[c] = ninf;
      for (int64_t h = h0; h < h1; ++h) {
        for (int64_t w = w0; w < w1; ++w) {
          const float* __restrict xp = xn + (h * W + w) * C;
          for (int64_t c = 0; c < C; ++c) yp[c] = xp[c] > yp[c] ? xp[c] : yp[c];
        }
      }
    }
  }
}

}  // namespace

// Window maxima over NHWC x, vectorised over channels; NaN never wins and an all-padding / all-NaN window
// gives -Infinity, like tfjs' strictly-greater scan. One pass over x; `parallel` splits the batch over the
// OpenMP threads (inference graphs, large batches).
void MaxPoolNhwc(const float* x, float* y, const std::vector<int64_t>& p, bool parallel) {
  const int64_t N = p[0], H = p[1], W = p[2], C = p[3], OH = p[4], OW = p[5];
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t n = 0; n < N; ++n) MaxPoolImage(x + n * H * W * C, y + n * OH * OW * C, p.data());
}

// maxPool(x, out, params): MaxPoolNhwc (parallel over the batch from kMemoryBoundParallelMin input elements),
// which also avoids oneDNN's per-call pooling overhead.
Napi::Value MaxPool(const Napi::CallbackInfo& info) {
  auto p = Params(info, 2, "params", kPoolParams);
  PoolGeom g = Geom(p);
  const float* x = F32(info, 0, "x", g.src_n);
  float* y = F32(info, 1, "out", g.dst_n);
  RecordImpl("MaxPool", Key("MaxPool", p), "native:max_nhwc");
  MaxPoolNhwc(x, y, p, static_cast<int64_t>(g.src_n) >= kMemoryBoundParallelMin);
  return info.Env().Undefined();
}

// avgPool(x, out, params): padded cells are excluded from the mean, as in tfjs.
Napi::Value AvgPool(const Napi::CallbackInfo& info) {
  return PoolForward(info, dnnl::algorithm::pooling_avg_exclude_padding, "AvgPool");
}

// avgPoolGrad(dy, dxOut, params): dx = sum of covering dy / (KH*KW), as tfjs' cpu kernel.
Napi::Value AvgPoolGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto p = Params(info, 2, "params", kPoolParams);
  PoolGeom g = Geom(p);
  float* dy = F32(info, 0, "dy", g.dst_n);
  float* dx = F32(info, 1, "out", g.src_n);
  try {
    std::string key = Key("AvgPoolGrad", p);
    auto* e = CachedEntry<PoolBwdEntry>(key, [&](PoolBwdEntry& entry) {
      const auto alg = dnnl::algorithm::pooling_avg_include_padding;
      auto hint = FwdPd(g, alg, dnnl::prop_kind::forward_training);
      dnnl::memory::desc diff_src_md(g.src, dt::f32, tag::nhwc);
      dnnl::memory::desc diff_dst_md(g.dst, dt::f32, tag::nhwc);
      auto pd =
          compat::PoolBackwardPd(Engine(), alg, diff_src_md, diff_dst_md, g.strides, g.kernel, g.pad_l, g.pad_r, hint);
      entry.prim = dnnl::pooling_backward(pd);
      entry.diff_src_md = pd.diff_src_desc();
      entry.diff_dst_md = pd.diff_dst_desc();
      RecordImpl("AvgPoolGrad", key, pd.impl_info_str());
    });
    e->prim.execute(Stream(), {{DNNL_ARG_DIFF_DST, dnnl::memory(e->diff_dst_md, Engine(), dy)},
                               {DNNL_ARG_DIFF_SRC, dnnl::memory(e->diff_src_md, Engine(), dx)}});
    Stream().wait();
  } catch (const dnnl::error& err) {
    ThrowDnnl(env, "AvgPoolGrad", err);
  }
  return env.Undefined();
}

// maxPoolGrad(dy, x, dxOut, params): each window's gradient goes to the FIRST maximum in row-major window
// order (strictly-greater scan, padding skipped), exactly like tfjs' maxPoolPositions + maxPoolGrad.
Napi::Value MaxPoolGrad(const Napi::CallbackInfo& info) {
  auto p = Params(info, 3, "params", kPoolParams);
  PoolGeom g = Geom(p);
  const float* dy = F32(info, 0, "dy", g.dst_n);
  const float* x = F32(info, 1, "x", g.src_n);
  float* dx = F32(info, 2, "out", g.src_n);
  const int64_t N = p[0], H = p[1], W = p[2], C = p[3], OH = p[4], OW = p[5], KH = p[6], KW = p[7];
  const int64_t SH = p[8], SW = p[9], PT = p[10], PL = p[11];
  // Non-overlapping windows starting at (0, 0) (e.g. 2x2 stride 2, 'valid' or 'same'): every dx element is
  // written exactly once, in one pass, with no scatter and no memset.
  if (KH == SH && KW == SW && PT == 0 && PL == 0) {
    RecordImpl("MaxPoolGrad", Key("MaxPoolGrad", p), "native:first_max_tiled");
    MaxPoolGradTiled(dy, x, dx, p);
    return info.Env().Undefined();
  }
  RecordImpl("MaxPoolGrad", Key("MaxPoolGrad", p), "native:first_max_scatter");
  // Scatter loop: memory-bound and light; single-threaded (see eltwise.cc on OpenMP stalls).
  {
    std::vector<float> best(static_cast<size_t>(C));
    std::vector<int32_t> arg(static_cast<size_t>(C));  // int32 lanes vectorise with the float compare
    for (int64_t n = 0; n < N; ++n) {
      float* dxn = dx + n * H * W * C;
      std::memset(dxn, 0, sizeof(float) * static_cast<size_t>(H * W * C));
      const float* xn = x + n * H * W * C;
      for (int64_t oh = 0; oh < OH; ++oh) {
        const auto [h0, h1] = WindowSpan(oh, SH, PT, KH, H);
        for (int64_t ow = 0; ow < OW; ++ow) {
          const auto [w0, w1] = WindowSpan(ow, SW, PL, KW, W);
          float* bp = best.data();
          int32_t* ap = arg.data();
          for (int64_t c = 0; c < C; ++c) {
            bp[c] = -std::numeric_limits<float>::infinity();
            ap[c] = -1;
          }
          for (int64_t h = h0; h < h1; ++h) {
            for (int64_t w = w0; w < w1; ++w) {
              const int32_t pos = static_cast<int32_t>(h * W + w);
              const float* xp = xn + pos * C;
              for (int64_t c = 0; c < C; ++c) {
                const bool gt = xp[c] > bp[c];
                bp[c] = gt ? xp[c] : bp[c];
                ap[c] = gt ? pos : ap[c];
              }
            }
          }
          const float* dyp = dy + ((n * OH + oh) * OW + ow) * C;
          for (int64_t c = 0; c < C; ++c) {
            if (ap[c] >= 0) dxn[static_cast<int64_t>(ap[c]) * C + c] += dyp[c];
          }
        }
      }
    }
  }
  return info.Env().Undefined();
}

}  // namespace onednn_binding
