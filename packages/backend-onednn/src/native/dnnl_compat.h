// oneDNN 2.x / 3.x compatibility: every API difference the binding meets, behind one small helper each, switched
// at compile time on DNNL_VERSION_MAJOR (oneapi/dnnl/dnnl_version.h). The binding builds against oneDNN 2.x
// (Debian 12's libdnnl-dev 2.6.3, the CI library and the prebuilt addon's) and 3.x (Debian 13, Ubuntu 24.04,
// Homebrew; checked with 3.7.1, see the README).
//
// What changed in 3.0 (oneDNN's "v3.0 API changes"; rfcs/20220201-v3-api):
// - operation descriptors (`convolution_forward::desc`, `matmul::desc`, …) are gone: a primitive_desc is built
//   directly from the engine and the operation's parameters, engine first, attributes last;
// - pooling_forward/backward take a dilation (0 = dense) — 2.x needed pooling_v2 for that;
// - post_ops::append_eltwise lost its leading `scale` argument;
// - cpu_isa lost avx512_mic* and `all` (now `isa_default`) and gained avx2_vnni_2, avx512_core_fp16, … .
// The rest the binding uses (memory::desc with strides, get_size(), queries like src_desc() and
// scratchpad_desc(), reorder, scratchpad_mode::user, dnnl_sgemm, get_effective_cpu_isa) is the same in both.
#pragma once

#if defined(__linux__) || defined(__APPLE__)
#include <dlfcn.h>
#endif

#include <string>

#include "oneapi/dnnl/dnnl.hpp"
#include "oneapi/dnnl/dnnl_version.h"

#if !defined(DNNL_VERSION_MAJOR) || DNNL_VERSION_MAJOR < 2 || DNNL_VERSION_MAJOR > 3
#error "@cnn/backend-onednn builds against oneDNN 2.x or 3.x (DNNL_VERSION_MAJOR 2 or 3)"
#endif

