// Building blocks shared by the tfjs kernel entry points and the inference graph (graph.cc). Conv params (17)
// and pool params (14) as documented in conv.cc / pool.cc.
#pragma once

#include <cstdint>
#include <vector>

#include "common.h"

namespace onednn_binding {

/** Inference-mode oneDNN forward convolution: NHWC src/dst, weights in oneDNN's chosen layout, optional bias and relu.
 */
dnnl::convolution_forward::primitive_desc ConvForwardDesc(const std::vector<int64_t>& p, bool bias, bool relu);
/** The same with oneDNN choosing the src and/or dst layout (`any`: e.g. blocked nChw8c), as inference graphs do. */
dnnl::convolution_forward::primitive_desc ConvForwardDesc(const std::vector<int64_t>& p, bool bias, bool relu,
                                                          bool any_src, bool any_dst);
/** The tfjs HWIO filter layout `[kh, kw, inC, outC]` of the conv in `p`. */
dnnl::memory::desc ConvUserWeightsDesc(const std::vector<int64_t>& p);
/** Max pooling of NHWC x into y (see pool.cc); `parallel` splits the batch over the OpenMP threads. */
void MaxPoolNhwc(const float* x, float* y, const std::vector<int64_t>& p, bool parallel);

}  // namespace onednn_binding
