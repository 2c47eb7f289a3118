// 2-D convolution (forward with optional bias + relu, backward data, backward weights) on oneDNN.
// Activations are NHWC; filters are tfjs' HWIO `[fh, fw, inC, outC]`. oneDNN picks its preferred weights
// layout (format_tag::any); the HWIO user weights are reordered to/from it with a cached reorder primitive.
//
// params (Int32Array, 17): N, H, W, IC, OH, OW, OC, KH, KW, strideH, strideW, dilationH, dilationW,
//                          padTop, padLeft, padBottom, padRight   (dilations in tfjs convention, 1 = dense)
// read into a ConvGeometry (conv_geometry.h) at the entry points.
#include <algorithm>
#include <cstdlib>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "common.h"
#include "dnnl_compat.h"
#include "ops.h"
#include "winograd.h"

namespace onednn_binding {
namespace {

/** A ConvGeometry as oneDNN's dims (NCHW logical order, OIHW weights). */
struct ConvDims {
  dims src, wei, dst, bias, strides, dilates, pad_l, pad_r;
  size_t src_n, wei_n, dst_n;
};

ConvDims Dims(const ConvGeometry& c) {
  ConvDims g;
  g.src = {c.batch, c.in_channels, c.in_height, c.in_width};
  g.wei = {c.out_channels, c.in_channels, c.kernel_h, c.kernel_w};
  g.dst = {c.batch, c.out_channels, c.out_height, c.out_width};
  g.bias = {c.out_channels};
  g.strides = {c.stride_h, c.stride_w};
  g.dilates = {c.dilation_h - 1, c.dilation_w - 1};  // oneDNN counts the gaps: tfjs 1 == oneDNN 0
  g.pad_l = {c.pad_top, c.pad_left};
  g.pad_r = {c.pad_bottom, c.pad_right};
  g.src_n = c.src_size();
  g.wei_n = c.weights_size();
  g.dst_n = c.dst_size();
  return g;
}

/** The conv params argument at `index` (17 entries, see the file comment) as a geometry, and the raw params. */
ConvGeometry GeometryArg(const Napi::CallbackInfo& info, size_t index, std::vector<int64_t>& params) {
  params = Params(info, index, "params", ConvGeometry::kParams);
  return ConvGeometry::FromParams(params);
}

/** True when ONEDNN_PLAIN_WEIGHTS=1: force HWIO weights (no reorder) instead of format_tag::any. */
bool PlainWeights() {
  static const bool plain = [] {
    const char* v = std::getenv("ONEDNN_PLAIN_WEIGHTS");
    return v != nullptr && v[0] == '1';
  }();
  return plain;
}

dnnl::memory::desc UserWeightsMd(const ConvDims& g) {
  return {g.wei, dt::f32, tag::hwio};
}
/** The weights the primitive takes: oneDNN's choice of layout (HWIO with ONEDNN_PLAIN_WEIGHTS=1), in `type`. */
dnnl::memory::desc AnyWeightsMd(const ConvDims& g, dt type = dt::f32) {
  return dnnl::memory::desc(g.wei, type, PlainWeights() ? tag::hwio : tag::any);
}

/** True when the training convolutions run in bf16 (see precision.cc). */
bool Bf16() {
  return GetPrecision() == Precision::kBf16;
}

dnnl::convolution_forward::primitive_desc FwdPd(const ConvDims& g, bool bias, bool relu, dnnl::prop_kind prop,
                                                const dnnl::memory::desc& src_md, const dnnl::memory::desc& dst_md,
                                                dt weights_type = dt::f32) {
  dnnl::memory::desc bias_md = bias ? dnnl::memory::desc(g.bias, dt::f32, tag::a) : dnnl::memory::desc();
  dnnl::primitive_attr attr = UserScratchpadAttr();
  if (relu) {
    dnnl::post_ops ops;
    compat::AppendRelu(ops);
    attr.set_post_ops(ops);
  }
  return compat::ConvForwardPd(Engine(), prop, src_md, AnyWeightsMd(g, weights_type), bias_md, dst_md, g.strides,
                               g.dilates, g.pad_l, g.pad_r, attr);
}

dnnl::convolution_forward::primitive_desc FwdPd(const ConvDims& g, bool bias, bool relu, dnnl::prop_kind prop,
                                                tag src_tag = tag::nhwc, tag dst_tag = tag::nhwc) {
  return FwdPd(g, bias, relu, prop, dnnl::memory::desc(g.src, dt::f32, src_tag),
               dnnl::memory::desc(g.dst, dt::f32, dst_tag));
}

/** Weights in oneDNN's chosen layout plus the reorder from/to the user's HWIO buffer. */
struct WeightsBridge {
  bool needs_reorder = false;
  dnnl::memory::desc user_md, prim_md;
  dnnl::memory prim_mem;  // owned buffer in the primitive's layout (only when needs_reorder)
  dnnl::reorder reorder;

