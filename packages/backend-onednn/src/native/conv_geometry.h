// The geometry of a 2-D convolution, shared by the training kernels (conv.cc), Winograd (winograd.cc) and the
// inference graph (graph_*.cc); the JS side passes it as 17 positional params, converted once at the N-API boundary.
#pragma once

#include <cstdint>
#include <vector>

namespace onednn_binding {

/**
 * The geometry of one 2-D convolution y = conv(x, w): x `[batch, in_height, in_width, in_channels]` (NHWC), w
 * `[kernel_h, kernel_w, in_channels, out_channels]` (HWIO, tfjs' filter layout), y `[batch, out_height, out_width,
 * out_channels]`. Dilations in the tfjs / PyTorch convention (1 = dense; oneDNN counts the gaps, dilation - 1);
 * explicit padding per side, in input pixels. No groups: every convolution here is dense over the channels.
 */
struct ConvGeometry {
  int64_t batch = 1;
  int64_t in_height = 1, in_width = 1, in_channels = 1;
  int64_t out_height = 1, out_width = 1, out_channels = 1;
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;

  /** Number of conv params of the N-API interface (FromParams / ToParams). */
  static constexpr size_t kParams = 17;

  /**
   * The geometry from the 17 conv params the JS kernels pass (Int32Array): batch, in_height, in_width, in_channels,
   * out_height, out_width, out_channels, kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w, pad_top,
   * pad_left, pad_bottom, pad_right. The caller checks the count (Params in common.h).
   */
  static ConvGeometry FromParams(const std::vector<int64_t>& p) {
    ConvGeometry g;
    g.batch = p[0], g.in_height = p[1], g.in_width = p[2], g.in_channels = p[3];
    g.out_height = p[4], g.out_width = p[5], g.out_channels = p[6];
    g.kernel_h = p[7], g.kernel_w = p[8], g.stride_h = p[9], g.stride_w = p[10];
    g.dilation_h = p[11], g.dilation_w = p[12];
    g.pad_top = p[13], g.pad_left = p[14], g.pad_bottom = p[15], g.pad_right = p[16];
    return g;
  }

  /** The 17 conv params in FromParams' order (cache keys). */
  std::vector<int64_t> ToParams() const {
    return {batch,    in_height, in_width,   in_channels, out_height, out_width, out_channels, kernel_h, kernel_w,
            stride_h, stride_w,  dilation_h, dilation_w,  pad_top,    pad_left,  pad_bottom,   pad_right};
  }

  /** Elements of x, w and y. */
  size_t src_size() const { return static_cast<size_t>(batch * in_height * in_width * in_channels); }
  size_t weights_size() const { return static_cast<size_t>(kernel_h * kernel_w * in_channels * out_channels); }
  size_t dst_size() const { return static_cast<size_t>(batch * out_height * out_width * out_channels); }
};

}  // namespace onednn_binding
