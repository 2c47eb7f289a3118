// The inference graph's shared types (graph.cc describes the JS interface): the parsed ops, the per-batch-size
// plans, and the Graph class, whose methods are defined by responsibility in
//   graph.cc          the N-API surface: constructor, run, profile, outputShape, implementations, dispose
//   graph_parse.cc    the op list from JS: shapes, attributes, the candidate algorithms, the layouts
//   graph_memory.cc   the activation buffers (by liveness), value layouts and the reorders between them
//   graph_tune.cc     the per-plan choice of each tunable convolution's algorithm
//   graph_steps.cc    a plan's steps: oneDNN primitives and native loops, one op after the other
#pragma once

#include <napi.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common.h"
#include "conv_geometry.h"
#include "winograd.h"

namespace onednn_binding {
namespace graph {

/** Per-sample NHWC shape of a value. */
struct Shape {
  int64_t h = 1, w = 1, c = 1;
  int64_t size() const { return h * w * c; }
};

enum class Kind {
  kConv,
  kMaxPool,
  kAvgPool,
  kGlobalAvgPool,
  kDense,
  kAffine,
  kRelu,
  kGelu,
  kSoftmax,
  kAdd,
  kConcat,
  kAlias,
  kToPlain
};

/** A convolution's Winograd-transformed filter for one tile, made on first use and shared by the plans. */
struct WinogradFilter {
  std::vector<float> transformed;  // WinogradTransformFilter's U (empty until made; freed when no plan runs it)
  int plans = 0;                   // how many plans run this tile
};

/** One op as parsed from JS, with its graph-level constants. */
struct Op {
  Kind kind;
  std::string name;  // the JS op name, for messages and implementations()
  std::vector<int> inputs;
  bool relu = false;
  // conv and pooling: the window at batch 1 (pooling: out_channels = in_channels, dilation 1)
  ConvGeometry window;
  int64_t units = 0;  // dense: output features
  std::vector<float> weights, bias;
  // conv: the algorithms to run; several: tuned per plan, in order of accuracy (direct, F(2x2), F(4x4))
  std::vector<ConvAlgorithm> algorithms{ConvAlgorithm::kDirect};
  WinogradFilter winograd[8];  // conv: by tile side (2..7 used)
  Shape in, shape;             // first input's and the output's per-sample shape

  /** The Winograd filter of `algorithm` (a Winograd one). */
  WinogradFilter& Winograd(ConvAlgorithm algorithm) { return winograd[static_cast<int>(algorithm)]; }
  /** The convolution or pooling window at batch `n`. */
  ConvGeometry WindowAt(int64_t n) const {
    ConvGeometry g = window;
    g.batch = n;
    return g;
  }
};

/** A step of a plan: runs one op reading/writing the plan's value pointers. */
using Step = std::function<void(float* const* values)>;

/** An argument of a primitive step that is a plan value: the DNNL_ARG_*, the value's layout and index. */
struct ValueArg {
  int arg;
  dnnl::memory::desc md;
  int value;
};

/** The primitives and buffers of one graph at one batch size. */
struct Plan {
  int64_t batch = 0;
  std::vector<std::vector<float>> buffers;  // activation buffers, shared by values whose lifetimes do not overlap
  std::vector<int> buffer_of;               // value → buffer index (-1: the graph input)
  std::vector<dnnl::memory::desc> md;       // value → its layout (NHWC, or oneDNN's blocked one)
  std::vector<std::vector<float>> temps;    // plain copies of blocked values and reordered conv inputs
  std::vector<Step> steps;                  // in order; reorders between layouts are steps of their own
  std::vector<int> step_op;                 // per step: the op it belongs to
  std::vector<std::string> impls;           // per op: the implementation it runs
  std::vector<float> tune_input;            // zeros standing in for the graph input while tuning (freed after)
  int output = 0;                           // value (or temp: index >= ops + 1) holding the NHWC output
  int current_op = 0;                       // the op being built

