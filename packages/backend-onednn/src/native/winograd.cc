// Winograd convolutions for 3x3, stride-1, undilated NHWC convolutions: forward (with optional bias + relu),
// backward data and backward weights, on F(m x m, 3x3) tiles, m = 2..7 (F(2x2) and F(4x4) hand-written, the
// others from general Toom-Cook matrices). Lavin & Gray, "Fast Algorithms for
// Convolutional Neural Networks" (CVPR 2016): each m x m output tile is A^T [(G g G^T) (.) (B^T d B)] A over an
// (m+2) x (m+2) input tile d, so the 9·m² multiply-adds per tile and channel pair of direct convolution become
// (m+2)² — 16 instead of 36 for F(2x2), 36 instead of 144 for F(4x4) — done as (m+2)² GEMMs (oneDNN's
// dnnl_sgemm) over a chunk of tiles, channels contiguous (NHWC) so every transform is a vector loop.
//
//   forward        y[t]  = A^T [ sum_ic U[ic,oc] (.) V[t,ic] ] A          U = G g G^T,  V = B^T d B
//   backward data  the forward above on dy, with the filter rotated 180 degrees and in/out channels swapped,
//                  padding 2 - pad (the "full" correlation)
//   backward wts   dg = G^T [ sum_t V[t,ic] (.) (A dy_t A^T) ] G         (the adjoint of the forward in g)
//
// F(4x4) uses the interpolation points {0, ±1, ±2, ∞}; its larger transform constants cost float32 accuracy, and
// larger tiles more (relative RMS ~5e-7 for F(2x2), ~3e-6 for F(4x4), ~7e-5 for F(7x7): see the Toom-Cook
// section below; src/winograd.test.ts measures every tile against a float64 direct convolution), far below the
// noise of SGD on a mini-batch (the fast CIFAR-10 recipe this was built for trains in float16 on GPUs).
//
// The channel loops carry `omp simd`: their inputs and outputs are distinct buffers, which the compiler cannot
// prove on its own (without it they stay scalar, ~1.4x slower end to end).
// Work is split over OpenMP threads by chunks of tiles; each thread owns its transform buffers (and, for the
// weight gradient, its own accumulator, summed at the end), so no two threads write the same memory. The
// GEMMs inside a parallel region run single-threaded.
#ifdef _OPENMP
#include <omp.h>
#endif

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "common.h"
#include "winograd.h"

namespace onednn_binding {
namespace {

// The tile transforms are inlined into the ISA clones of the chunk functions that call them (see ForTiles), so
// that each clone compiles them for its own vector width.
#if defined(__GNUC__)
#define ONEDNN_BINDING_ALWAYS_INLINE __attribute__((always_inline))
#else
#define ONEDNN_BINDING_ALWAYS_INLINE
#endif
#define ONEDNN_BINDING_INLINE inline ONEDNN_BINDING_ALWAYS_INLINE

ConvAlgorithmMode& Mode() {
  static ConvAlgorithmMode mode = [] {
    const char* v = std::getenv("ONEDNN_CONV_ALGO");
    if (v != nullptr && std::string(v) == "direct") return ConvAlgorithmMode::kDirect;
    if (v != nullptr && std::string(v) == "winograd") return ConvAlgorithmMode::kWinograd;
    return ConvAlgorithmMode::kAuto;
  }();
  return mode;
}

WinogradTile& TrainingTile() {
  static WinogradTile tile = [] {
    const char* v = std::getenv("ONEDNN_WINOGRAD_TILE");
    if (v != nullptr && v[0] >= '2' && v[0] <= '7' && v[1] == '\0') return static_cast<WinogradTile>(v[0] - '0');
    return WinogradTile::kAuto;
  }();
  return tile;
}

/** Grow-only float buffer (contents not preserved on growth). */
float* Grow(std::vector<float>& v, size_t n) {
  if (v.size() < n) {
    v.clear();
    v.shrink_to_fit();
    v.resize(n);
  }
  return v.data();
}

/** Per-thread transform buffers, kept between calls. */
struct ThreadBuffers {
  std::vector<float> a, b, zeros, sink;
};
std::vector<ThreadBuffers>& Buffers() {
  static std::vector<ThreadBuffers> buffers;
  const size_t n = static_cast<size_t>(MaxThreads());
  if (buffers.size() < n) buffers.resize(n);
  return buffers;
}
std::vector<float>& FilterBuffer() {
  static std::vector<float> u;
  return u;
}

/**
 * Geometry of one Winograd pass: input [N,H,W,C] tiles → output [N,OH,OW,K] (C, K channels) over m x m output
 * tiles, the input padded by pt rows on top and pl columns on the left (the bottom and right padding follow from
 * the sizes).
 */
struct Pass {
  int64_t N, H, W, C, OH, OW, K, pt, pl;
  int64_t TH, TW, T;  // tiles per column, per row, in all
};

/** The pass of forward convolution `c` (and of its backward weights) on F(m x m, 3x3) tiles. */
Pass ForwardPassOf(const ConvGeometry& c, int64_t m) {
  Pass g{c.batch,
         c.in_height,
         c.in_width,
         c.in_channels,
         c.out_height,
         c.out_width,
         c.out_channels,
         c.pad_top,
         c.pad_left,
         (c.out_height + m - 1) / m,
         (c.out_width + m - 1) / m,
         0};
  g.T = g.N * g.TH * g.TW;
  return g;
}

/**
 * The pass of convolution `c`'s backward data on F(m x m, 3x3) tiles: a forward pass over dy [N,OH,OW,OC] into dx
 * [N,H,W,IC] with the rotated filter and the "full" padding 2 - pad.
 */
Pass BackwardDataPassOf(const ConvGeometry& c, int64_t m) {
  ConvGeometry t = c;
  t.in_height = c.out_height, t.in_width = c.out_width, t.in_channels = c.out_channels;
  t.out_height = c.in_height, t.out_width = c.in_width, t.out_channels = c.in_channels;
  t.pad_top = 2 - c.pad_top, t.pad_left = 2 - c.pad_left;
  return ForwardPassOf(t, m);
}

/**
 * Tiles per chunk: the chunk's two transform buffers (E x tiles x (C + K) floats, E transform elements per tile)
 * within 2 MiB per thread for forward and backward data (the GEMMs' operands stay near L2), 8 MiB for backward
 * weights (larger chunks make fewer read-modify-writes of the thread's E x C x K accumulator); at least 16 tiles
 * and at least one chunk per thread. Measured on airbench94's layers at batch 1024 (Zen 4, best of 4): 2 MiB
 * forward chunks cut the 7x7x256 layer's forward from 143 to 118-125 ms against 4 MiB; 8 MiB weight chunks keep
 * its backward weights at ~143 ms where 2 MiB takes 211 ms.
 */
int64_t ChunkTiles(const Pass& g, int64_t elements, bool weights = false) {
  const int64_t budget_bytes = weights ? int64_t{8} << 20 : int64_t{2} << 20;
  const int64_t tb = std::max<int64_t>(16, budget_bytes / (4 * elements * (g.C + g.K)));
  const int64_t per_thread = (g.T + MaxThreads() - 1) / MaxThreads();
  return std::max<int64_t>(1, std::min(tb, per_thread));
}

/** Tile index → (image, tile row, tile column). */
inline void TileCoords(const Pass& g, int64_t t, int64_t& n, int64_t& th, int64_t& tw) {
  n = t / (g.TH * g.TW);
  const int64_t r = t % (g.TH * g.TW);
  th = r / g.TW;
  tw = r % g.TW;
}

/**
 * p[i * kSize + j] = the channel vector of input pixel (kStep·th − pt + i, kStep·tw − pl + j) of image n in
 * NHWC x, or `zeros` outside the image: the kSize x kSize patch an input tile transform reads.
 */
template <int kSize, int kStep>
ONEDNN_BINDING_INLINE void InputPatch(const float* x, const Pass& g, int64_t n, int64_t th, int64_t tw,
                                      const float* zeros, const float** p) {
  for (int i = 0; i < kSize; ++i) {
    for (int j = 0; j < kSize; ++j) {
      const int64_t ih = kStep * th - g.pt + i, iw = kStep * tw - g.pl + j;
      p[i * kSize + j] = (ih >= 0 && ih < g.H && iw >= 0 && iw < g.W) ? x + ((n * g.H + ih) * g.W + iw) * g.C : zeros;
    }
  }
}

/**
 * q[i * kSize + j] = the K-channel vector of output pixel (kSize·th + i, kSize·tw + j) of image n in NHWC y, or
 * beyond OH/OW `outside + (i * kSize + j) * outside_stride` (a sink row of its own for an output tile, whose
 * stores must not alias; stride 0 for the zeros a dy tile reads): the kSize x kSize output tile (or, for the
 * gradient, the dy tile) of tile (th, tw).
 */
template <int kSize, class T>
ONEDNN_BINDING_INLINE void OutputPatch(T* y, const Pass& g, int64_t n, int64_t th, int64_t tw, T* outside,
                                       int64_t outside_stride, T** q) {
  for (int i = 0; i < kSize; ++i) {
    for (int j = 0; j < kSize; ++j) {
      const int64_t oh = kSize * th + i, ow = kSize * tw + j;
      q[i * kSize + j] = (oh < g.OH && ow < g.OW) ? y + ((n * g.OH + oh) * g.OW + ow) * g.K
                                                  : outside + (i * kSize + j) * outside_stride;
    }
  }
}

/**
 * The lower bound an output transform clamps to: 0 for relu, else -inf. `std::max(v, lo)` is a branch-free
 * relu that keeps NaN (as tfjs' Relu); a branch on the sign cost F(4x4) layers up to 2x on real data, whose
 * signs do not predict.
 */
inline float ReluFloor(bool relu) {
  return relu ? 0.f : -std::numeric_limits<float>::infinity();
}

// ---- F(2x2, 3x3): 4x4 input tiles, 2x2 output tiles ----------------------------------------------------------

/** The transforms of F(2x2, 3x3) (Lavin & Gray's B^T, G, A^T for the points {0, ±1, ∞}). */
struct F2x2 {
  static constexpr int kM = 2, kAlpha = 4, kElements = 16;

