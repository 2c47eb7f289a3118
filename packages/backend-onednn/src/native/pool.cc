// 2-D max/avg pooling forward (oneDNN) and backward (max: native first-max routing like tfjs; avg: oneDNN
// include-padding backward, which matches tfjs' constant 1/(fh*fw) multiplier). Activations are NHWC.
//
// params (Int32Array, 14): N, H, W, C, OH, OW, KH, KW, strideH, strideW, padTop, padLeft, padBottom, padRight
#include <cstring>
#include <limits>

#include "common.h"

namespace onednn_binding {
namespace {

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
  dnnl::pooling_forward::desc d(prop, alg, src_md, dst_md, g.strides, g.kernel, g.pad_l, g.pad_r);
  return dnnl::pooling_forward::primitive_desc(d, Engine());
}

Napi::Value PoolForward(const Napi::CallbackInfo& info, dnnl::algorithm alg, const char* kernel) {
  Napi::Env env = info.Env();
  auto p = Params(info, 2, "params", kPoolParams);
  PoolGeom g = Geom(p);
  float* x = F32(info, 0, "x", g.src_n);
  float* y = F32(info, 1, "out", g.dst_n);
  try {
    std::string key = Key(kernel, p);
    auto* e = static_cast<PoolFwdEntry*>(CacheGet(key));
    if (!e) {
      auto entry = std::make_unique<PoolFwdEntry>();
      auto pd = FwdPd(g, alg, dnnl::prop_kind::forward_inference);
      entry->prim = dnnl::pooling_forward(pd);
      entry->src_md = pd.src_desc();
      entry->dst_md = pd.dst_desc();
      RecordImpl(kernel, key, pd.impl_info_str());
      e = static_cast<PoolFwdEntry*>(CachePut(key, std::move(entry)));
    }
    e->prim.execute(Stream(), {{DNNL_ARG_SRC, dnnl::memory(e->src_md, Engine(), x)},
                               {DNNL_ARG_DST, dnnl::memory(e->dst_md, Engine(), y)}});
    Stream().wait();
  } catch (const dnnl::error& err) {
    ThrowDnnl(env, kernel, err);
  }
  return env.Undefined();
}

}  // namespace

// maxPool(x, out, params)
Napi::Value MaxPool(const Napi::CallbackInfo& info) {
  return PoolForward(info, dnnl::algorithm::pooling_max, "MaxPool");
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
    auto* e = static_cast<PoolBwdEntry*>(CacheGet(key));
    if (!e) {
      auto entry = std::make_unique<PoolBwdEntry>();
      const auto alg = dnnl::algorithm::pooling_avg_include_padding;
      auto hint = FwdPd(g, alg, dnnl::prop_kind::forward_training);
      dnnl::memory::desc diff_src_md(g.src, dt::f32, tag::nhwc);
      dnnl::memory::desc diff_dst_md(g.dst, dt::f32, tag::nhwc);
      dnnl::pooling_backward::desc d(alg, diff_src_md, diff_dst_md, g.strides, g.kernel, g.pad_l, g.pad_r);
      dnnl::pooling_backward::primitive_desc pd(d, Engine(), hint);
      entry->prim = dnnl::pooling_backward(pd);
      entry->diff_src_md = pd.diff_src_desc();
      entry->diff_dst_md = pd.diff_dst_desc();
      RecordImpl("AvgPoolGrad", key, pd.impl_info_str());
      e = static_cast<PoolBwdEntry*>(CachePut(key, std::move(entry)));
    }
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
        const int64_t hs = oh * SH - PT;
        const int64_t h0 = hs < 0 ? 0 : hs;
        const int64_t h1 = hs + KH < H ? hs + KH : H;
        for (int64_t ow = 0; ow < OW; ++ow) {
          const int64_t ws = ow * SW - PL;
          const int64_t w0 = ws < 0 ? 0 : ws;
          const int64_t w1 = ws + KW < W ? ws + KW : W;
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