  void Init(const dnnl::memory::desc& user, const dnnl::memory::desc& prim, bool to_user) {
    user_md = user;
    prim_md = prim;
    needs_reorder = user != prim;
    if (needs_reorder) {
      prim_mem = dnnl::memory(prim_md, Engine());
      reorder = to_user ? dnnl::reorder(dnnl::reorder::primitive_desc(Engine(), prim_md, Engine(), user_md))
                        : dnnl::reorder(dnnl::reorder::primitive_desc(Engine(), user_md, Engine(), prim_md));
    }
  }
};

struct ConvFwdEntry : CacheEntry {
  dnnl::memory::desc scratch_md;
  dnnl::convolution_forward prim;
  dnnl::memory::desc src_md, dst_md, bias_md;
  WeightsBridge w;
  Bf16Input src_bf16;  // bf16 precision only
};

struct ConvBwdDataEntry : CacheEntry {
  dnnl::memory::desc scratch_md;
  dnnl::convolution_backward_data prim;
  dnnl::memory::desc diff_src_md, diff_dst_md;
  WeightsBridge w;
  Bf16Input diff_dst_bf16;  // bf16 precision only
};

/**
 * Backward data for few input channels (e.g. a first layer on grey images), where oneDNN's direct kernels
 * are slow: cols[P, KH*KW*IC] = dy[P, OC] x filter[KH*KW*IC, OC]^T on oneDNN matmul, then col2im.
 */
struct ConvBwdDataGemmEntry : CacheEntry {
  dnnl::memory::desc scratch_md;
  dnnl::matmul prim;
  dnnl::memory::desc dy_md, w_md;
  dnnl::memory cols;
};

struct ConvBwdWeightsEntry : CacheEntry {
  dnnl::memory::desc scratch_md;
  dnnl::convolution_backward_weights prim;
  dnnl::memory::desc src_md, diff_dst_md;
  WeightsBridge w;
  Bf16Input src_bf16, diff_dst_bf16;  // bf16 precision only
};

/**
 * The bf16 forward primitive descriptor of the backward passes' hint: bf16 src, weights and dst (NHWC), as
 * oneDNN's bf16 training forward.
 */
dnnl::convolution_forward::primitive_desc Bf16HintPd(const ConvDims& g) {
  return FwdPd(g, false, false, dnnl::prop_kind::forward_training, dnnl::memory::desc(g.src, dt::bf16, tag::nhwc),
               dnnl::memory::desc(g.dst, dt::bf16, tag::nhwc), dt::bf16);
}

/** Adds the shared scratchpad to `args` when the primitive needs one. */
void AddScratchpad(std::unordered_map<int, dnnl::memory>& args, const dnnl::memory::desc& md) {
  if (md.get_size() > 0) args[DNNL_ARG_SCRATCHPAD] = Scratchpad(md);
}

/** Gives the primitive's weights memory: the user buffer itself, or the reordered copy. */
dnnl::memory WeightsIn(WeightsBridge& w, float* user) {
  dnnl::memory user_mem(w.user_md, Engine(), user);
  if (!w.needs_reorder) return user_mem;
  w.reorder.execute(Stream(), user_mem, w.prim_mem);
  return w.prim_mem;
}

/** Marks a shape that runs on the Winograd path (cached so its implementation is recorded once). */
struct WinogradEntry : CacheEntry {};

/**
 * The Winograd tile of a training pass whose output is out_h x out_w (TileForOutput of the training setting),
 * recording `kernel`'s implementation for `key` (the shape and the tile) the first time it is seen.
 */
WinogradTile NoteWinograd(const char* kernel, const std::string& shape_key, int64_t out_h, int64_t out_w) {
  const WinogradTile tile = TileForOutput(GetTrainingWinogradTile(), out_h, out_w);
  const std::string key = shape_key + ":f" + std::to_string(static_cast<int>(tile));
  if (!CacheGet(key)) {
    RecordImpl(kernel, key, WinogradImpl(tile));
    CachePut(key, std::make_unique<WinogradEntry>());
  }
  return tile;
}

}  // namespace

dnnl::convolution_forward::primitive_desc ConvForwardDesc(const ConvGeometry& c, bool bias, bool relu) {
  return FwdPd(Dims(c), bias, relu, dnnl::prop_kind::forward_inference);
}

dnnl::convolution_forward::primitive_desc ConvForwardDesc(const ConvGeometry& c, bool bias, bool relu, bool any_src,
                                                          bool any_dst) {
  return FwdPd(Dims(c), bias, relu, dnnl::prop_kind::forward_inference, any_src ? tag::any : tag::nhwc,
               any_dst ? tag::any : tag::nhwc);
}

dnnl::convolution_forward::primitive_desc ConvForwardDesc(const ConvGeometry& c, bool bias, bool relu,
                                                          const dnnl::memory::desc& src,
                                                          const dnnl::memory::desc& dst) {
  return FwdPd(Dims(c), bias, relu, dnnl::prop_kind::forward_inference, src, dst);
}

dnnl::memory::desc ConvUserWeightsDesc(const ConvGeometry& c) {
  return UserWeightsMd(Dims(c));
}

// conv2dForward(x, filter, bias|null, out, params, relu)
Napi::Value Conv2dForward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<int64_t> p;
  const ConvGeometry c = GeometryArg(info, 4, p);
  const ConvDims g = Dims(c);
  float* x = F32(info, 0, "x", g.src_n);
  float* w = F32(info, 1, "filter", g.wei_n);
  float* b = F32OrNull(info, 2, "bias", static_cast<size_t>(c.out_channels));
  float* y = F32(info, 3, "out", g.dst_n);
  const bool relu = info.Length() > 5 && info[5].ToBoolean().Value();
  try {
    const bool bf16 = Bf16();
    if (!bf16 && WinogradApplies(c, false)) {  // its relu is NaN-preserving
      const int flags = (b ? 1 : 0) | (relu ? 2 : 0);
      WinogradForward(c, x, w, b, relu, y,
                      NoteWinograd("Conv2D", Key("wino_fwd", p, flags), c.out_height, c.out_width));
      return env.Undefined();
    }
    const bool fuse_relu = FuseRelu(relu, {{x, g.src_n}, {w, g.wei_n}, {b, static_cast<size_t>(c.out_channels)}});
    const int flags = (b ? 1 : 0) | (fuse_relu ? 2 : 0);
    std::string key = Key(bf16 ? "conv_fwd_bf16" : "conv_fwd", p, flags);
    auto* e = CachedEntry<ConvFwdEntry>(key, [&](ConvFwdEntry& entry) {
      // bf16: bf16 src and weights, f32 bias and dst (f32 accumulation).
      auto pd = bf16 ? FwdPd(g, b != nullptr, fuse_relu, dnnl::prop_kind::forward_inference,
                             dnnl::memory::desc(g.src, dt::bf16, tag::nhwc),
                             dnnl::memory::desc(g.dst, dt::f32, tag::nhwc), dt::bf16)
                     : FwdPd(g, b != nullptr, fuse_relu, dnnl::prop_kind::forward_inference);
      if (bf16) entry.src_bf16.Init(dnnl::memory::desc(g.src, dt::f32, tag::nhwc), pd.src_desc(), 0);
      entry.prim = dnnl::convolution_forward(pd);
      entry.src_md = pd.src_desc();
      entry.dst_md = pd.dst_desc();
      entry.bias_md = pd.bias_desc();
      entry.scratch_md = pd.scratchpad_desc();
      entry.w.Init(UserWeightsMd(g), pd.weights_desc(), false);
      RecordImpl("Conv2D", key, pd.impl_info_str());
    });
    std::unordered_map<int, dnnl::memory> args;
    args[DNNL_ARG_SRC] = bf16 ? e->src_bf16.In(x) : dnnl::memory(e->src_md, Engine(), x);
    args[DNNL_ARG_WEIGHTS] = WeightsIn(e->w, w);
    args[DNNL_ARG_DST] = dnnl::memory(e->dst_md, Engine(), y);
    if (b) args[DNNL_ARG_BIAS] = dnnl::memory(e->bias_md, Engine(), b);
    AddScratchpad(args, e->scratch_md);
    e->prim.execute(Stream(), args);
    Stream().wait();
    if (relu && !fuse_relu) ReluInPlace(y, g.dst_n);
  } catch (const dnnl::error& err) {
    ThrowDnnl(env, "conv2dForward", err);
  }
  return env.Undefined();
}