namespace onednn_binding {
namespace compat {

using md = dnnl::memory::desc;
using dims = dnnl::memory::dims;

/** True when `d` is the zero (empty) memory descriptor: "no bias". */
inline bool IsZero(const md& d) {
  return d.get_size() == 0;
}

/** Appends a ReLU (alpha 0) post-op: `dst = max(dst, 0)`. */
inline void AppendRelu(dnnl::post_ops& ops) {
#if DNNL_VERSION_MAJOR >= 3
  ops.append_eltwise(dnnl::algorithm::eltwise_relu, 0.f, 0.f);
#else
  ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
#endif
}

/**
 * Direct forward convolution. `bias` may be the zero descriptor (no bias); `dilates` count the gaps (0 = dense),
 * as in both oneDNN versions.
 */
inline dnnl::convolution_forward::primitive_desc ConvForwardPd(const dnnl::engine& engine, dnnl::prop_kind prop,
                                                               const md& src, const md& weights, const md& bias,
                                                               const md& dst, const dims& strides, const dims& dilates,
                                                               const dims& pad_l, const dims& pad_r,
                                                               const dnnl::primitive_attr& attr) {
  const auto alg = dnnl::algorithm::convolution_direct;
#if DNNL_VERSION_MAJOR >= 3
  if (IsZero(bias)) {
    return {engine, prop, alg, src, weights, dst, strides, dilates, pad_l, pad_r, attr};
  }
  return {engine, prop, alg, src, weights, bias, dst, strides, dilates, pad_l, pad_r, attr};
#else
  if (IsZero(bias)) {
    return {dnnl::convolution_forward::desc(prop, alg, src, weights, dst, strides, dilates, pad_l, pad_r), attr,
            engine};
  }
  return {dnnl::convolution_forward::desc(prop, alg, src, weights, bias, dst, strides, dilates, pad_l, pad_r), attr,
          engine};
#endif
}

/** Direct convolution backward data, with the forward primitive descriptor as the hint. */
inline dnnl::convolution_backward_data::primitive_desc ConvBackwardDataPd(
    const dnnl::engine& engine, const md& diff_src, const md& weights, const md& diff_dst, const dims& strides,
    const dims& dilates, const dims& pad_l, const dims& pad_r, const dnnl::primitive_attr& attr,
    const dnnl::convolution_forward::primitive_desc& hint) {
  const auto alg = dnnl::algorithm::convolution_direct;
#if DNNL_VERSION_MAJOR >= 3
  return {engine, alg, diff_src, weights, diff_dst, strides, dilates, pad_l, pad_r, hint, attr};
#else
  return {dnnl::convolution_backward_data::desc(alg, diff_src, weights, diff_dst, strides, dilates, pad_l, pad_r), attr,
          engine, hint};
#endif
}

/** Direct convolution backward weights (no bias gradient), with the forward primitive descriptor as the hint. */
inline dnnl::convolution_backward_weights::primitive_desc ConvBackwardWeightsPd(
    const dnnl::engine& engine, const md& src, const md& diff_weights, const md& diff_dst, const dims& strides,
    const dims& dilates, const dims& pad_l, const dims& pad_r, const dnnl::primitive_attr& attr,
    const dnnl::convolution_forward::primitive_desc& hint) {
  const auto alg = dnnl::algorithm::convolution_direct;
#if DNNL_VERSION_MAJOR >= 3
  return {engine, alg, src, diff_weights, diff_dst, strides, dilates, pad_l, pad_r, hint, attr};
#else
  return {dnnl::convolution_backward_weights::desc(alg, src, diff_weights, diff_dst, strides, dilates, pad_l, pad_r),
          attr, engine, hint};
#endif
}

/** Undilated forward pooling; `kernel`, `strides`, `pad_l`, `pad_r` are {h, w}. */
inline dnnl::pooling_forward::primitive_desc PoolForwardPd(const dnnl::engine& engine, dnnl::prop_kind prop,
                                                           dnnl::algorithm alg, const md& src, const md& dst,
                                                           const dims& strides, const dims& kernel, const dims& pad_l,
                                                           const dims& pad_r) {
#if DNNL_VERSION_MAJOR >= 3
  const dims dilation(kernel.size(), 0);
  return {engine, prop, alg, src, dst, strides, kernel, dilation, pad_l, pad_r};
#else
  return {dnnl::pooling_forward::desc(prop, alg, src, dst, strides, kernel, pad_l, pad_r), engine};
#endif
}

/** Undilated pooling backward, with the forward primitive descriptor as the hint. */
inline dnnl::pooling_backward::primitive_desc PoolBackwardPd(const dnnl::engine& engine, dnnl::algorithm alg,
                                                             const md& diff_src, const md& diff_dst,
                                                             const dims& strides, const dims& kernel, const dims& pad_l,
                                                             const dims& pad_r,
                                                             const dnnl::pooling_forward::primitive_desc& hint) {
#if DNNL_VERSION_MAJOR >= 3
  const dims dilation(kernel.size(), 0);
  return {engine, alg, diff_src, diff_dst, strides, kernel, dilation, pad_l, pad_r, hint};
#else
  return {dnnl::pooling_backward::desc(alg, diff_src, diff_dst, strides, kernel, pad_l, pad_r), engine, hint};
#endif
}

/** MatMul `dst = src · weights (+ bias)`; `bias` may be the zero descriptor. */
inline dnnl::matmul::primitive_desc MatMulPd(const dnnl::engine& engine, const md& src, const md& weights,
                                             const md& bias, const md& dst, const dnnl::primitive_attr& attr) {
#if DNNL_VERSION_MAJOR >= 3
  if (IsZero(bias)) return {engine, src, weights, dst, attr};
  return {engine, src, weights, bias, dst, attr};
#else
  if (IsZero(bias)) return {dnnl::matmul::desc(src, weights, dst), attr, engine};
  return {dnnl::matmul::desc(src, weights, bias, dst), attr, engine};
#endif
}

/** Inner product (fully connected) forward; `bias` may be the zero descriptor. */
inline dnnl::inner_product_forward::primitive_desc InnerProductForwardPd(const dnnl::engine& engine,
                                                                         dnnl::prop_kind prop, const md& src,
                                                                         const md& weights, const md& bias,
                                                                         const md& dst,
                                                                         const dnnl::primitive_attr& attr) {
#if DNNL_VERSION_MAJOR >= 3
  if (IsZero(bias)) return {engine, prop, src, weights, dst, attr};
  return {engine, prop, src, weights, bias, dst, attr};
#else
  if (IsZero(bias)) return {dnnl::inner_product_forward::desc(prop, src, weights, dst), attr, engine};
  return {dnnl::inner_product_forward::desc(prop, src, weights, bias, dst), attr, engine};
#endif
}

/** oneDNN's name of a CPU instruction set, e.g. "avx2", "avx512_core"; "unknown" for one this table lacks. */
inline const char* IsaName(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::sse41:
      return "sse41";
    case dnnl::cpu_isa::avx:
      return "avx";
    case dnnl::cpu_isa::avx2:
      return "avx2";
    case dnnl::cpu_isa::avx2_vnni:
      return "avx2_vnni";
    case dnnl::cpu_isa::avx512_core:
      return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni:
      return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16:
      return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx:
      return "avx512_core_amx";
#if DNNL_VERSION_MAJOR >= 3
    case dnnl::cpu_isa::avx2_vnni_2:
      return "avx2_vnni_2";
    case dnnl::cpu_isa::avx512_core_fp16:
      return "avx512_core_fp16";
    case dnnl::cpu_isa::avx512_core_amx_fp16:
      return "avx512_core_amx_fp16";
    case dnnl::cpu_isa::isa_default:
      return "all";
#else
    case dnnl::cpu_isa::avx512_mic:
      return "avx512_mic";
    case dnnl::cpu_isa::avx512_mic_4ops:
      return "avx512_mic_4ops";
    case dnnl::cpu_isa::all:
      return "all";
#endif
    default:
      return "unknown";
  }
}

/**
 * True when `isa` has bf16 dot products (AVX512_BF16: avx512_core_bf16; AMX: avx512_core_amx and, in 3.x,
 * avx512_core_fp16 / avx512_core_amx_fp16, which include them), the ISAs on which oneDNN runs bf16 convolutions
 * and matmuls natively rather than through a slow emulation or a reference kernel.
 */
inline bool HasBf16(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::avx512_core_bf16:
    case dnnl::cpu_isa::avx512_core_amx:
#if DNNL_VERSION_MAJOR >= 3
    case dnnl::cpu_isa::avx512_core_fp16:
    case dnnl::cpu_isa::avx512_core_amx_fp16:
#endif
      return true;
    default:
      return false;
  }
}

/**
 * Absolute path of the libdnnl shared library this process loaded (the file that defines dnnl_version, found
 * with dladdr), e.g. "/usr/lib/x86_64-linux-gnu/libdnnl.so.2" or the prebuilt's bundled copy; "" when unknown
 * (static link, other OS).
 */
inline std::string LibraryPath() {
#if defined(__linux__) || defined(__APPLE__)
  Dl_info dl{};
  if (dladdr(reinterpret_cast<const void*>(&dnnl_version), &dl) != 0 && dl.dli_fname != nullptr) return dl.dli_fname;
#endif
  return "";
}

}  // namespace compat
}  // namespace onednn_binding