  /** Adds a step of the op being built (nullptr: nothing to run, e.g. an alias). */
  void Add(Step step) {
    steps.push_back(std::move(step));
    step_op.push_back(current_op);
  }
};

/**
 * The step running oneDNN primitive `prim` on plan values `args` and the constant memories `fixed` (weights,
 * bias), plus the shared scratchpad when `scratch` is not empty (graph_steps.cc).
 */
Step PrimitiveStep(std::shared_ptr<dnnl::primitive> prim, std::vector<ValueArg> args,
                   std::unordered_map<int, dnnl::memory> fixed, dnnl::memory::desc scratch);

/** The short name of an algorithm in tuning notes: "direct", "f2x2" … "f7x7". */
const char* ShortName(ConvAlgorithm algorithm);

/** The InferenceGraph JS class: see graph.cc. */
class Graph : public Napi::ObjectWrap<Graph> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit Graph(const Napi::CallbackInfo& info);

 private:
  std::vector<Op> ops_;
  std::vector<Shape> shapes_;  // per value
  std::vector<std::unique_ptr<Plan>> plans_;
  bool disposed_ = false;
  // The algorithm every Winograd-capable convolution runs (kDirect: oneDNN's direct kernels only); unset: tuned
  // per plan among the three.
  std::optional<ConvAlgorithm> algorithm_;  // fixed (winogradTile 0, 2..7); unset: tuned
  bool training_tiles_ = false;             // winogradTile -2: each convolution on the training kernels' tile
  bool blocked_layouts_ = true;             // direct convolutions and the pooling after them in oneDNN's blocked layout
  std::vector<bool> blocked_;               // per value: stored in the producer's blocked layout (ChooseLayouts)

  // graph.cc: the N-API surface
  Napi::Value Run(const Napi::CallbackInfo& info);
  Napi::Value Profile(const Napi::CallbackInfo& info);
  Napi::Value OutputShape(const Napi::CallbackInfo& info);
  Napi::Value Implementations(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  void CheckLive(const Napi::Env& env) const;
  int64_t Batch(const Napi::CallbackInfo& info, size_t index) const;

  // graph_parse.cc
  [[noreturn]] static void Fail(const Napi::Env& env, uint32_t i, const std::string& what);
  static int64_t Int(const Napi::Env& env, const Napi::Object& o, const char* key, uint32_t i);
  static std::vector<int64_t> Ints(const Napi::Env& env, const Napi::Object& o, const char* key, size_t n, uint32_t i);
  static std::vector<float> Floats(const Napi::Env& env, const Napi::Object& o, const char* key, size_t n, uint32_t i,
                                   bool optional);
  Op Parse(const Napi::Env& env, Napi::Value value, uint32_t i);
  static bool DirectConv(const Op& op);
  void ChooseLayouts();

  // graph_memory.cc
  void Assign(Plan& plan);
  static dnnl::memory::desc Nhwc(int64_t n, const Shape& s);
  int Plain(Plan& plan, int x);
  static void Reorder(Plan& plan, int from, const dnnl::memory::desc& a, int to, const dnnl::memory::desc& b);
  static bool Fits(const Plan& plan, int v, const dnnl::memory::desc& md);
  static std::vector<float*> Values(Plan& plan, const float* input);

  // graph_tune.cc
  ConvAlgorithm Tune(Plan& plan, Op& op, int x, int v, std::string& note);

  // graph_steps.cc
  Plan& PlanFor(int64_t n);
  void Build(Plan& plan, Op& op, int v);
  void BuildConv(Plan& plan, Op& op, int x, int v, ConvAlgorithm algorithm);
  void BlockedPool(Plan& plan, const Op& op, int x, int v, dnnl::algorithm alg);
  static const float* TransformedFilter(Op& op, ConvAlgorithm algorithm);
};

}  // namespace graph
}  // namespace onednn_binding