namespace {

/** Input channels below which backward data runs as GEMM + col2im (ONEDNN_GEMM_BWD_DATA_MAX_IC, default 4). */
int64_t GemmBwdDataMaxIc() {
  static const int64_t v = [] {
    const char* s = std::getenv("ONEDNN_GEMM_BWD_DATA_MAX_IC");
    return s != nullptr ? static_cast<int64_t>(std::atoi(s)) : static_cast<int64_t>(4);
  }();
  return v;
}

void BackwardDataGemm(const ConvGeometry& c, const float* dy, float* w, float* dx) {
  const int64_t N = c.batch, H = c.in_height, W = c.in_width, IC = c.in_channels;
  const int64_t OH = c.out_height, OW = c.out_width, OC = c.out_channels, KH = c.kernel_h, KW = c.kernel_w;
  const int64_t SH = c.stride_h, SW = c.stride_w, DH = c.dilation_h, DW = c.dilation_w;
  const int64_t PT = c.pad_top, PL = c.pad_left;
  const int64_t P = N * OH * OW, KK = KH * KW * IC;
  std::string key = Key("conv_bwd_data_gemm", c.ToParams());
  auto* e = CachedEntry<ConvBwdDataGemmEntry>(key, [&](ConvBwdDataGemmEntry& entry) {
    entry.dy_md = dnnl::memory::desc({P, OC}, dt::f32, dims{OC, 1});
    entry.w_md = dnnl::memory::desc({OC, KK}, dt::f32, dims{1, OC});  // HWIO viewed as [KK, OC], transposed
    dnnl::memory::desc cols_md({P, KK}, dt::f32, dims{KK, 1});
    auto pd = compat::MatMulPd(Engine(), entry.dy_md, entry.w_md, dnnl::memory::desc(), cols_md, UserScratchpadAttr());
    entry.prim = dnnl::matmul(pd);
    entry.scratch_md = pd.scratchpad_desc();
    entry.cols = dnnl::memory(cols_md, Engine());
    RecordImpl("Conv2DBackpropInput", key, std::string("gemm_col2im+") + pd.impl_info_str());
  });
  std::unordered_map<int, dnnl::memory> args = {
      {DNNL_ARG_SRC, dnnl::memory(e->dy_md, Engine(), const_cast<float*>(dy))},
      {DNNL_ARG_WEIGHTS, dnnl::memory(e->w_md, Engine(), w)},
      {DNNL_ARG_DST, e->cols}};
  AddScratchpad(args, e->scratch_md);
  e->prim.execute(Stream(), args);
  Stream().wait();
  const float* cols = static_cast<const float*>(e->cols.get_data_handle());
  for (int64_t n = 0; n < N; ++n) {  // col2im: light scatter, single-threaded
    float* dxn = dx + n * H * W * IC;
    std::fill(dxn, dxn + H * W * IC, 0.f);
    for (int64_t oh = 0; oh < OH; ++oh) {
      for (int64_t ow = 0; ow < OW; ++ow) {
        const float* c = cols + ((n * OH + oh) * OW + ow) * KK;
        for (int64_t kh = 0; kh < KH; ++kh) {
          const int64_t ih = oh * SH - PT + kh * DH;
          if (ih < 0 || ih >= H) continue;
          for (int64_t kw = 0; kw < KW; ++kw) {
            const int64_t iw = ow * SW - PL + kw * DW;
            if (iw < 0 || iw >= W) continue;
            float* d = dxn + (ih * W + iw) * IC;
            const float* cc = c + (kh * KW + kw) * IC;
            for (int64_t ic = 0; ic < IC; ++ic) d[ic] += cc[ic];
          }
        }
      }
    }
  }
}

/**
 * bf16 backward weights as im2col + matmul: oneDNN 2.x's bf16 backward-weights convolutions are slower than the
 * float32 ones (on Sapphire Rapids, airbench94's 3x3x256x256 layers at batch 128: jit:avx512_core_amx_bf16 ~1 s,
 * jit_bf16:avx512_core_bf16 ~0.25 s, float32 jit:avx512_core ~23 ms), while the bf16 AMX matmul of the same
 * product takes ~12 ms. So dW[KK, OC] = cols[P, KK]^T x dy[P, OC] (KK = KH*KW*IC in HWIO order, P = images x
 * output pixels), with cols (im2col of x) and dy converted to bf16 here, a chunk of images at a time (cols at most
 * kGemmChunkElements); the first chunk writes dW, the next ones add to it (a sum post-op), in f32.
 */
struct ConvBwdWeightsBf16GemmEntry : CacheEntry {
  int64_t chunk_images = 1;
  dnnl::matmul first, rest;  // rest: with a sum post-op (accumulates into dW)
  dnnl::memory::desc cols_md, dy_md, dw_md, first_scratch_md, rest_scratch_md;
};

/**
 * Elements of the im2col chunk of ConvBwdWeightsBf16Gemm: 16M bf16 = 32 MiB, or the environment variable
 * ONEDNN_BF16_GEMM_CHUNK (read on every call, so that tests can force several chunks).
 */
int64_t GemmChunkElements() {
  const char* v = std::getenv("ONEDNN_BF16_GEMM_CHUNK");
  const int64_t n = v != nullptr ? std::atoll(v) : 0;
  return n > 0 ? n : int64_t{1} << 24;
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && __GNUC__ >= 10
/** `n` floats to bf16 with AVX512_BF16's vcvtneps2bf16 (round to nearest even, as Bf16Bits; denormals to zero). */
__attribute__((target("avx512f,avx512bf16"))) void RowToBf16Avx512(const float* in, uint16_t* out, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256bh h = _mm512_cvtneps_pbh(_mm512_loadu_ps(in + i));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), reinterpret_cast<const __m256i&>(h));
  }
  for (; i < n; ++i) out[i] = Bf16Bits(in[i]);
}
bool HasAvx512Bf16() {
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512bf16") != 0;
  }();
  return has;
}
#else
void RowToBf16Avx512(const float* in, uint16_t* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = Bf16Bits(in[i]);
}
bool HasAvx512Bf16() {
  return false;
}
#endif

