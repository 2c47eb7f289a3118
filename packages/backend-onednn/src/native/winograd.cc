// Winograd convolutions for 3x3, stride-1, undilated NHWC convolutions: forward (with optional bias + relu),
// backward data and backward weights, on F(2x2, 3x3) or F(4x4, 3x3) tiles. Lavin & Gray, "Fast Algorithms for
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
// F(4x4) uses the interpolation points {0, ±1, ±2, ∞}; its larger transform constants cost float32 accuracy
// (~1e-6 relative error for F(2x2), ~1e-5 for F(4x4): src/winograd.test.ts measures both against float64
// direct convolution), far below the noise of SGD on a mini-batch (the fast CIFAR-10 recipe this was built for
// trains in float16 on GPUs).
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

ConvAlgorithm& Mode() {
  static ConvAlgorithm mode = [] {
    const char* v = std::getenv("ONEDNN_CONV_ALGO");
    if (v != nullptr && std::string(v) == "direct") return ConvAlgorithm::kDirect;
    if (v != nullptr && std::string(v) == "winograd") return ConvAlgorithm::kWinograd;
    return ConvAlgorithm::kAuto;
  }();
  return mode;
}

WinogradTile& TrainingTile() {
  static WinogradTile tile = [] {
    const char* v = std::getenv("ONEDNN_WINOGRAD_TILE");
    return v != nullptr && std::string(v) == "2" ? WinogradTile::kF2x2 : WinogradTile::kF4x4;
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

/** Geometry of one Winograd pass: input [N,H,W,C] tiles → output [N,OH,OW,K] (C, K channels), m x m tiles. */
struct Pass {
  int64_t N, H, W, C, OH, OW, K, pt, pl;
  int64_t TH, TW, T;  // tiles per column, per row, in all
};

Pass MakePass(int64_t N, int64_t H, int64_t W, int64_t C, int64_t OH, int64_t OW, int64_t K, int64_t pt, int64_t pl,
              int64_t m) {
  Pass g{N, H, W, C, OH, OW, K, pt, pl, (OH + m - 1) / m, (OW + m - 1) / m, 0};
  g.T = N * g.TH * g.TW;
  return g;
}

/**
 * Tiles per chunk: both transform buffers of a chunk (E x tiles x (C + K) floats, E transform elements per tile)
 * within 4 MiB per thread (in L3 beside the filter transform; larger chunks make fewer, larger GEMMs and, for the
 * weight gradient, fewer read-modify-writes of the accumulator), between 16 and 512 tiles, and at least one chunk
 * per thread.
 */
int64_t ChunkTiles(const Pass& g, int64_t elements) {
  constexpr int64_t kBudgetBytes = int64_t{4} << 20;
  int64_t tb = kBudgetBytes / (4 * elements * (g.C + g.K));
  tb = std::max<int64_t>(16, std::min<int64_t>(512, tb));
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
 * `outside` beyond OH/OW: the kSize x kSize output tile (or, for the gradient, the dy tile) of tile (th, tw).
 */
template <int kSize, class T>
ONEDNN_BINDING_INLINE void OutputPatch(T* y, const Pass& g, int64_t n, int64_t th, int64_t tw, T* outside, T** q) {
  for (int i = 0; i < kSize; ++i) {
    for (int j = 0; j < kSize; ++j) {
      const int64_t oh = kSize * th + i, ow = kSize * tw + j;
      q[i * kSize + j] = (oh < g.OH && ow < g.OW) ? y + ((n * g.OH + oh) * g.OW + ow) * g.K : outside;
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

  /** y tile = A^T M A (+ bias, relu) for tile (n, th, tw) from M[e][slot][k]; outputs beyond OH/OW go to `sink`. */
  static ONEDNN_BINDING_INLINE void Output(const float* M, size_t es, const Pass& g, int64_t n, int64_t th, int64_t tw,
                                           const float* bias, bool relu, float* sink, float* y) {
    float* q[4];
    OutputPatch<2>(y, g, n, th, tw, sink, q);
    const float lo = ReluFloor(relu);
#pragma omp simd
    for (int64_t k = 0; k < g.K; ++k) {
      float r[2][4];  // A^T M: rows
      for (int j = 0; j < 4; ++j) {
        const float m0 = M[j * es + k], m1 = M[(4 + j) * es + k], m2 = M[(8 + j) * es + k], m3 = M[(12 + j) * es + k];
        r[0][j] = m0 + m1 + m2;
        r[1][j] = m1 - m2 - m3;
      }
      const float b = bias ? bias[k] : 0.f;
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
    OutputPatch<2>(dy, g, n, th, tw, zeros, p);
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

/** B^T applied to the 6-vector d (a column or row of an input tile). */
ONEDNN_BINDING_INLINE void F4x4InputVector(float d0, float d1, float d2, float d3, float d4, float d5, float* t) {
  const float s12 = d1 + d2, s34 = d3 + d4, m12 = d1 - d2, m34 = d4 - d3;
  const float d42 = d4 - d2, d31 = d3 - d1;
  t[0] = (4.f * d0 - 5.f * d2) + d4;
  t[1] = s34 - 4.f * s12;
  t[2] = m34 + 4.f * m12;
  t[3] = d42 + 2.f * d31;
  t[4] = d42 - 2.f * d31;
  t[5] = (4.f * d1 - 5.f * d3) + d5;
}

/** A^T applied to the 6-vector m: the 4 outputs of one column or row of an output tile. */
ONEDNN_BINDING_INLINE void F4x4OutputVector(float m0, float m1, float m2, float m3, float m4, float m5, float* o) {
  const float a = m1 + m2, b = m1 - m2, c = m3 + m4, d = m3 - m4;
  o[0] = m0 + a + c;
  o[1] = b + 2.f * d;
  o[2] = a + 4.f * c;
  o[3] = (b + 8.f * d) + m5;
}

/** A applied to the 4-vector u of a dy tile: 6 values. */
ONEDNN_BINDING_INLINE void F4x4GradVector(float u0, float u1, float u2, float u3, float* z) {
  const float p = u0 + u2, q = u1 + u3, p2 = u0 + 4.f * u2, q2 = 2.f * u1 + 8.f * u3;
  z[0] = u0;
  z[1] = p + q;
  z[2] = p - q;
  z[3] = p2 + q2;
  z[4] = p2 - q2;
  z[5] = u3;
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
  static void Filter(const float (&g)[3][3], float (&u)[kElements]) {
    float t[6][3];
    for (int a = 0; a < 6; ++a) {
      for (int j = 0; j < 3; ++j) t[a][j] = kG[a][0] * g[0][j] + kG[a][1] * g[1][j] + kG[a][2] * g[2][j];
    }
    for (int a = 0; a < 6; ++a) {
      for (int b = 0; b < 6; ++b) u[a * 6 + b] = t[a][0] * kG[b][0] + t[a][1] * kG[b][1] + t[a][2] * kG[b][2];
    }
  }

  /** dg = G^T s G (3x3) for the 6x6 accumulated s. */
  static void FilterGrad(const float (&s)[kElements], float (&dg)[3][3]) {
    float r[3][6];  // G^T S
    for (int k = 0; k < 3; ++k) {
      for (int b = 0; b < 6; ++b) {
        float v = 0.f;
        for (int a = 0; a < 6; ++a) v += kG[a][k] * s[a * 6 + b];
        r[k][b] = v;
      }
    }
    for (int k = 0; k < 3; ++k) {  // (G^T S) G
      for (int j = 0; j < 3; ++j) {
        float v = 0.f;
        for (int b = 0; b < 6; ++b) v += r[k][b] * kG[b][j];
        dg[k][j] = v;
      }
    }
  }

  // The data transforms run in two passes over blocks of kBlock channels, through a small buffer in L1: first
  // every column of the tile (6 loads → 6 or 4 values), then every row. One 6x6 tile of vectors at once would
  // need 36 live vector registers (AVX2 has 16) and spill.
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
        const float *d0 = p[j] + c0, *d1 = p[6 + j] + c0, *d2 = p[12 + j] + c0, *d3 = p[18 + j] + c0,
                    *d4 = p[24 + j] + c0, *d5 = p[30 + j] + c0;
#pragma omp simd
        for (int64_t c = 0; c < cb; ++c) {
          float col[6];
          F4x4InputVector(d0[c], d1[c], d2[c], d3[c], d4[c], d5[c], col);
          for (int a = 0; a < 6; ++a) t[a * 6 + j][c] = col[a];
        }
      }
      for (int a = 0; a < 6; ++a) {  // rows: (B^T d) B
        float* v = V + static_cast<size_t>(a * 6) * es + c0;
#pragma omp simd
        for (int64_t c = 0; c < cb; ++c) {
          float row[6];
          F4x4InputVector(t[a * 6][c], t[a * 6 + 1][c], t[a * 6 + 2][c], t[a * 6 + 3][c], t[a * 6 + 4][c],
                          t[a * 6 + 5][c], row);
          for (int b = 0; b < 6; ++b) v[b * es + c] = row[b];
        }
      }
    }
  }

  /** y 4x4 tile = A^T M A (+ bias, relu); outputs beyond OH/OW go to `sink`. */
  static ONEDNN_BINDING_INLINE void Output(const float* M, size_t es, const Pass& g, int64_t n, int64_t th, int64_t tw,
                                           const float* bias, bool relu, float* sink, float* y) {
    float* q[16];
    OutputPatch<4>(y, g, n, th, tw, sink, q);
    const float lo = ReluFloor(relu);
    alignas(64) float r[24][kBlock];  // r[i * 6 + j] = (A^T M)[i][j]
    for (int64_t k0 = 0; k0 < g.K; k0 += kBlock) {
      const int64_t kb = std::min(kBlock, g.K - k0);
      for (int j = 0; j < 6; ++j) {  // columns: A^T M
        const float* m = M + static_cast<size_t>(j) * es + k0;
#pragma omp simd
        for (int64_t k = 0; k < kb; ++k) {
          float col[4];
          F4x4OutputVector(m[k], m[6 * es + k], m[12 * es + k], m[18 * es + k], m[24 * es + k], m[30 * es + k], col);
          for (int i = 0; i < 4; ++i) r[i * 6 + j][k] = col[i];
        }
      }
      for (int i = 0; i < 4; ++i) {  // rows: (A^T M) A, + bias, relu
        float *q0 = q[i * 4] + k0, *q1 = q[i * 4 + 1] + k0, *q2 = q[i * 4 + 2] + k0, *q3 = q[i * 4 + 3] + k0;
#pragma omp simd
        for (int64_t k = 0; k < kb; ++k) {
          float row[4];
          F4x4OutputVector(r[i * 6][k], r[i * 6 + 1][k], r[i * 6 + 2][k], r[i * 6 + 3][k], r[i * 6 + 4][k],
                           r[i * 6 + 5][k], row);
          const float b = bias ? bias[k0 + k] : 0.f;
          q0[k] = std::max(row[0] + b, lo);
          q1[k] = std::max(row[1] + b, lo);
          q2[k] = std::max(row[2] + b, lo);
          q3[k] = std::max(row[3] + b, lo);
        }
      }
    }
  }

  /** Z[e][slot][k] = (A dy A^T)[e] for the 4x4 dy tile (n, th, tw); dy beyond OH/OW reads as zero. */
  static ONEDNN_BINDING_INLINE void Grad(const float* dy, const Pass& g, int64_t n, int64_t th, int64_t tw,
                                         const float* zeros, float* Z, size_t es) {
    const float* p[16];
    OutputPatch<4>(dy, g, n, th, tw, zeros, p);
    alignas(64) float r[24][kBlock];  // r[a * 4 + j] = (A u)[a][j]
    for (int64_t k0 = 0; k0 < g.K; k0 += kBlock) {
      const int64_t kb = std::min(kBlock, g.K - k0);
      for (int j = 0; j < 4; ++j) {  // columns: A u
        const float *u0 = p[j] + k0, *u1 = p[4 + j] + k0, *u2 = p[8 + j] + k0, *u3 = p[12 + j] + k0;
#pragma omp simd
        for (int64_t k = 0; k < kb; ++k) {
          float col[6];
          F4x4GradVector(u0[k], u1[k], u2[k], u3[k], col);
          for (int a = 0; a < 6; ++a) r[a * 4 + j][k] = col[a];
        }
      }
      for (int a = 0; a < 6; ++a) {  // rows: (A u) A^T
        float* z = Z + static_cast<size_t>(a * 6) * es + k0;
#pragma omp simd
        for (int64_t k = 0; k < kb; ++k) {
          float row[6];
          F4x4GradVector(r[a * 4][k], r[a * 4 + 1][k], r[a * 4 + 2][k], r[a * 4 + 3][k], row);
          for (int b = 0; b < 6; ++b) z[b * es + k] = row[b];
        }
      }
    }
  }
};

/**
 * U[e][c][k] = (G g G^T)[e] for the 3x3 filters of HWIO w `[3][3][C][K]`; with `flip` the taps are read rotated
 * by 180 degrees (backward data; the caller then treats U[e] as the transposed [K][C] matrix).
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
      for (int e = 0; e < Tile::kElements; ++e) U[e * plane + static_cast<size_t>(c * K + k)] = u[e];
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

/** y = A^T M A (+ bias, relu) of the output tiles t0 .. t0 + count - 1. */
template <class Tile>
ONEDNN_BINDING_CLONES void OutputChunk(const float* M, size_t es, const Pass& g, int64_t t0, int64_t count,
                                       const float* bias, bool relu, float* sink, float* y) {
  ForTiles(g, t0, count, [&](int64_t n, int64_t th, int64_t tw, int64_t s) ONEDNN_BINDING_ALWAYS_INLINE {
    Tile::Output(M + s * g.K, es, g, n, th, tw, bias, relu, sink, y);
  });
}

/**
 * One forward pass y = conv3x3(x) over tiles of `Tile`: per chunk, input transforms, Tile::kElements GEMMs with
 * U (matrices [C][K], or with `transposed_u` [K][C] used transposed), output transforms.
 */
template <class Tile>
void ForwardPass(const Pass& g, const float* x, const float* U, bool transposed_u, const float* bias, bool relu,
                 float* y) {
  constexpr int E = Tile::kElements;
  const int64_t tb = ChunkTiles(g, E);
  const int64_t chunks = (g.T + tb - 1) / tb;
  auto& buffers = Buffers();
#pragma omp parallel
  {
    ThreadBuffers& buf = buffers[ThreadId()];
    float* V = Grow(buf.a, static_cast<size_t>(E * tb * g.C));
    float* M = Grow(buf.b, static_cast<size_t>(E * tb * g.K));
    float* zeros = Grow(buf.zeros, static_cast<size_t>(g.C));
    float* sink = Grow(buf.sink, static_cast<size_t>(g.K));
    std::fill(zeros, zeros + g.C, 0.f);
    const size_t ves = static_cast<size_t>(tb * g.C), mes = static_cast<size_t>(tb * g.K);
#pragma omp for schedule(static)
    for (int64_t ch = 0; ch < chunks; ++ch) {
      const int64_t t0 = ch * tb, count = std::min(tb, g.T - t0);
      InputChunk<Tile>(x, g, t0, count, zeros, V, g.C, ves);
      for (int e = 0; e < E; ++e) {
        const float* u = U + static_cast<size_t>(e) * g.C * g.K;
        dnnl_sgemm('N', transposed_u ? 'T' : 'N', count, g.K, g.C, 1.f, V + e * ves, g.C, u, transposed_u ? g.C : g.K,
                   0.f, M + e * mes, g.K);
      }
      OutputChunk<Tile>(M, mes, g, t0, count, bias, relu, sink, y);
    }
  }
}

/** dw[3,3,IC,OC] = G^T [sum_t V_t (.) (A dy_t A^T)] G over tiles of `Tile` (see the file comment). */
template <class Tile>
void BackwardWeightsPass(const Pass& g, const float* x, const float* dy, float* dw) {
  constexpr int E = Tile::kElements;
  const int64_t IC = g.C, OC = g.K;
  const int64_t tb = ChunkTiles(g, E);
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
  if (tile == WinogradTile::kF4x4)
    f(F4x4{});
  else
    f(F2x2{});
}

}  // namespace

ConvAlgorithm GetConvAlgorithm() {
  return Mode();
}
void SetConvAlgorithm(ConvAlgorithm mode) {
  Mode() = mode;
}
WinogradTile GetTrainingWinogradTile() {
  return TrainingTile();
}
void SetTrainingWinogradTile(WinogradTile tile) {
  TrainingTile() = tile;
}

bool WinogradGeometry(const std::vector<int64_t>& p) {
  return p[7] == 3 && p[8] == 3 && p[9] == 1 && p[10] == 1 && p[11] == 1 && p[12] == 1;
}

bool WinogradApplies(const std::vector<int64_t>& p, bool backward_data) {
  const int64_t IC = p[3], OC = p[6];
  if (!WinogradGeometry(p)) return false;
  if (backward_data && (p[13] > 2 || p[14] > 2)) return false;  // "full" padding 2 - pad must be >= 0
  switch (Mode()) {
    case ConvAlgorithm::kDirect:
      return false;
    case ConvAlgorithm::kWinograd:
      return true;
    case ConvAlgorithm::kAuto:
      break;
  }
  // Measured on AVX2, 2 cores (median of 15 calls per pass): with 64+ channels each side Winograd is 1.2-2.5x
  // faster in each of the three passes (CIFAR10Net's 32x32x64 ... 8x8x256 layers, batch 128; 7x7x64->128,
  // batch 64); with 32 or fewer on either side oneDNN's direct kernels win (14x14x32->64: 3.4 vs 6.1 ms
  // forward), as the small GEMMs cannot amortise the transforms. A fixed rule, not a per-shape timing, keeps
  // results bit-identical from run to run.
  return IC >= 64 && OC >= 64;
}

void WinogradForward(const std::vector<int64_t>& p, const float* x, const float* w, const float* bias, bool relu,
                     float* y, WinogradTile tile) {
  WithTile(tile, [&](auto t) {
    using Tile = decltype(t);
    float* U = Grow(FilterBuffer(), static_cast<size_t>(Tile::kElements * p[3] * p[6]));
    FilterTransform<Tile>(w, p[3], p[6], false, U);
    WinogradForwardTransformed(p, x, U, bias, relu, y, tile);
  });
}

std::vector<float> WinogradTransformFilter(const float* w, int64_t IC, int64_t OC, WinogradTile tile) {
  std::vector<float> U;
  WithTile(tile, [&](auto t) {
    using Tile = decltype(t);
    U.resize(static_cast<size_t>(Tile::kElements * IC * OC));
    FilterTransform<Tile>(w, IC, OC, false, U.data());
  });
  return U;
}

void WinogradForwardTransformed(const std::vector<int64_t>& p, const float* x, const float* U, const float* bias,
                                bool relu, float* y, WinogradTile tile) {
  const int64_t N = p[0], H = p[1], W = p[2], IC = p[3], OH = p[4], OW = p[5], OC = p[6];
  WithTile(tile, [&](auto t) {
    using Tile = decltype(t);
    ForwardPass<Tile>(MakePass(N, H, W, IC, OH, OW, OC, p[13], p[14], Tile::kM), x, U, false, bias, relu, y);
  });
}

void WinogradBackwardData(const std::vector<int64_t>& p, const float* dy, const float* w, float* dx,
                          WinogradTile tile) {
  const int64_t N = p[0], H = p[1], W = p[2], IC = p[3], OH = p[4], OW = p[5], OC = p[6];
  WithTile(tile, [&](auto t) {
    using Tile = decltype(t);
    float* U = Grow(FilterBuffer(), static_cast<size_t>(Tile::kElements * IC * OC));
    FilterTransform<Tile>(w, IC, OC, true, U);  // U[e] is [IC][OC]; the pass multiplies by its transpose [OC][IC]
    ForwardPass<Tile>(MakePass(N, OH, OW, OC, H, W, IC, 2 - p[13], 2 - p[14], Tile::kM), dy, U, true, nullptr, false,
                      dx);
  });
}

void WinogradBackwardWeights(const std::vector<int64_t>& p, const float* x, const float* dy, float* dw,
                             WinogradTile tile) {
  const int64_t N = p[0], H = p[1], W = p[2], IC = p[3], OH = p[4], OW = p[5], OC = p[6];
  WithTile(tile, [&](auto t) {
    using Tile = decltype(t);
    BackwardWeightsPass<Tile>(MakePass(N, H, W, IC, OH, OW, OC, p[13], p[14], Tile::kM), x, dy, dw);
  });
}

}  // namespace onednn_binding