  /** u = G g G^T (4x4) for one 3x3 filter g. */
  static void Filter(const float (&g)[3][3], float (&u)[kElements]) {
    float t[4][3];  // G g
    for (int j = 0; j < 3; ++j) {
      t[0][j] = g[0][j];
      t[1][j] = 0.5f * (g[0][j] + g[1][j] + g[2][j]);
      t[2][j] = 0.5f * (g[0][j] - g[1][j] + g[2][j]);
      t[3][j] = g[2][j];
    }
    for (int a = 0; a < 4; ++a) {  // (G g) G^T
      u[a * 4 + 0] = t[a][0];
      u[a * 4 + 1] = 0.5f * (t[a][0] + t[a][1] + t[a][2]);
      u[a * 4 + 2] = 0.5f * (t[a][0] - t[a][1] + t[a][2]);
      u[a * 4 + 3] = t[a][2];
    }
  }

  /** dg = G^T s G for the 4x4 accumulated s. */
  static void FilterGrad(const float (&s)[kElements], float (&dg)[3][3]) {
    float r[3][4];  // G^T S: rows
    for (int b = 0; b < 4; ++b) {
      const float s0 = s[b], s1 = s[4 + b], s2 = s[8 + b], s3 = s[12 + b];
      r[0][b] = s0 + 0.5f * (s1 + s2);
      r[1][b] = 0.5f * (s1 - s2);
      r[2][b] = 0.5f * (s1 + s2) + s3;
    }
    for (int k = 0; k < 3; ++k) {  // (G^T S) G: columns
      dg[k][0] = r[k][0] + 0.5f * (r[k][1] + r[k][2]);
      dg[k][1] = 0.5f * (r[k][1] - r[k][2]);
      dg[k][2] = 0.5f * (r[k][1] + r[k][2]) + r[k][3];
    }
  }

  /**
   * V[e][slot][c] = (B^T d B)[e] for the 4x4 input patch of tile (n, th, tw); pixels outside the image read as
   * zero. `V` points at the tile's slot, `es` is the stride between the 16 elements.
   */
  static ONEDNN_BINDING_INLINE void Input(const float* x, const Pass& g, int64_t n, int64_t th, int64_t tw,
                                          const float* zeros, float* V, size_t es) {
    const float* p[16];
    InputPatch<4, 2>(x, g, n, th, tw, zeros, p);
#pragma omp simd
    for (int64_t c = 0; c < g.C; ++c) {
      float t[4][4];  // B^T d: rows
      for (int j = 0; j < 4; ++j) {
        const float d0 = p[j][c], d1 = p[4 + j][c], d2 = p[8 + j][c], d3 = p[12 + j][c];
        t[0][j] = d0 - d2;
        t[1][j] = d1 + d2;
        t[2][j] = d2 - d1;
        t[3][j] = d1 - d3;
      }
      for (int i = 0; i < 4; ++i) {  // (B^T d) B: columns
        V[(i * 4 + 0) * es + c] = t[i][0] - t[i][2];
        V[(i * 4 + 1) * es + c] = t[i][1] + t[i][2];
        V[(i * 4 + 2) * es + c] = t[i][2] - t[i][1];
        V[(i * 4 + 3) * es + c] = t[i][1] - t[i][3];
      }
    }
  }

  /**
   * y tile = max(A^T M A + bias, lo) for tile (n, th, tw) from M[e][slot][k] (`bias`: K values, zeros when the conv
   * has none); outputs beyond OH/OW go to rows of `sink`.
   */
  static ONEDNN_BINDING_INLINE void Output(const float* M, size_t es, const Pass& g, int64_t n, int64_t th, int64_t tw,
                                           const float* bias, const float* zeros, float lo, float* sink, float* y) {
    (void)zeros;
    float* q[4];
    OutputPatch<2>(y, g, n, th, tw, sink, g.K, q);
#pragma omp simd
    for (int64_t k = 0; k < g.K; ++k) {
      float r[2][4];  // A^T M: rows
      for (int j = 0; j < 4; ++j) {
        const float m0 = M[j * es + k], m1 = M[(4 + j) * es + k], m2 = M[(8 + j) * es + k], m3 = M[(12 + j) * es + k];
        r[0][j] = m0 + m1 + m2;
        r[1][j] = m1 - m2 - m3;
      }
      const float b = bias[k];
      for (int i = 0; i < 2; ++i) {  // (A^T M) A: columns
        q[i * 2][k] = std::max(r[i][0] + r[i][1] + r[i][2] + b, lo);
        q[i * 2 + 1][k] = std::max(r[i][1] - r[i][2] - r[i][3] + b, lo);
      }
    }
  }

