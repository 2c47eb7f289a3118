// Winograd F(2x2, 3x3) and F(4x4, 3x3) convolutions (see winograd.cc). Conv params as in conv.cc (17 entries: N,
// H, W, IC, OH, OW, OC, KH, KW, strideH, strideW, dilationH, dilationW, padTop, padLeft, padBottom, padRight);
// NHWC activations, HWIO filters.
#pragma once

#include <cstdint>
#include <vector>

namespace onednn_binding {

/** Which algorithm 3x3 stride-1 convolutions use. */
enum class ConvAlgorithm {
  kAuto,      // Winograd where it is faster (>= 16 channels in and out), oneDNN direct elsewhere
  kDirect,    // always oneDNN's direct primitives
  kWinograd,  // Winograd wherever the geometry allows (tests, benchmarks)
};

/**
 * The Winograd output tile: F(2x2, 3x3) (4x4 input tiles, 16 multiplications per 4 outputs and channel pair) or
 * F(4x4, 3x3) (6x6 input tiles, 36 per 16 outputs). The value is the tile's side.
 */
enum class WinogradTile : int {
  kF2x2 = 2,
  kF4x4 = 4,
};

/** The current mode; the default comes from ONEDNN_CONV_ALGO=auto|direct|winograd (auto when unset). */
ConvAlgorithm GetConvAlgorithm();
void SetConvAlgorithm(ConvAlgorithm mode);

/**
 * The tile training convolutions (the three passes of conv.cc) use when they run Winograd: F(4x4) by default,
 * F(2x2) when ONEDNN_WINOGRAD_TILE=2 or after SetTrainingWinogradTile(kF2x2).
 */
WinogradTile GetTrainingWinogradTile();
void SetTrainingWinogradTile(WinogradTile tile);

/** True when the conv in `p` (17 conv params, see conv.cc) is 3x3, stride 1 and undilated: Winograd can run it. */
bool WinogradGeometry(const std::vector<int64_t>& p);
/** True when the conv in `p` is 3x3, stride 1, undilated and the current mode picks Winograd for it. */
bool WinogradApplies(const std::vector<int64_t>& p, bool backward_data);

/** y[N,OH,OW,OC] = relu?(conv(x[N,H,W,IC], w[3,3,IC,OC]) + bias?), on `tile`s. */
void WinogradForward(const std::vector<int64_t>& p, const float* x, const float* w, const float* bias, bool relu,
                     float* y, WinogradTile tile);
/**
 * The transformed filter matrices of w[3,3,IC,OC] (G g G^T): U[16][IC][OC] for F(2x2), U[36][IC][OC] for F(4x4),
 * for WinogradForwardTransformed.
 */
std::vector<float> WinogradTransformFilter(const float* w, int64_t IC, int64_t OC, WinogradTile tile);
/** WinogradForward with the filter already transformed by WinogradTransformFilter (inference graphs). */
void WinogradForwardTransformed(const std::vector<int64_t>& p, const float* x, const float* U, const float* bias,
                                bool relu, float* y, WinogradTile tile);
/** dx[N,H,W,IC] from dy[N,OH,OW,OC] and w[3,3,IC,OC]. */
void WinogradBackwardData(const std::vector<int64_t>& p, const float* dy, const float* w, float* dx, WinogradTile tile);
/** dw[3,3,IC,OC] from x[N,H,W,IC] and dy[N,OH,OW,OC]. */
void WinogradBackwardWeights(const std::vector<int64_t>& p, const float* x, const float* dy, float* dw,
                             WinogradTile tile);

}  // namespace onednn_binding
