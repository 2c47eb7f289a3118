// Building blocks shared by the tfjs kernel entry points and the inference graph (graph_*.cc). Convolutions take a
// ConvGeometry (conv_geometry.h); pool params (14) as documented in pool.cc.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <utility>
#include <vector>

#include "common.h"
#include "conv_geometry.h"

namespace onednn_binding {

/**
 * Inference-mode oneDNN forward convolution: NHWC src/dst, weights in oneDNN's chosen layout, optional bias and
 * relu (oneDNN's post-op: see FuseRelu).
 */
dnnl::convolution_forward::primitive_desc ConvForwardDesc(const ConvGeometry& g, bool bias, bool relu);
/** The same with oneDNN choosing the src and/or dst layout (`any`: e.g. blocked nChw8c), as inference graphs do. */
dnnl::convolution_forward::primitive_desc ConvForwardDesc(const ConvGeometry& g, bool bias, bool relu, bool any_src,
                                                          bool any_dst);
/** The same with the given src and dst layouts (e.g. another primitive's, to run on the same buffers). */
dnnl::convolution_forward::primitive_desc ConvForwardDesc(const ConvGeometry& g, bool bias, bool relu,
                                                          const dnnl::memory::desc& src, const dnnl::memory::desc& dst);
/** The tfjs HWIO filter layout `[kernel_h, kernel_w, in_channels, out_channels]` of the convolution. */
dnnl::memory::desc ConvUserWeightsDesc(const ConvGeometry& g);
/** True when none of the `n` values is NaN or ±Infinity (eltwise.cc). */
bool AllFinite(const float* x, size_t n);
/** x = x < 0 ? 0 : x in place, NaN kept (tfjs' Relu; eltwise.cc). */
void ReluInPlace(float* x, size_t n);
/** y = gelu(x) = x·Φ(x), the exact GELU of the `gelu` kernel (gelu.cc); `x` and `y` must not overlap. */
void GeluArray(const float* x, float* y, int64_t n);
/**
 * Whether a oneDNN primitive may apply a relu as a post-op: oneDNN's relu is max(x, 0), which turns NaN into 0,
 * so it is fused only when the operands are finite (then the product is NaN-free but for overflow); otherwise the
 * caller runs the primitive without it and applies ReluInPlace, and a NaN reaching the relu stays NaN as in tfjs.
 */
inline bool FuseRelu(bool relu, std::initializer_list<std::pair<const float*, size_t>> operands) {
  if (!relu) return false;
  for (const auto& [p, n] : operands) {
    if (p != nullptr && !AllFinite(p, n)) return false;
  }
  return true;
}
/** Max pooling of NHWC x into y (see pool.cc); `parallel` splits the batch over the OpenMP threads. */
void MaxPoolNhwc(const float* x, float* y, const std::vector<int64_t>& p, bool parallel);

}  // namespace onednn_binding