  /** Z[e][slot][k] = (A dy A^T)[e] for the 2x2 dy tile (n, th, tw); dy beyond OH/OW reads as zero. */
  static ONEDNN_BINDING_INLINE void Grad(const float* dy, const Pass& g, int64_t n, int64_t th, int64_t tw,
                                         const float* zeros, float* Z, size_t es) {
    const float* p[4];
    OutputPatch<2>(dy, g, n, th, tw, zeros, 0, p);
#pragma omp simd
    for (int64_t k = 0; k < g.K; ++k) {
      const float u00 = p[0][k], u01 = p[1][k], u10 = p[2][k], u11 = p[3][k];
      // A u (rows): [u0, u0 + u1, u0 - u1, -u1]
      const float r[4][2] = {{u00, u01}, {u00 + u10, u01 + u11}, {u00 - u10, u01 - u11}, {-u10, -u11}};
      for (int a = 0; a < 4; ++a) {  // columns
        Z[(a * 4 + 0) * es + k] = r[a][0];
        Z[(a * 4 + 1) * es + k] = r[a][0] + r[a][1];
        Z[(a * 4 + 2) * es + k] = r[a][0] - r[a][1];
        Z[(a * 4 + 3) * es + k] = -r[a][1];
      }
    }
  }
};

// ---- F(4x4, 3x3): 6x6 input tiles, 4x4 output tiles -----------------------------------------------------------
// Lavin & Gray's matrices for the points {0, ±1, ±2, ∞}:
//   B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
//   G   = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]
//   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
// The data transforms below apply them with shared partial sums (~22 instead of 72 operations per 6-vector).

// Each data transform is two passes of one of three "stream" kernels over a block of channels: the same small
// transform applied at every channel, reading n-vectors from 6 or 4 input streams and writing 6 or 4 output
// streams (all distinct buffers: __restrict). Scalar locals only, so that every ISA clone vectorises them.

/** o_a[c] = (B^T (i_0[c] .. i_5[c]))[a]: B^T of F(4x4, 3x3) on 6-vectors, for c < n. */
ONEDNN_BINDING_INLINE void F4x4InputStreams(const float* __restrict i0, const float* __restrict i1,
                                            const float* __restrict i2, const float* __restrict i3,
                                            const float* __restrict i4, const float* __restrict i5,
                                            float* __restrict o0, float* __restrict o1, float* __restrict o2,
                                            float* __restrict o3, float* __restrict o4, float* __restrict o5,
                                            int64_t n) {
#pragma omp simd
  for (int64_t c = 0; c < n; ++c) {
    const float d0 = i0[c], d1 = i1[c], d2 = i2[c], d3 = i3[c], d4 = i4[c], d5 = i5[c];
    const float s12 = d1 + d2, s34 = d3 + d4, m12 = d1 - d2, m34 = d4 - d3;
    const float d42 = d4 - d2, d31 = d3 - d1;
    o0[c] = (4.f * d0 - 5.f * d2) + d4;
    o1[c] = s34 - 4.f * s12;
    o2[c] = m34 + 4.f * m12;
    o3[c] = d42 + 2.f * d31;
    o4[c] = d42 - 2.f * d31;
    o5[c] = (4.f * d1 - 5.f * d3) + d5;
  }
}

/**
 * o_i[c] = max((A^T (i_0[c] .. i_5[c]))[i] + bias[c], lo): A^T of F(4x4, 3x3) on 6-vectors (bias zeros and lo
 * -inf for the first, column pass), for c < n.
 */
ONEDNN_BINDING_INLINE void F4x4OutputStreams(const float* __restrict i0, const float* __restrict i1,
                                             const float* __restrict i2, const float* __restrict i3,
                                             const float* __restrict i4, const float* __restrict i5,
                                             const float* __restrict bias, float lo, float* __restrict o0,
                                             float* __restrict o1, float* __restrict o2, float* __restrict o3,
                                             int64_t n) {
#pragma omp simd
  for (int64_t c = 0; c < n; ++c) {
    const float m0 = i0[c], m1 = i1[c], m2 = i2[c], m3 = i3[c], m4 = i4[c], m5 = i5[c], b = bias[c];
    const float a = m1 + m2, d = m1 - m2, s = m3 + m4, t = m3 - m4;
    o0[c] = std::max((m0 + a + s) + b, lo);
    o1[c] = std::max((d + 2.f * t) + b, lo);
    o2[c] = std::max((a + 4.f * s) + b, lo);
    o3[c] = std::max(((d + 8.f * t) + m5) + b, lo);
  }
}

/** o_a[c] = (A (i_0[c] .. i_3[c]))[a]: A of F(4x4, 3x3) on 4-vectors of a dy tile, for c < n. */
ONEDNN_BINDING_INLINE void F4x4GradStreams(const float* __restrict i0, const float* __restrict i1,
                                           const float* __restrict i2, const float* __restrict i3, float* __restrict o0,
                                           float* __restrict o1, float* __restrict o2, float* __restrict o3,
                                           float* __restrict o4, float* __restrict o5, int64_t n) {
#pragma omp simd
  for (int64_t c = 0; c < n; ++c) {
    const float u0 = i0[c], u1 = i1[c], u2 = i2[c], u3 = i3[c];
    const float p = u0 + u2, q = u1 + u3, p2 = u0 + 4.f * u2, q2 = 2.f * u1 + 8.f * u3;
    o0[c] = u0;
    o1[c] = p + q;
    o2[c] = p - q;
    o3[c] = p2 + q2;
    o4[c] = p2 - q2;
    o5[c] = u3;
  }
}

/** u = G g G^T (N x N) for one 3x3 filter g and a tile's N x 3 filter transform G. */
template <int N>
void GgGt(const float (&G)[N][3], const float (&g)[3][3], float (&u)[N * N]) {
  float t[N][3];
  for (int a = 0; a < N; ++a) {
    for (int j = 0; j < 3; ++j) t[a][j] = G[a][0] * g[0][j] + G[a][1] * g[1][j] + G[a][2] * g[2][j];
  }
  for (int a = 0; a < N; ++a) {
    for (int b = 0; b < N; ++b) u[a * N + b] = t[a][0] * G[b][0] + t[a][1] * G[b][1] + t[a][2] * G[b][2];
  }
}

/** dg = G^T s G (3x3) for the N x N accumulated s (the adjoint of GgGt). */
template <int N>
void GtSG(const float (&G)[N][3], const float (&s)[N * N], float (&dg)[3][3]) {
  float r[3][N];  // G^T S
  for (int k = 0; k < 3; ++k) {
    for (int b = 0; b < N; ++b) {
      float v = 0.f;
      for (int a = 0; a < N; ++a) v += G[a][k] * s[a * N + b];
      r[k][b] = v;
    }
  }
  for (int k = 0; k < 3; ++k) {  // (G^T S) G
    for (int j = 0; j < 3; ++j) {
      float v = 0.f;
      for (int b = 0; b < N; ++b) v += r[k][b] * G[b][j];
      dg[k][j] = v;
    }
  }
}

struct F4x4 {
  static constexpr int kM = 4, kAlpha = 6, kElements = 36;
  static constexpr float kG[6][3] = {{1.f / 4, 0, 0},
                                     {-1.f / 6, -1.f / 6, -1.f / 6},
                                     {-1.f / 6, 1.f / 6, -1.f / 6},
                                     {1.f / 24, 1.f / 12, 1.f / 6},
                                     {1.f / 24, -1.f / 12, 1.f / 6},
                                     {0, 0, 1}};

  /** u = G g G^T (6x6) for one 3x3 filter g. */
  static void Filter(const float (&g)[3][3], float (&u)[kElements]) { GgGt(kG, g, u); }

  /** dg = G^T s G (3x3) for the 6x6 accumulated s. */
  static void FilterGrad(const float (&s)[kElements], float (&dg)[3][3]) { GtSG(kG, s, dg); }

  // The data transforms run in two passes over blocks of kBlock channels, through a small buffer in L1: first
  // every column of the tile, then every row (F4x4*Streams). One 6x6 tile of vectors at once would need 36 live
  // vector registers (AVX2 has 16) and spill.
  static constexpr int64_t kBlock = 64;