/** `n` floats to bf16: vcvtneps2bf16 where the CPU has it, else Bf16Bits. */
inline void RowToBf16(const float* in, uint16_t* out, int64_t n, bool avx512bf16) {
  if (avx512bf16) {
    RowToBf16Avx512(in, out, n);
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = Bf16Bits(in[i]);
  }
}

/** im2col of images [n0, n0 + images) of NHWC `x` into bf16 `cols` [images*OH*OW, KH*KW*IC], zeros for padding. */
void Im2ColBf16(const ConvGeometry& c, const float* x, int64_t n0, int64_t images, uint16_t* cols) {
  const int64_t H = c.in_height, W = c.in_width, IC = c.in_channels, OH = c.out_height, OW = c.out_width;
  const int64_t KH = c.kernel_h, KW = c.kernel_w, KK = KH * KW * IC;
  const int64_t rows = images * OH * OW;
  const bool fast = HasAvx512Bf16();
#pragma omp parallel for schedule(static) if (rows * KK >= kMemoryBoundParallelMin)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t n = n0 + r / (OH * OW), oh = (r / OW) % OH, ow = r % OW;
    uint16_t* out = cols + r * KK;
    for (int64_t kh = 0; kh < KH; ++kh) {
      const int64_t ih = oh * c.stride_h - c.pad_top + kh * c.dilation_h;
      for (int64_t kw = 0; kw < KW; ++kw) {
        const int64_t iw = ow * c.stride_w - c.pad_left + kw * c.dilation_w;
        uint16_t* o = out + (kh * KW + kw) * IC;
        if (ih < 0 || ih >= H || iw < 0 || iw >= W) {
          std::fill(o, o + IC, uint16_t{0});
          continue;
        }
        RowToBf16(x + ((n * H + ih) * W + iw) * IC, o, IC, fast);
      }
    }
  }
}

