// Winograd convolutions F(m x m, 3x3), m = 2..7, for 3x3, stride-1, undilated convolutions (see winograd.cc):
// forward (optional bias + NaN-preserving relu), backward data and backward weights, over a ConvGeometry; NHWC
// activations, HWIO filters. Also the process-wide choice between them and oneDNN's direct kernels.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "conv_geometry.h"

namespace onednn_binding {

/** Which algorithm the training kernels' 3x3 stride-1 convolutions use (setConvAlgorithm in JS). */
enum class ConvAlgorithmMode {
  kAuto,      // Winograd where it is faster (>= 16 channels in and out), oneDNN direct elsewhere
  kDirect,    // always oneDNN's direct primitives
  kWinograd,  // Winograd wherever the geometry allows (tests, benchmarks)
};

/**
 * The algorithm one convolution runs on (the inference graph picks or tunes one per convolution): oneDNN's direct
 * kernels, or Winograd on a tile (the value is the tile's side, as WinogradTile's).
 */
enum class ConvAlgorithm {
  kDirect = 0,        // oneDNN's direct kernels (any geometry)
  kWinogradF2x2 = 2,  // Winograd F(2x2, 3x3): 4x4 input tiles, 16 multiplications per 4 outputs and channel pair
  kWinogradF3x3 = 3,
  kWinogradF4x4 = 4,  // Winograd F(4x4, 3x3): 6x6 input tiles, 36 per 16 outputs (faster, ~10x the rounding error)
  kWinogradF5x5 = 5,
  kWinogradF6x6 = 6,
  kWinogradF7x7 = 7,
};

/**
 * The Winograd output tile F(m x m, 3x3): (m+2) x (m+2) input tiles, (m+2)² multiplications per m² outputs and
 * channel pair (direct: 9 m²). The value is the tile's side m; kAuto (training only) picks m per convolution
 * pass from its output size (TileForOutput). F(2x2) and F(4x4) are hand-written, the others the general
 * Toom-Cook form (winograd.cc gives their float32 errors: F(7x7) ~20x F(4x4)'s).
 */
enum class WinogradTile : int {
  kAuto = 0,
  kF2x2 = 2,
  kF3x3 = 3,
  kF4x4 = 4,
  kF5x5 = 5,
  kF6x6 = 6,
  kF7x7 = 7,
};

/** The tile of a Winograd algorithm (not for kDirect). */
inline WinogradTile TileOf(ConvAlgorithm algorithm) {
  return static_cast<WinogradTile>(static_cast<int>(algorithm));
}

/** The primitive record of a Winograd convolution on `tile` (not kAuto), e.g. "native:winograd_f4x4_3x3+gemm:jit". */
std::string WinogradImpl(WinogradTile tile);

/** The Winograd algorithm on `tile` (not for kAuto). */
inline ConvAlgorithm WinogradAlgorithm(WinogradTile tile) {
  return static_cast<ConvAlgorithm>(static_cast<int>(tile));
}

/** The current mode; the default comes from ONEDNN_CONV_ALGO=auto|direct|winograd (auto when unset). */
ConvAlgorithmMode GetConvAlgorithmMode();
void SetConvAlgorithmMode(ConvAlgorithmMode mode);

/**
 * The tile setting of training convolutions (the three passes of conv.cc) when they run Winograd: kAuto by
 * default, or the fixed tile of ONEDNN_WINOGRAD_TILE=2..7 (other values: kAuto) or of SetTrainingWinogradTile.
 */
WinogradTile GetTrainingWinogradTile();
void SetTrainingWinogradTile(WinogradTile tile);

/**
 * The tile a pass with an out_h x out_w output runs on under `setting`: the setting itself unless it is kAuto;
 * for kAuto the m in 2..7 with the fewest multiplications, ceil(out_h/m)·ceil(out_w/m)·(m+2)², where a larger m
 * is taken only when it needs under 85% of the best smaller one's (its transforms cost more, and its error is
 * larger). airbench94's layers: 31x31 → F(4x4), 15x15 → F(5x5) (0.77 of F(4x4)'s multiplications), 7x7 →
 * F(7x7) (0.56), 3x3 → F(3x3) (0.69).
 */
WinogradTile TileForOutput(WinogradTile setting, int64_t out_h, int64_t out_w);

/** True when the convolution is 3x3, stride 1 and undilated: Winograd can run it (any padding, any channels). */
bool WinogradGeometry(const ConvGeometry& g);
/**
 * True when Winograd can run the convolution and the current mode picks it: kWinograd always, kAuto with 16+
 * channels on each side, kDirect never. `backward_data` also requires pad_top and pad_left <= 2 (the "full"
 * correlation pads 2 - pad).
 */
bool WinogradApplies(const ConvGeometry& g, bool backward_data);

/**
 * y[N,OH,OW,OC] = relu?(conv(x[N,H,W,IC], w[3,3,IC,OC]) + bias?) on `tile`s, transforming the filter on every call
 * (training). `bias` may be null; the relu keeps NaN (as tfjs' Relu).
 */
void WinogradForward(const ConvGeometry& g, const float* x, const float* w, const float* bias, bool relu, float* y,
                     WinogradTile tile);
/**
 * The transformed filter matrices of w[3,3,IC,OC] (G g G^T): U[(m+2)²][IC][OC] (16 for F(2x2), 36 for F(4x4)),
 * for WinogradForwardTransformed.
 */
std::vector<float> WinogradTransformFilter(const float* w, int64_t in_channels, int64_t out_channels,
                                           WinogradTile tile);
/** WinogradForward with the filter already transformed by WinogradTransformFilter for `tile` (inference graphs). */
void WinogradForwardTransformed(const ConvGeometry& g, const float* x, const float* U, const float* bias, bool relu,
                                float* y, WinogradTile tile);
/** dx[N,H,W,IC] from dy[N,OH,OW,OC] and w[3,3,IC,OC] (requires pad_top, pad_left <= 2). */
void WinogradBackwardData(const ConvGeometry& g, const float* dy, const float* w, float* dx, WinogradTile tile);
/** dw[3,3,IC,OC] from x[N,H,W,IC] and dy[N,OH,OW,OC]. */
void WinogradBackwardWeights(const ConvGeometry& g, const float* x, const float* dy, float* dw, WinogradTile tile);

}  // namespace onednn_binding