  /** V[e][slot][c] = (B^T d B)[e] of the 6x6 patch of tile (n, th, tw) (origin 4·th − pt, 4·tw − pl). */
  static ONEDNN_BINDING_INLINE void Input(const float* x, const Pass& g, int64_t n, int64_t th, int64_t tw,
                                          const float* zeros, float* V, size_t es) {
    const float* p[36];
    InputPatch<6, 4>(x, g, n, th, tw, zeros, p);
    alignas(64) float t[36][kBlock];  // t[a * 6 + j] = (B^T d)[a][j] for the block's channels
    for (int64_t c0 = 0; c0 < g.C; c0 += kBlock) {
      const int64_t cb = std::min(kBlock, g.C - c0);
      for (int j = 0; j < 6; ++j) {  // columns: B^T d
        F4x4InputStreams(p[j] + c0, p[6 + j] + c0, p[12 + j] + c0, p[18 + j] + c0, p[24 + j] + c0, p[30 + j] + c0, t[j],
                         t[6 + j], t[12 + j], t[18 + j], t[24 + j], t[30 + j], cb);
      }
      for (int a = 0; a < 6; ++a) {  // rows: (B^T d) B
        float* v = V + static_cast<size_t>(a * 6) * es + c0;
        F4x4InputStreams(t[a * 6], t[a * 6 + 1], t[a * 6 + 2], t[a * 6 + 3], t[a * 6 + 4], t[a * 6 + 5], v, v + es,
                         v + 2 * es, v + 3 * es, v + 4 * es, v + 5 * es, cb);
      }
    }
  }

  /**
   * y 4x4 tile = max(A^T M A + bias, lo) (`bias`: K values, zeros when the conv has none); outputs beyond OH/OW
   * go to rows of `sink` (16 x K floats).
   */
  static ONEDNN_BINDING_INLINE void Output(const float* M, size_t es, const Pass& g, int64_t n, int64_t th, int64_t tw,
                                           const float* bias, const float* zeros, float lo, float* sink, float* y) {
    float* q[16];
    OutputPatch<4>(y, g, n, th, tw, sink, g.K, q);
    const float ninf = -std::numeric_limits<float>::infinity();
    alignas(64) float r[24][kBlock];  // r[i * 6 + j] = (A^T M)[i][j]
    for (int64_t k0 = 0; k0 < g.K; k0 += kBlock) {
      const int64_t kb = std::min(kBlock, g.K - k0);
      for (int j = 0; j < 6; ++j) {  // columns: A^T M
        const float* m = M + static_cast<size_t>(j) * es + k0;
        F4x4OutputStreams(m, m + 6 * es, m + 12 * es, m + 18 * es, m + 24 * es, m + 30 * es, zeros, ninf, r[j],
                          r[6 + j], r[12 + j], r[18 + j], kb);
      }
      for (int i = 0; i < 4; ++i) {  // rows: (A^T M) A, + bias, relu
        F4x4OutputStreams(r[i * 6], r[i * 6 + 1], r[i * 6 + 2], r[i * 6 + 3], r[i * 6 + 4], r[i * 6 + 5], bias + k0, lo,
                          q[i * 4] + k0, q[i * 4 + 1] + k0, q[i * 4 + 2] + k0, q[i * 4 + 3] + k0, kb);
      }
    }
  }