/** `n` floats to bf16, in blocks of 64 Ki over the OpenMP threads. */
void ToBf16(const float* in, uint16_t* out, int64_t n) {
  constexpr int64_t kBlock = int64_t{1} << 16;
  const bool fast = HasAvx512Bf16();
  const int64_t blocks = (n + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) if (n >= kMemoryBoundParallelMin)
  for (int64_t b = 0; b < blocks; ++b) {
    RowToBf16(in + b * kBlock, out + b * kBlock, std::min(kBlock, n - b * kBlock), fast);
  }
}

void BackwardWeightsBf16Gemm(const ConvGeometry& c, const std::vector<int64_t>& p, const float* x, const float* dy,
                             float* dw) {
  const int64_t N = c.batch, OC = c.out_channels, pixels = c.out_height * c.out_width;
  const int64_t KK = c.kernel_h * c.kernel_w * c.in_channels;
  const int64_t chunk_elements = GemmChunkElements();
  std::string key = Key("conv_bwd_weights_bf16_gemm", p, static_cast<int>(std::min<int64_t>(chunk_elements, 1 << 30)));
  auto* e = CachedEntry<ConvBwdWeightsBf16GemmEntry>(key, [&](ConvBwdWeightsBf16GemmEntry& entry) {
    // The largest divisor of N whose chunk fits chunk_elements (one primitive shape for every chunk).
    int64_t nb = 1;
    for (int64_t d = 1; d <= N; ++d) {
      if (N % d == 0 && d * pixels * KK <= chunk_elements) nb = d;
    }
    entry.chunk_images = nb;
    const int64_t P = nb * pixels;
    entry.cols_md = dnnl::memory::desc({KK, P}, dt::bf16, dims{1, KK});  // cols [P, KK] read transposed
    entry.dy_md = dnnl::memory::desc({P, OC}, dt::bf16, dims{OC, 1});
    entry.dw_md = dnnl::memory::desc({KK, OC}, dt::f32, dims{OC, 1});  // = HWIO
    auto first =
        compat::MatMulPd(Engine(), entry.cols_md, entry.dy_md, dnnl::memory::desc(), entry.dw_md, UserScratchpadAttr());
    dnnl::primitive_attr sum_attr = UserScratchpadAttr();
    dnnl::post_ops ops;
    ops.append_sum(1.f);
    sum_attr.set_post_ops(ops);
    auto rest = compat::MatMulPd(Engine(), entry.cols_md, entry.dy_md, dnnl::memory::desc(), entry.dw_md, sum_attr);
    entry.first = dnnl::matmul(first);
    entry.rest = dnnl::matmul(rest);
    entry.first_scratch_md = first.scratchpad_desc();
    entry.rest_scratch_md = rest.scratchpad_desc();
    RecordImpl("Conv2DBackpropFilter", key, std::string("im2col_bf16+") + first.impl_info_str());
  });
  const int64_t nb = e->chunk_images, P = nb * pixels;
  auto* cols = static_cast<uint16_t*>(Bf16Staging(0, static_cast<size_t>(P * KK) * sizeof(uint16_t)));
  auto* dyb = static_cast<uint16_t*>(Bf16Staging(1, static_cast<size_t>(P * OC) * sizeof(uint16_t)));
  dnnl::memory dw_mem(e->dw_md, Engine(), dw);
  for (int64_t n0 = 0; n0 < N; n0 += nb) {
    Im2ColBf16(c, x, n0, nb, cols);
    ToBf16(dy + n0 * pixels * OC, dyb, P * OC);
    std::unordered_map<int, dnnl::memory> args = {{DNNL_ARG_SRC, dnnl::memory(e->cols_md, Engine(), cols)},
                                                  {DNNL_ARG_WEIGHTS, dnnl::memory(e->dy_md, Engine(), dyb)},
                                                  {DNNL_ARG_DST, dw_mem}};
    AddScratchpad(args, n0 == 0 ? e->first_scratch_md : e->rest_scratch_md);
    (n0 == 0 ? e->first : e->rest).execute(Stream(), args);
    Stream().wait();
  }
}

