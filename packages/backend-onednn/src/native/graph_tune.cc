// The inference graph's convolution tuning (winogradTile -1, 'auto' in JS): when a batch size's plan is built,
// every 3x3 stride-1 convolution with 16+ channels each side runs each of its candidate algorithms (oneDNN's
// direct kernel, Winograd F(2x2, 3x3), Winograd F(4x4, 3x3); after a warm-up run, the best of kTuneReps timed
// runs, its input reorder included) and keeps the most accurate one within kTuneSlack of the fastest, as
// cudnn.benchmark does (ONEDNN_CONV_ALGO=direct still means direct). Which one wins depends on the CPU (vector
// width, cache sizes) and on the batch: on AVX2 Winograd wins at batch 128; on AVX-512 F(4x4) wins every layer
// at batch 256 while at batch 1 oneDNN's brgconv kernels keep some.
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "graph.h"

namespace onednn_binding {
namespace graph {
namespace {

/** Timed runs per candidate when tuning (after one warm-up run); the fastest counts. */
constexpr int kTuneReps = 2;
/**
 * Tuning keeps the most accurate candidate (direct, then F(2x2), then F(4x4)) whose time is within this factor of
 * the fastest: timing noise alone then does not flip a layer to a less accurate algorithm.
 */
constexpr double kTuneSlack = 1.03;

}  // namespace

const char* ShortName(ConvAlgorithm algorithm) {
  static const char* const kNames[] = {"direct", "", "f2x2", "f3x3", "f4x4", "f5x5", "f6x6", "f7x7"};
  return kNames[static_cast<int>(algorithm)];
}

/**
 * The algorithm for convolution `op` at this plan's batch: each of op.algorithms has its steps built, run once to
 * warm up and kTuneReps times timed on the plan's buffers (zeros for the graph input), then removed; the most
 * accurate one within kTuneSlack of the fastest wins. Zeros stand for real data, so every candidate must take
 * the same time whatever the values (no branch on them: a sign-dependent relu branch once made F(4x4) look 2x
 * faster on zeros than on images). A candidate oneDNN cannot build is skipped. `note` gets the times, e.g.
 * " (tuned: direct 0.21, f2x2 0.35, f4x4 0.3 ms)".
 */
ConvAlgorithm Graph::Tune(Plan& plan, Op& op, int x, int v, std::string& note) {
  if (plan.tune_input.empty()) plan.tune_input.assign(static_cast<size_t>(plan.batch * shapes_[0].size()), 0.f);
  const size_t steps = plan.steps.size(), temps = plan.temps.size(), impls = plan.impls.size();
  const dnnl::memory::desc md = plan.md[v];
  std::vector<std::pair<ConvAlgorithm, double>> timed;  // (algorithm, ms), in op.algorithms' order
  std::string times;
  for (ConvAlgorithm algorithm : op.algorithms) {
    char entry[48];
    try {
      BuildConv(plan, op, x, v, algorithm);
      std::vector<float*> values = Values(plan, plan.tune_input.data());
      double ms = 0;
      for (int r = 0; r <= kTuneReps; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        for (size_t i = steps; i < plan.steps.size(); ++i) plan.steps[i](values.data());
        const double t = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        if (r == 1 || (r > 1 && t < ms)) ms = t;  // run 0 warms up
      }
      timed.emplace_back(algorithm, ms);
      std::snprintf(entry, sizeof(entry), "%s%s %.3g", times.empty() ? "" : ", ", ShortName(algorithm), ms);
    } catch (const dnnl::error&) {
      std::snprintf(entry, sizeof(entry), "%s%s failed", times.empty() ? "" : ", ", ShortName(algorithm));
    }
    times += entry;
    plan.steps.resize(steps);
    plan.step_op.resize(steps);
    plan.temps.resize(temps);
    plan.impls.resize(impls);
    plan.md[v] = md;
  }
  note = " (tuned: " + times + " ms)";
  if (timed.empty()) return ConvAlgorithm::kDirect;  // let the direct build report oneDNN's error
  double fastest = timed[0].second;
  for (const auto& [algorithm, ms] : timed) fastest = std::min(fastest, ms);
  for (const auto& [algorithm, ms] : timed) {
    if (ms <= fastest * kTuneSlack) return algorithm;
  }
  return timed[0].first;
}

}  // namespace graph
}  // namespace onednn_binding