  /** Z[e][slot][k] = (A dy A^T)[e] for the 4x4 dy tile (n, th, tw); dy beyond OH/OW reads as zero. */
  static ONEDNN_BINDING_INLINE void Grad(const float* dy, const Pass& g, int64_t n, int64_t th, int64_t tw,
                                         const float* zeros, float* Z, size_t es) {
    const float* p[16];
    OutputPatch<4>(dy, g, n, th, tw, zeros, 0, p);
    alignas(64) float r[24][kBlock];  // r[a * 4 + j] = (A u)[a][j]
    for (int64_t k0 = 0; k0 < g.K; k0 += kBlock) {
      const int64_t kb = std::min(kBlock, g.K - k0);
      for (int j = 0; j < 4; ++j) {  // columns: A u
        F4x4GradStreams(p[j] + k0, p[4 + j] + k0, p[8 + j] + k0, p[12 + j] + k0, r[j], r[4 + j], r[8 + j], r[12 + j],
                        r[16 + j], r[20 + j], kb);
      }
      for (int a = 0; a < 6; ++a) {  // rows: (A u) A^T
        float* z = Z + static_cast<size_t>(a * 6) * es + k0;
        F4x4GradStreams(r[a * 4], r[a * 4 + 1], r[a * 4 + 2], r[a * 4 + 3], z, z + es, z + 2 * es, z + 3 * es,
                        z + 4 * es, z + 5 * es, kb);
      }
    }
  }
};

// ---- F(m x m, 3x3) for m = 3, 5, 6, 7: the general Toom-Cook form --------------------------------------------
// The matrices come from scripts/winograd_matrices.py (exact rationals, checked there term by term; the points
// are in each table's comment). Larger tiles need fewer multiplications per output ((m+2)² / m²) and fit some
// layer sizes without padding (15 = 3 x 5, 7 = 1 x 7), at a float32 error that grows with the tile: measured by
// that script as relative RMS over 256 channels, F(2x2) 5e-7, F(3x3) 1.8e-6, F(4x4) 3.3e-6, F(5x5) 5.1e-6,
// F(6x6) 6.5e-6, F(7x7) 6.6e-5 (bf16 convolutions: ~2e-3).

/** The Toom-Cook matrices of F(M x M, 3x3): kBT (n x n), kG (n x 3) and kAT (M x n), n = M + 2. */
template <int M>
struct ToomCook;

/** F(3x3, 3x3): the points {0, 1, -1, 2, inf}. */
template <>
struct ToomCook<3> {
  static constexpr float kBT[5][5] = {{2.f, -1.f, -2.f, 1.f, 0.f},
                                      {0.f, -2.f, -1.f, 1.f, 0.f},
                                      {0.f, 2.f, -3.f, 1.f, 0.f},
                                      {0.f, -1.f, 0.f, 1.f, 0.f},
                                      {0.f, 2.f, -1.f, -2.f, 1.f}};
  static constexpr float kG[5][3] = {{1.f / 2, 0.f, 0.f},
                                     {-1.f / 2, -1.f / 2, -1.f / 2},
                                     {-1.f / 6, 1.f / 6, -1.f / 6},
                                     {1.f / 6, 1.f / 3, 2.f / 3},
                                     {0.f, 0.f, 1.f}};
  static constexpr float kAT[3][5] = {{1.f, 1.f, 1.f, 1.f, 0.f}, {0.f, 1.f, -1.f, 2.f, 0.f}, {0.f, 1.f, 1.f, 4.f, 1.f}};
};

/** F(5x5, 3x3): the points {0, 1, -1, 2, -2, 1/2, inf}. */
template <>
struct ToomCook<5> {
  static constexpr float kBT[7][7] = {
      {-2.f, 4.f, 5.f / 2, -5.f, -1.f / 2, 1.f, 0.f}, {0.f, 2.f, -2.f, -9.f / 2, 1.f / 2, 1.f, 0.f},
      {0.f, -2.f, 6.f, -7.f / 2, -3.f / 2, 1.f, 0.f}, {0.f, 1.f, -3.f / 2, -2.f, 3.f / 2, 1.f, 0.f},
      {0.f, -1.f, 5.f / 2, 0.f, -5.f / 2, 1.f, 0.f},  {0.f, 4.f, 0.f, -5.f, 0.f, 1.f, 0.f},
      {0.f, -2.f, 4.f, 5.f / 2, -5.f, -1.f / 2, 1.f}};
  static constexpr float kG[7][3] = {{-1.f / 2, 0.f, 0.f},
                                     {-1.f / 3, -1.f / 3, -1.f / 3},
                                     {1.f / 9, -1.f / 9, 1.f / 9},
                                     {1.f / 36, 1.f / 18, 1.f / 9},
                                     {-1.f / 60, 1.f / 30, -1.f / 15},
                                     {32.f / 45, 16.f / 45, 8.f / 45},
                                     {0.f, 0.f, 1.f}};
  static constexpr float kAT[5][7] = {{1.f, 1.f, 1.f, 1.f, 1.f, 1.f, 0.f},
                                      {0.f, 1.f, -1.f, 2.f, -2.f, 1.f / 2, 0.f},
                                      {0.f, 1.f, 1.f, 4.f, 4.f, 1.f / 4, 0.f},
                                      {0.f, 1.f, -1.f, 8.f, -8.f, 1.f / 8, 0.f},
                                      {0.f, 1.f, 1.f, 16.f, 16.f, 1.f / 16, 1.f}};
};

/** F(6x6, 3x3): the points {0, 1, -1, 2, -2, 1/2, -1/2, inf}. */
template <>
struct ToomCook<6> {
  static constexpr float kBT[8][8] = {{-1.f, 0.f, 21.f / 4, 0.f, -21.f / 4, 0.f, 1.f, 0.f},
                                      {0.f, 1.f, 1.f, -17.f / 4, -17.f / 4, 1.f, 1.f, 0.f},
                                      {0.f, -1.f, 1.f, 17.f / 4, -17.f / 4, -1.f, 1.f, 0.f},
                                      {0.f, 1.f / 2, 1.f / 4, -5.f / 2, -5.f / 4, 2.f, 1.f, 0.f},
                                      {0.f, -1.f / 2, 1.f / 4, 5.f / 2, -5.f / 4, -2.f, 1.f, 0.f},
                                      {0.f, 2.f, 4.f, -5.f / 2, -5.f, 1.f / 2, 1.f, 0.f},
                                      {0.f, -2.f, 4.f, 5.f / 2, -5.f, -1.f / 2, 1.f, 0.f},
                                      {0.f, -1.f, 0.f, 21.f / 4, 0.f, -21.f / 4, 0.f, 1.f}};
  static constexpr float kG[8][3] = {{-1.f, 0.f, 0.f},
                                     {-2.f / 9, -2.f / 9, -2.f / 9},
                                     {-2.f / 9, 2.f / 9, -2.f / 9},
                                     {1.f / 90, 1.f / 45, 2.f / 45},
                                     {1.f / 90, -1.f / 45, 2.f / 45},
                                     {32.f / 45, 16.f / 45, 8.f / 45},
                                     {32.f / 45, -16.f / 45, 8.f / 45},
                                     {0.f, 0.f, 1.f}};
  static constexpr float kAT[6][8] = {{1.f, 1.f, 1.f, 1.f, 1.f, 1.f, 1.f, 0.f},
                                      {0.f, 1.f, -1.f, 2.f, -2.f, 1.f / 2, -1.f / 2, 0.f},
                                      {0.f, 1.f, 1.f, 4.f, 4.f, 1.f / 4, 1.f / 4, 0.f},
                                      {0.f, 1.f, -1.f, 8.f, -8.f, 1.f / 8, -1.f / 8, 0.f},
                                      {0.f, 1.f, 1.f, 16.f, 16.f, 1.f / 16, 1.f / 16, 0.f},
                                      {0.f, 1.f, -1.f, 32.f, -32.f, 1.f / 32, -1.f / 32, 1.f}};
};

/** F(7x7, 3x3): the points {0, 1, -1, 2, -2, 1/2, -1/2, 1/4, inf}. */
template <>
struct ToomCook<7> {
  static constexpr float kBT[9][9] = {{1.f / 4, -1.f, -21.f / 16, 21.f / 4, 21.f / 16, -21.f / 4, -1.f / 4, 1.f, 0.f},
                                      {0.f, -1.f / 4, 3.f / 4, 33.f / 16, -51.f / 16, -9.f / 2, 3.f / 4, 1.f, 0.f},
                                      {0.f, 1.f / 4, -5.f / 4, -1.f / 16, 85.f / 16, -4.f, -5.f / 4, 1.f, 0.f},
                                      {0.f, -1.f / 8, 7.f / 16, 7.f / 8, -35.f / 16, -7.f / 4, 7.f / 4, 1.f, 0.f},
                                      {0.f, 1.f / 8, -9.f / 16, -3.f / 8, 45.f / 16, -3.f / 4, -9.f / 4, 1.f, 0.f},
                                      {0.f, -1.f / 2, 1.f, 37.f / 8, -5.f / 4, -41.f / 8, 1.f / 4, 1.f, 0.f},
                                      {0.f, 1.f / 2, -3.f, 27.f / 8, 15.f / 4, -39.f / 8, -3.f / 4, 1.f, 0.f},
                                      {0.f, -1.f, 0.f, 21.f / 4, 0.f, -21.f / 4, 0.f, 1.f, 0.f},
                                      {0.f, 1.f / 4, -1.f, -21.f / 16, 21.f / 4, 21.f / 16, -21.f / 4, -1.f / 4, 1.f}};
  static constexpr float kG[9][3] = {{4.f, 0.f, 0.f},
                                     {-8.f / 27, -8.f / 27, -8.f / 27},
                                     {8.f / 45, -8.f / 45, 8.f / 45},
                                     {2.f / 315, 4.f / 315, 8.f / 315},
                                     {-2.f / 405, 4.f / 405, -8.f / 405},
                                     {128.f / 45, 64.f / 45, 32.f / 45},
                                     {-128.f / 135, 64.f / 135, -32.f / 135},
                                     {-16384.f / 2835, -4096.f / 2835, -1024.f / 2835},
                                     {0.f, 0.f, 1.f}};
  static constexpr float kAT[7][9] = {{1.f, 1.f, 1.f, 1.f, 1.f, 1.f, 1.f, 1.f, 0.f},
                                      {0.f, 1.f, -1.f, 2.f, -2.f, 1.f / 2, -1.f / 2, 1.f / 4, 0.f},
                                      {0.f, 1.f, 1.f, 4.f, 4.f, 1.f / 4, 1.f / 4, 1.f / 16, 0.f},
                                      {0.f, 1.f, -1.f, 8.f, -8.f, 1.f / 8, -1.f / 8, 1.f / 64, 0.f},
                                      {0.f, 1.f, 1.f, 16.f, 16.f, 1.f / 16, 1.f / 16, 1.f / 256, 0.f},
                                      {0.f, 1.f, -1.f, 32.f, -32.f, 1.f / 32, -1.f / 32, 1.f / 1024, 0.f},
                                      {0.f, 1.f, 1.f, 64.f, 64.f, 1.f / 64, 1.f / 64, 1.f / 4096, 1.f}};
};

/** One of a ToomCook's matrices as a type, for the compile-time loops of MatStreams. */
template <int M, int kWhich>  // 0: B^T, 1: A^T, 2: A (= A^T transposed)
struct ToomMatrix {
  static constexpr int kRows = kWhich == 1 ? M : M + 2, kCols = kWhich == 2 ? M : M + 2;
  static constexpr float At(int o, int i) {
    return kWhich == 0 ? ToomCook<M>::kBT[o][i] : kWhich == 1 ? ToomCook<M>::kAT[o][i] : ToomCook<M>::kAT[i][o];
  }
};

/** The index of row O's first nonzero coefficient in Mat. */
template <class Mat, int O>
constexpr int FirstNonzero() {
  for (int i = 0; i < Mat::kCols; ++i) {
    if (Mat::At(O, i) != 0.f) return i;
  }
  return Mat::kCols;
}

/** Mat(O, I) · v, a coefficient ±1 as a sign. */
template <class Mat, int O, size_t I>
ONEDNN_BINDING_INLINE float Term(float v) {
  constexpr float k = Mat::At(O, static_cast<int>(I));
  if constexpr (k == 1.f) {
    return v;
  } else if constexpr (k == -1.f) {
    return -v;
  } else {
    return k * v;
  }
}

/**
 * (Mat v)[O] = sum_I Mat(O, I) v_I over the nonzero coefficients only, left to right. Every condition is a
 * compile-time constant, so this unrolls into the row's few multiply-adds.
 */
template <class Mat, int O, size_t... I, class... V>
ONEDNN_BINDING_INLINE float Row(std::index_sequence<I...>, V... v) {
  constexpr int first = FirstNonzero<Mat, O>();
  float acc = 0.f;
  ((acc = static_cast<int>(I) == first                                            ? Term<Mat, O, I>(v)
          : static_cast<int>(I) > first && Mat::At(O, static_cast<int>(I)) != 0.f ? acc + Term<Mat, O, I>(v)
                                                                                  : acc),
   ...);
  return acc;
}

/** op[O][c] = (Mat v)[O], or max((Mat v)[O] + bias[c], lo) with kEpilogue, for every output row O. */
template <class Mat, bool kEpilogue, size_t... O, class... V>
ONEDNN_BINDING_INLINE void Rows(std::index_sequence<O...>, float* const* op, int64_t c, const float* bias, float lo,
                                V... v) {
  using Inputs = std::make_index_sequence<sizeof...(V)>;
  if constexpr (kEpilogue) {
    ((op[O][c] = std::max(Row<Mat, static_cast<int>(O)>(Inputs{}, v...) + bias[c], lo)), ...);
  } else {
    ((op[O][c] = Row<Mat, static_cast<int>(O)>(Inputs{}, v...)), ...);
  }
}

/** MatStreams with the pointers unpacked into constant-index locals (which GCC keeps in registers). */
template <class Mat, bool kEpilogue, size_t... I, size_t... O>
ONEDNN_BINDING_INLINE void MatStreamsOf(std::index_sequence<I...>, std::index_sequence<O...> outs,
                                        const float* const* in, float* const* out, int64_t n, const float* bias,
                                        float lo) {
  const float* const ip[] = {in[I]...};
  float* const op[] = {out[O]...};
#pragma omp simd
  for (int64_t c = 0; c < n; ++c) Rows<Mat, kEpilogue>(outs, op, c, bias, lo, ip[I][c]...);
}

/**
 * out_o[c] = (Mat (in_0[c] .. in_{cols-1}[c]))[o] for c < n: one small matrix applied at every channel (a
 * "stream" kernel, as F4x4*Streams; the in and out buffers are distinct). With kEpilogue, + bias[c] and max(., lo).
 */
template <class Mat, bool kEpilogue = false>
ONEDNN_BINDING_INLINE void MatStreams(const float* const* in, float* const* out, int64_t n, const float* bias = nullptr,
                                      float lo = 0.f) {
  MatStreamsOf<Mat, kEpilogue>(std::make_index_sequence<Mat::kCols>{}, std::make_index_sequence<Mat::kRows>{}, in, out,
                               n, bias, lo);
}

/** F(M x M, 3x3) on (M+2) x (M+2) input tiles, the tile interface of F4x4 over ToomCook<M>'s matrices. */
template <int M>
struct Toom {
  static constexpr int kM = M, kAlpha = M + 2, kElements = kAlpha * kAlpha;
  using BT = ToomMatrix<M, 0>;
  using AT = ToomMatrix<M, 1>;
  using A = ToomMatrix<M, 2>;
  // Channels per pass through the L1 buffers: F(7x7)'s 81 x 32 floats are 10 KiB.
  static constexpr int64_t kBlock = 32;