/** How the backward-weights pass of a convolution runs at bf16 precision (Bf16BwdWeightsPath). */
enum class Bf16BwdWeights { kDirect, kGemm, kFloat32 };

/**
 * How bf16 backward weights of `c` run: oneDNN's bf16 convolution (kDirect), im2col + a bf16 matmul
 * (kGemm, BackwardWeightsBf16Gemm), or the float32 path (kFloat32: Winograd F(4x4) where it applies, else oneDNN's
 * float32 convolution — the filter gradient then has float32 accuracy). With AMX, oneDNN 2.6's kernel
 * (jit:avx512_core_amx_bf16) is the fastest up to 64 input channels and slow with 256 (Sapphire Rapids, 2 cores,
 * batch 2000, ms, direct / GEMM / float32 Winograd: 31x31 24→64 103 / 220 / 145; 15x15 64→64 60 / 100 / 72;
 * 15x15 64→256 141 / 208 / 215; 7x7 256→256 168 / 114 / 165; 3x3 256→256 88 / 21 / 46), so it takes layers of up to
 * 64 input channels (ONEDNN_BF16_DIRECT_MAX_IC overrides the bound) and the GEMM the wider ones. An earlier
 * measurement saw the direct kernel erratic on 15x15 64→64 inside airbench94's step at batch 1024 on a busy machine
 * (4-12 s); on a quiet one it ran 37 ms there (59 ms at batch 2000). Without AMX (AVX512_BF16 only) oneDNN's bf16
 * kernel is slower than float32 and the GEMM runs throughout. ONEDNN_BF16_BWD_WEIGHTS=direct|gemm|float32 forces a
 * path for every layer. Both variables are read on every call (tests and benchmarks switch them).
 */
Bf16BwdWeights Bf16BwdWeightsPath(const ConvGeometry& c) {
  const char* v = std::getenv("ONEDNN_BF16_BWD_WEIGHTS");
  const std::string s = v != nullptr ? v : "";
  if (s == "direct") return Bf16BwdWeights::kDirect;
  if (s == "gemm") return Bf16BwdWeights::kGemm;
  if (s == "float32") return Bf16BwdWeights::kFloat32;
  static const bool amx = dnnl::get_effective_cpu_isa() == dnnl::cpu_isa::avx512_core_amx
#if DNNL_VERSION_MAJOR >= 3
                          || dnnl::get_effective_cpu_isa() == dnnl::cpu_isa::avx512_core_amx_fp16
#endif
      ;
  const char* m = std::getenv("ONEDNN_BF16_DIRECT_MAX_IC");
  const int64_t max_ic = m != nullptr && std::atoll(m) > 0 ? std::atoll(m) : 64;
  return amx && c.in_channels <= max_ic ? Bf16BwdWeights::kDirect : Bf16BwdWeights::kGemm;
}

}  // namespace

// conv2dBackwardData(dy, filter, dxOut, params)
Napi::Value Conv2dBackwardData(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<int64_t> p;
  const ConvGeometry c = GeometryArg(info, 3, p);
  const ConvDims g = Dims(c);
  float* dy = F32(info, 0, "dy", g.dst_n);
  float* w = F32(info, 1, "filter", g.wei_n);
  float* dx = F32(info, 2, "out", g.src_n);
  try {
    const bool bf16 = Bf16();
    if (!bf16 && WinogradApplies(c, true)) {
      WinogradBackwardData(c, dy, w, dx,
                           NoteWinograd("Conv2DBackpropInput", Key("wino_bwd_data", p), c.in_height, c.in_width));
      return env.Undefined();
    }
    if (c.in_channels < GemmBwdDataMaxIc()) {
      BackwardDataGemm(c, dy, w, dx);
      return env.Undefined();
    }
    std::string key = Key(bf16 ? "conv_bwd_data_bf16" : "conv_bwd_data", p);
    auto* e = CachedEntry<ConvBwdDataEntry>(key, [&](ConvBwdDataEntry& entry) {
      // bf16: bf16 diff_dst and weights, f32 diff_src.
      auto hint = bf16 ? Bf16HintPd(g) : FwdPd(g, false, false, dnnl::prop_kind::forward_training);
      dnnl::memory::desc diff_src_md(g.src, dt::f32, tag::nhwc);
      dnnl::memory::desc diff_dst_md(g.dst, bf16 ? dt::bf16 : dt::f32, tag::nhwc);
      auto pd =
          compat::ConvBackwardDataPd(Engine(), diff_src_md, AnyWeightsMd(g, bf16 ? dt::bf16 : dt::f32), diff_dst_md,
                                     g.strides, g.dilates, g.pad_l, g.pad_r, UserScratchpadAttr(), hint);
      if (bf16) entry.diff_dst_bf16.Init(dnnl::memory::desc(g.dst, dt::f32, tag::nhwc), pd.diff_dst_desc(), 0);
      entry.prim = dnnl::convolution_backward_data(pd);
      entry.scratch_md = pd.scratchpad_desc();
      entry.diff_src_md = pd.diff_src_desc();
      entry.diff_dst_md = pd.diff_dst_desc();
      entry.w.Init(UserWeightsMd(g), pd.weights_desc(), false);
      RecordImpl("Conv2DBackpropInput", key, pd.impl_info_str());
    });
    std::unordered_map<int, dnnl::memory> args;
    args[DNNL_ARG_DIFF_DST] = bf16 ? e->diff_dst_bf16.In(dy) : dnnl::memory(e->diff_dst_md, Engine(), dy);
    args[DNNL_ARG_WEIGHTS] = WeightsIn(e->w, w);
    args[DNNL_ARG_DIFF_SRC] = dnnl::memory(e->diff_src_md, Engine(), dx);
    AddScratchpad(args, e->scratch_md);
    e->prim.execute(Stream(), args);
    Stream().wait();
  } catch (const dnnl::error& err) {
    ThrowDnnl(env, "conv2dBackwardData", err);
  }
  return env.Undefined();
}