  /** u = G g G^T (n x n) for one 3x3 filter g. */
  static void Filter(const float (&g)[3][3], float (&u)[kElements]) { GgGt(ToomCook<M>::kG, g, u); }

  /** dg = G^T s G (3x3) for the n x n accumulated s. */
  static void FilterGrad(const float (&s)[kElements], float (&dg)[3][3]) { GtSG(ToomCook<M>::kG, s, dg); }

  /** V[e][slot][c] = (B^T d B)[e] of the n x n patch of tile (n, th, tw) (origin M·th − pt, M·tw − pl). */
  static ONEDNN_BINDING_INLINE void Input(const float* x, const Pass& g, int64_t n, int64_t th, int64_t tw,
                                          const float* zeros, float* V, size_t es) {
    const float* p[kElements];
    InputPatch<kAlpha, M>(x, g, n, th, tw, zeros, p);
    alignas(64) float t[kElements][kBlock];  // t[a * n + j] = (B^T d)[a][j] for the block's channels
    const float* in[kAlpha];
    float* out[kAlpha];
    for (int64_t c0 = 0; c0 < g.C; c0 += kBlock) {
      const int64_t cb = std::min(kBlock, g.C - c0);
      for (int j = 0; j < kAlpha; ++j) {  // columns: B^T d
        for (int i = 0; i < kAlpha; ++i) in[i] = p[i * kAlpha + j] + c0, out[i] = t[i * kAlpha + j];
        MatStreams<BT>(in, out, cb);
      }
      for (int a = 0; a < kAlpha; ++a) {  // rows: (B^T d) B
        for (int j = 0; j < kAlpha; ++j)
          in[j] = t[a * kAlpha + j], out[j] = V + static_cast<size_t>(a * kAlpha + j) * es + c0;
        MatStreams<BT>(in, out, cb);
      }
    }
  }

  /**
   * y M x M tile = max(A^T Mt A + bias, lo) (`bias`: K values, zeros when the conv has none); outputs beyond
   * OH/OW go to rows of `sink` (M² x K floats).
   */
  static ONEDNN_BINDING_INLINE void Output(const float* Mt, size_t es, const Pass& g, int64_t n, int64_t th, int64_t tw,
                                           const float* bias, const float* zeros, float lo, float* sink, float* y) {
    (void)zeros;
    float* q[M * M];
    OutputPatch<M>(y, g, n, th, tw, sink, g.K, q);
    alignas(64) float r[M * kAlpha][kBlock];  // r[i * n + j] = (A^T Mt)[i][j]
    const float* in[kAlpha];
    float* out[kAlpha];
    for (int64_t k0 = 0; k0 < g.K; k0 += kBlock) {
      const int64_t kb = std::min(kBlock, g.K - k0);
      for (int j = 0; j < kAlpha; ++j) {  // columns: A^T Mt
        for (int i = 0; i < kAlpha; ++i) in[i] = Mt + static_cast<size_t>(i * kAlpha + j) * es + k0;
        for (int i = 0; i < M; ++i) out[i] = r[i * kAlpha + j];
        MatStreams<AT>(in, out, kb);
      }
      for (int i = 0; i < M; ++i) {  // rows: (A^T Mt) A, + bias, relu
        for (int j = 0; j < kAlpha; ++j) in[j] = r[i * kAlpha + j];
        for (int b = 0; b < M; ++b) out[b] = q[i * M + b] + k0;
        MatStreams<AT, true>(in, out, kb, bias + k0, lo);
      }
    }
  }

  /** Z[e][slot][k] = (A dy A^T)[e] for the M x M dy tile (n, th, tw); dy beyond OH/OW reads as zero. */
  static ONEDNN_BINDING_INLINE void Grad(const float* dy, const Pass& g, int64_t n, int64_t th, int64_t tw,
                                         const float* zeros, float* Z, size_t es) {
    const float* p[M * M];
    OutputPatch<M>(dy, g, n, th, tw, zeros, 0, p);
    alignas(64) float r[kAlpha * M][kBlock];  // r[a * M + j] = (A u)[a][j]
    const float* in[kAlpha];
    float* out[kAlpha];
    for (int64_t k0 = 0; k0 < g.K; k0 += kBlock) {
      const int64_t kb = std::min(kBlock, g.K - k0);
      for (int j = 0; j < M; ++j) {  // columns: A u
        for (int i = 0; i < M; ++i) in[i] = p[i * M + j] + k0;
        for (int a = 0; a < kAlpha; ++a) out[a] = r[a * M + j];
        MatStreams<A>(in, out, kb);
      }
      for (int a = 0; a < kAlpha; ++a) {  // rows: (A u) A^T
        for (int j = 0; j < M; ++j) in[j] = r[a * M + j];
        for (int b = 0; b < kAlpha; ++b) out[b] = Z + static_cast<size_t>(a * kAlpha + b) * es + k0;
        MatStreams<A>(in, out, kb);
      }
    }
  }
};

/**
 * The transformed filters of HWIO w `[3][3][C][K]`: U[e][c][k] = (G g G^T)[e] for the 3x3 filter g of (c, k) (the
 * forward pass's [C][K] matrices), or with `flip` the filters rotated by 180 degrees and stored transposed,
 * Ut[e][k][c] (backward data: the [K][C] matrices it multiplies by, as plain row-major GEMM operands).
 */
template <class Tile>
void FilterTransform(const float* w, int64_t C, int64_t K, bool flip, float* U) {
  const size_t plane = static_cast<size_t>(C * K);
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < C; ++c) {
    for (int64_t k = 0; k < K; ++k) {
      float g[3][3], u[Tile::kElements];
      for (int kh = 0; kh < 3; ++kh) {
        for (int kw = 0; kw < 3; ++kw) {
          const int sh = flip ? 2 - kh : kh, sw = flip ? 2 - kw : kw;
          g[kh][kw] = w[static_cast<size_t>((sh * 3 + sw) * C + c) * K + k];
        }
      }
      Tile::Filter(g, u);
      const size_t at = static_cast<size_t>(flip ? k * C + c : c * K + k);
      for (int e = 0; e < Tile::kElements; ++e) U[e * plane + at] = u[e];
    }
  }
}

/** Calls f(n, th, tw, s) for the tiles t0 .. t0 + count - 1, s being the tile's slot in its chunk. */
template <class F>
ONEDNN_BINDING_INLINE void ForTiles(const Pass& g, int64_t t0, int64_t count, F&& f) {
  int64_t n, th, tw;
  for (int64_t s = 0; s < count; ++s) {
    TileCoords(g, t0 + s, n, th, tw);
    f(n, th, tw, s);
  }
}

// The transforms of a chunk of tiles, compiled for AVX-512, AVX2 and baseline x86-64 (ONEDNN_BINDING_CLONES): the
// inline tile transform is compiled into each, so its channel loop runs 16, 8 or 4 lanes wide on the machine at
// hand.

/** Tile::Input of the tiles t0 .. t0 + count - 1 into `slot`-float slots of D (`es`: element stride). */
template <class Tile>
ONEDNN_BINDING_CLONES void InputChunk(const float* src, const Pass& g, int64_t t0, int64_t count, const float* zeros,
                                      float* D, int64_t slot, size_t es) {
  ForTiles(g, t0, count, [&](int64_t n, int64_t th, int64_t tw, int64_t s) ONEDNN_BINDING_ALWAYS_INLINE {
    Tile::Input(src, g, n, th, tw, zeros, D + s * slot, es);
  });
}

/** Tile::Grad (A dy A^T) of the dy tiles t0 .. t0 + count - 1 into `slot`-float slots of D. */
template <class Tile>
ONEDNN_BINDING_CLONES void GradChunk(const float* src, const Pass& g, int64_t t0, int64_t count, const float* zeros,
                                     float* D, int64_t slot, size_t es) {
  ForTiles(g, t0, count, [&](int64_t n, int64_t th, int64_t tw, int64_t s) ONEDNN_BINDING_ALWAYS_INLINE {
    Tile::Grad(src, g, n, th, tw, zeros, D + s * slot, es);
  });
}

/** y = max(A^T M A + bias, lo) of the output tiles t0 .. t0 + count - 1 (see Tile::Output). */
template <class Tile>
ONEDNN_BINDING_CLONES void OutputChunk(const float* M, size_t es, const Pass& g, int64_t t0, int64_t count,
                                       const float* bias, const float* zeros, float lo, float* sink, float* y) {
  ForTiles(g, t0, count, [&](int64_t n, int64_t th, int64_t tw, int64_t s) ONEDNN_BINDING_ALWAYS_INLINE {
    Tile::Output(M + s * g.K, es, g, n, th, tw, bias, zeros, lo, sink, y);
  });
}

/**
 * One forward pass y = conv3x3(x) over tiles of `Tile`: per chunk, input transforms, Tile::kElements GEMMs with
 * the [C][K] matrices U[e], output transforms.
 */
template <class Tile>
void ForwardPass(const Pass& g, const float* x, const float* U, const float* bias, bool relu, float* y) {
  constexpr int E = Tile::kElements;
  const int64_t tb = ChunkTiles(g, E);
  const int64_t chunks = (g.T + tb - 1) / tb;
  auto& buffers = Buffers();
#pragma omp parallel
  {
    ThreadBuffers& buf = buffers[ThreadId()];
    float* V = Grow(buf.a, static_cast<size_t>(E * tb * g.C));
    float* M = Grow(buf.b, static_cast<size_t>(E * tb * g.K));
    const int64_t width = std::max(g.C, g.K);
    float* zeros = Grow(buf.zeros, static_cast<size_t>(width));
    float* sink = Grow(buf.sink, static_cast<size_t>(Tile::kM * Tile::kM * g.K));
    std::fill(zeros, zeros + width, 0.f);
    const float* b = bias != nullptr ? bias : zeros;
    const float lo = ReluFloor(relu);
    const size_t ves = static_cast<size_t>(tb * g.C), mes = static_cast<size_t>(tb * g.K);
#pragma omp for schedule(static)
    for (int64_t ch = 0; ch < chunks; ++ch) {
      const int64_t t0 = ch * tb, count = std::min(tb, g.T - t0);
      InputChunk<Tile>(x, g, t0, count, zeros, V, g.C, ves);
      for (int e = 0; e < E; ++e) {
        const float* u = U + static_cast<size_t>(e) * g.C * g.K;
        dnnl_sgemm('N', 'N', count, g.K, g.C, 1.f, V + e * ves, g.C, u, g.K, 0.f, M + e * mes, g.K);
      }
      OutputChunk<Tile>(M, mes, g, t0, count, b, zeros, lo, sink, y);
    }
  }
}

/** dw[3,3,IC,OC] = G^T [sum_t V_t (.) (A dy_t A^T)] G over tiles of `Tile` (see the file comment). */
template <class Tile>
void BackwardWeightsPass(const Pass& g, const float* x, const float* dy, float* dw) {
  constexpr int E = Tile::kElements;
  const int64_t IC = g.C, OC = g.K;
  const int64_t tb = ChunkTiles(g, E, true);
  const int64_t chunks = (g.T + tb - 1) / tb;
  const int threads = MaxThreads();
  const size_t plane = static_cast<size_t>(IC * OC);
  static std::vector<float> acc_store;
  float* acc = Grow(acc_store, static_cast<size_t>(threads) * E * plane);
  auto& buffers = Buffers();
#pragma omp parallel
  {
    const int tid = ThreadId();
    ThreadBuffers& buf = buffers[tid];
    float* S = acc + static_cast<size_t>(tid) * E * plane;
    std::fill(S, S + E * plane, 0.f);
    float* V = Grow(buf.a, static_cast<size_t>(E * tb * IC));
    float* Z = Grow(buf.b, static_cast<size_t>(E * tb * OC));
    float* zeros = Grow(buf.zeros, static_cast<size_t>(std::max(IC, OC)));
    std::fill(zeros, zeros + std::max(IC, OC), 0.f);
    const size_t ves = static_cast<size_t>(tb * IC), zes = static_cast<size_t>(tb * OC);
#pragma omp for schedule(static)
    for (int64_t ch = 0; ch < chunks; ++ch) {
      const int64_t t0 = ch * tb, count = std::min(tb, g.T - t0);
      InputChunk<Tile>(x, g, t0, count, zeros, V, IC, ves);
      GradChunk<Tile>(dy, g, t0, count, zeros, Z, OC, zes);
      for (int e = 0; e < E; ++e) {  // S[e] (IC x OC) += V[e]^T (IC x count) . Z[e] (count x OC)
        dnnl_sgemm('T', 'N', IC, OC, count, 1.f, V + e * ves, IC, Z + e * zes, OC, 1.f, S + e * plane, OC);
      }
    }
  }
  // dw = G^T (sum over threads of S) G, HWIO.
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < static_cast<int64_t>(plane); ++i) {
    float s[E];
    for (int e = 0; e < E; ++e) {
      float v = 0.f;
      for (int t = 0; t < threads; ++t) v += acc[(static_cast<size_t>(t) * E + e) * plane + i];
      s[e] = v;
    }
    float dg[3][3];
    Tile::FilterGrad(s, dg);
    for (int k = 0; k < 3; ++k) {
      for (int j = 0; j < 3; ++j) dw[(k * 3 + j) * plane + i] = dg[k][j];
    }
  }
}