// conv2dBackwardFilter(x, dy, dwOut, params)
Napi::Value Conv2dBackwardFilter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<int64_t> p;
  const ConvGeometry c = GeometryArg(info, 3, p);
  const ConvDims g = Dims(c);
  float* x = F32(info, 0, "x", g.src_n);
  float* dy = F32(info, 1, "dy", g.dst_n);
  float* dw = F32(info, 2, "out", g.wei_n);
  try {
    // bf16: the layer's path (Bf16BwdWeightsPath); float32 also at bf16 precision when that path says so
    const Bf16BwdWeights path = Bf16() ? Bf16BwdWeightsPath(c) : Bf16BwdWeights::kFloat32;
    const bool bf16 = path != Bf16BwdWeights::kFloat32;
    if (!bf16 && WinogradApplies(c, false)) {
      WinogradBackwardWeights(
          c, x, dy, dw, NoteWinograd("Conv2DBackpropFilter", Key("wino_bwd_weights", p), c.out_height, c.out_width));
      return env.Undefined();
    }
    if (path == Bf16BwdWeights::kGemm) {
      BackwardWeightsBf16Gemm(c, p, x, dy, dw);
      return env.Undefined();
    }
    std::string key = Key(bf16 ? "conv_bwd_weights_bf16" : "conv_bwd_weights", p);
    auto* e = CachedEntry<ConvBwdWeightsEntry>(key, [&](ConvBwdWeightsEntry& entry) {
      // bf16: bf16 src and diff_dst, f32 diff_weights.
      auto hint = bf16 ? Bf16HintPd(g) : FwdPd(g, false, false, dnnl::prop_kind::forward_training);
      dnnl::memory::desc src_md(g.src, bf16 ? dt::bf16 : dt::f32, tag::nhwc);
      dnnl::memory::desc diff_dst_md(g.dst, bf16 ? dt::bf16 : dt::f32, tag::nhwc);
      auto pd = compat::ConvBackwardWeightsPd(Engine(), src_md, AnyWeightsMd(g), diff_dst_md, g.strides, g.dilates,
                                              g.pad_l, g.pad_r, UserScratchpadAttr(), hint);
      entry.prim = dnnl::convolution_backward_weights(pd);
      entry.scratch_md = pd.scratchpad_desc();
      entry.src_md = pd.src_desc();
      entry.diff_dst_md = pd.diff_dst_desc();
      entry.w.Init(UserWeightsMd(g), pd.diff_weights_desc(), true);
      if (bf16) {
        entry.src_bf16.Init(dnnl::memory::desc(g.src, dt::f32, tag::nhwc), pd.src_desc(), 0);
        entry.diff_dst_bf16.Init(dnnl::memory::desc(g.dst, dt::f32, tag::nhwc), pd.diff_dst_desc(), 1);
      }
      RecordImpl("Conv2DBackpropFilter", key, pd.impl_info_str());
    });
    dnnl::memory user_dw(e->w.user_md, Engine(), dw);
    std::unordered_map<int, dnnl::memory> args;
    args[DNNL_ARG_SRC] = bf16 ? e->src_bf16.In(x) : dnnl::memory(e->src_md, Engine(), x);
    args[DNNL_ARG_DIFF_DST] = bf16 ? e->diff_dst_bf16.In(dy) : dnnl::memory(e->diff_dst_md, Engine(), dy);
    args[DNNL_ARG_DIFF_WEIGHTS] = e->w.needs_reorder ? e->w.prim_mem : user_dw;
    AddScratchpad(args, e->scratch_md);
    e->prim.execute(Stream(), args);
    if (e->w.needs_reorder) e->w.reorder.execute(Stream(), e->w.prim_mem, user_dw);
    Stream().wait();
  } catch (const dnnl::error& err) {
    ThrowDnnl(env, "conv2dBackwardFilter", err);
  }
  return env.Undefined();
}

}  // namespace onednn_binding