/** Calls f(Tile{}) with the tile class of `tile`. */
template <class F>
void WithTile(WinogradTile tile, F&& f) {
  switch (tile) {
    case WinogradTile::kF2x2:
      return f(F2x2{});
    case WinogradTile::kF3x3:
      return f(Toom<3>{});
    case WinogradTile::kF5x5:
      return f(Toom<5>{});
    case WinogradTile::kF6x6:
      return f(Toom<6>{});
    case WinogradTile::kF7x7:
      return f(Toom<7>{});
    case WinogradTile::kF4x4:
    case WinogradTile::kAuto:  // resolved by the callers (TileForOutput); F(4x4) if one is not
      break;
  }
  f(F4x4{});
}

}  // namespace

ConvAlgorithmMode GetConvAlgorithmMode() {
  return Mode();
}
void SetConvAlgorithmMode(ConvAlgorithmMode mode) {
  Mode() = mode;
}
WinogradTile GetTrainingWinogradTile() {
  return TrainingTile();
}
void SetTrainingWinogradTile(WinogradTile tile) {
  TrainingTile() = tile;
}

std::string WinogradImpl(WinogradTile tile) {
  const std::string m = std::to_string(static_cast<int>(tile));
  return "native:winograd_f" + m + "x" + m + "_3x3+gemm:jit";
}

WinogradTile TileForOutput(WinogradTile setting, int64_t out_h, int64_t out_w) {
  if (setting != WinogradTile::kAuto) return setting;
  const auto cost = [&](int64_t m) { return ((out_h + m - 1) / m) * ((out_w + m - 1) / m) * (m + 2) * (m + 2); };
  int64_t best = 2;
  for (int64_t m = 3; m <= 7; ++m) {
    if (100 * cost(m) < 85 * cost(best)) best = m;
  }
  return static_cast<WinogradTile>(best);
}

bool WinogradGeometry(const ConvGeometry& g) {
  return g.kernel_h == 3 && g.kernel_w == 3 && g.stride_h == 1 && g.stride_w == 1 && g.dilation_h == 1 &&
         g.dilation_w == 1;
}

bool WinogradApplies(const ConvGeometry& g, bool backward_data) {
  if (!WinogradGeometry(g)) return false;
  if (backward_data && (g.pad_top > 2 || g.pad_left > 2)) return false;  // "full" padding 2 - pad must be >= 0
  switch (Mode()) {
    case ConvAlgorithmMode::kDirect:
      return false;
    case ConvAlgorithmMode::kWinograd:
      return true;
    case ConvAlgorithmMode::kAuto:
      break;
  }
  // Measured on 2 cores (best of 4 calls per pass, batch 128 and 1024; AVX-512 and AVX2 builds): with 16+
  // channels on each side Winograd F(4x4) beats oneDNN's direct kernels in all three passes, up to 3x on
  // AVX2 (airbench94's 15x15x64->256 at batch 1024: 143/148/168 ms against 372/424/475 forward / backward
  // data / backward weights); with 3 input channels (a network's first layer) the direct forward is twice as
  // fast. A fixed rule, not a per-shape timing, keeps results bit-identical from run to run.
  return g.in_channels >= 16 && g.out_channels >= 16;
}

void WinogradForward(const ConvGeometry& g, const float* x, const float* w, const float* bias, bool relu, float* y,
                     WinogradTile tile) {
  WithTile(tile, [&](auto t) {
    using Tile = decltype(t);
    float* U = Grow(FilterBuffer(), static_cast<size_t>(Tile::kElements * g.in_channels * g.out_channels));
    FilterTransform<Tile>(w, g.in_channels, g.out_channels, false, U);
    WinogradForwardTransformed(g, x, U, bias, relu, y, tile);
  });
}

std::vector<float> WinogradTransformFilter(const float* w, int64_t in_channels, int64_t out_channels,
                                           WinogradTile tile) {
  std::vector<float> U;
  WithTile(tile, [&](auto t) {
    using Tile = decltype(t);
    U.resize(static_cast<size_t>(Tile::kElements * in_channels * out_channels));
    FilterTransform<Tile>(w, in_channels, out_channels, false, U.data());
  });
  return U;
}

void WinogradForwardTransformed(const ConvGeometry& g, const float* x, const float* U, const float* bias, bool relu,
                                float* y, WinogradTile tile) {
  WithTile(tile, [&](auto t) {
    using Tile = decltype(t);
    ForwardPass<Tile>(ForwardPassOf(g, Tile::kM), x, U, bias, relu, y);
  });
}

void WinogradBackwardData(const ConvGeometry& g, const float* dy, const float* w, float* dx, WinogradTile tile) {
  WithTile(tile, [&](auto t) {
    using Tile = decltype(t);
    float* U = Grow(FilterBuffer(), static_cast<size_t>(Tile::kElements * g.in_channels * g.out_channels));
    FilterTransform<Tile>(w, g.in_channels, g.out_channels, true, U);  // Ut[e]: [OC][IC], the rotated filters
    ForwardPass<Tile>(BackwardDataPassOf(g, Tile::kM), dy, U, nullptr, false, dx);
  });
}

void WinogradBackwardWeights(const ConvGeometry& g, const float* x, const float* dy, float* dw, WinogradTile tile) {
  WithTile(tile, [&](auto t) {
    using Tile = decltype(t);
    BackwardWeightsPass<Tile>(ForwardPassOf(g, Tile::kM), x, dy, dw);
  });
}

}  // namespace onednn_binding
