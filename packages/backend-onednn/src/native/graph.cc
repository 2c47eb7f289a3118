// Inference graph: a whole feed-forward CNN (convolutions, pooling, dense layers, activations, residual adds,
// concatenations, softmax) run natively in one call, NHWC float32 throughout, as ONNX Runtime runs an ONNX
// model. Built once from a list of ops with their weights (graph-level: filters reordered to oneDNN's layout
// and Winograd-transformed once); for each batch size a plan holds the oneDNN primitives and the activation
// buffers, reused from call to call (buffers are assigned by liveness, so a 256-image CIFAR batch needs a few
// activation-sized buffers, not one per layer).
//
// JS: new InferenceGraph(ops, inputShape, winogradTile = -1, blockedLayouts = true) ; graph.run(input, batch, output) ;
//     graph.profile(input, batch, reps) ; graph.outputShape() ;
//     graph.implementations(batch) ; graph.dispose()
// ops: [{op, inputs: [value ids], ...attrs}], value 0 is the graph input and op i produces value i + 1; the last
// op's value is the output. Per-sample shapes are [h, w, c] (a flat vector is [1, 1, n]).
//   conv2d   {filter: Float32Array HWIO, bias?: Float32Array, kernel: [kh, kw], strides, dilations,
//             pads: [top, left, bottom, right], outChannels, activation: 'linear' | 'relu'}
//   maxPool / avgPool {kernel, strides, pads}         (avg excludes padding, as tfjs)
//   globalAvgPool                                     → [1, 1, c]
//   dense    {weights: Float32Array [in, out], bias?, units, activation} over the last axis
//   affine   {scale, offset: Float32Array [c], activation}    (a batch norm not folded into a conv)
//   relu, softmax (last axis), add (n inputs, activation), concat (n inputs, channel axis), flatten, identity
//
// Convolution algorithms: winogradTile 0, 2 or 4 fixes them (oneDNN's direct kernel; Winograd F(2x2, 3x3) or
// F(4x4, 3x3) for the 3x3 stride-1 convolutions WinogradApplies() picks). -1 (auto) tunes: when a batch size's
// plan is built, every 3x3 stride-1 convolution with 16+ channels each side runs each of the three (after a
// warm-up run, the best of kTuneReps timed runs, its input reorder included) and keeps the most accurate one
// within 3% of the fastest, as cudnn.benchmark does (ONEDNN_CONV_ALGO=direct still means direct). Which one wins
// depends on the CPU (vector width, cache sizes) and on the batch: on AVX2 Winograd wins at batch 128; on AVX-512
// F(4x4) wins every layer at batch 256 while at batch 1 oneDNN's brgconv kernels keep some.
#ifdef _OPENMP
#include <omp.h>
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "common.h"
#include "ops.h"
#include "winograd.h"

namespace onednn_binding {
namespace {

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
  kSoftmax,
  kAdd,
  kConcat,
  kAlias,
  kToPlain
};

/** One op as parsed from JS, with its graph-level constants. */
struct Op {
  Kind kind;
  std::string name;  // the JS op name, for messages and implementations()
  std::vector<int> inputs;
  bool relu = false;
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1, pt = 0, pl = 0, pb = 0, pr = 0, out = 0;
  std::vector<float> weights, bias;
  std::vector<int> algos{0};       // conv: the algorithms to run (0 direct, 2 / 4 Winograd tile); several: tuned
  std::vector<float> winograd[2];  // conv: the Winograd-transformed filter for tile 2 and 4, made on first use
  int winograd_plans[2] = {0, 0};  // conv: how many plans run tile 2 / 4 (a transform no plan runs is freed)
  Shape in, shape;                 // first input's and the output's per-sample shape
};

/** winogradTile value that tunes the convolution algorithm per plan. */
constexpr int kAutoTile = -1;
/** Timed runs per candidate when tuning (after one warm-up run); the fastest counts. */
constexpr int kTuneReps = 2;
/**
 * Tuning keeps the most accurate candidate (direct, then F(2x2), then F(4x4)) whose time is within this factor of
 * the fastest: timing noise alone then does not flip a layer to a less accurate algorithm.
 */
constexpr double kTuneSlack = 1.03;

/** The geometry of convolution `op` at batch `n`. */
ConvGeometry ConvParams(const Op& op, int64_t n) {
  ConvGeometry g;
  g.batch = n, g.in_height = op.in.h, g.in_width = op.in.w, g.in_channels = op.in.c;
  g.out_height = op.shape.h, g.out_width = op.shape.w, g.out_channels = op.shape.c;
  g.kernel_h = op.kh, g.kernel_w = op.kw, g.stride_h = op.sh, g.stride_w = op.sw;
  g.dilation_h = op.dh, g.dilation_w = op.dw;
  g.pad_top = op.pt, g.pad_left = op.pl, g.pad_bottom = op.pb, g.pad_right = op.pr;
  return g;
}

/** Pool params (14 entries, see pool.cc) of `op` at batch `n`. */
std::vector<int64_t> PoolParams(const Op& op, int64_t n) {
  return {n, op.in.h, op.in.w, op.in.c, op.shape.h, op.shape.w, op.kh, op.kw, op.sh, op.sw, op.pt, op.pl, op.pb, op.pr};
}

int64_t OutSize(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pa, int64_t pb) {
  return (in + pa + pb - ((k - 1) * d + 1)) / s + 1;
}

/** A step of a plan: runs one op reading/writing the plan's value pointers. */
using Step = std::function<void(float* const* values)>;

/** An argument of a primitive step that is a plan value: the DNNL_ARG_*, the value's layout and index. */
struct ValueArg {
  int arg;
  dnnl::memory::desc md;
  int value;
};

/**
 * The step running oneDNN primitive `prim` on plan values `args` and the constant memories `fixed` (weights,
 * bias), plus the shared scratchpad when `scratch` is not empty. Its dnnl::memory objects are made on the first
 * run and only re-pointed (set_data_handle) when a value's pointer changes — the graph input from call to call,
 * the scratchpad when it grows — so a run allocates nothing.
 */
Step PrimitiveStep(std::shared_ptr<dnnl::primitive> prim, std::vector<ValueArg> args,
                   std::unordered_map<int, dnnl::memory> fixed, dnnl::memory::desc scratch) {
  struct Bound {
    std::unordered_map<int, dnnl::memory> memories;
    std::vector<void*> pointers;  // per entry of `args`, then the scratchpad's
  };
  auto bound = std::make_shared<Bound>();
  bound->memories = std::move(fixed);
  bound->pointers.assign(args.size() + 1, nullptr);
  const size_t scratch_bytes = scratch.get_size();
  return [prim, args = std::move(args), bound, scratch, scratch_bytes](float* const* val) {
    auto point = [&](size_t i, int arg, const dnnl::memory::desc& md, void* ptr) {
      if (bound->pointers[i] == ptr) return;
      if (bound->pointers[i] == nullptr)
        bound->memories[arg] = dnnl::memory(md, Engine(), ptr);
      else
        bound->memories[arg].set_data_handle(ptr);
      bound->pointers[i] = ptr;
    };
    for (size_t i = 0; i < args.size(); ++i) point(i, args[i].arg, args[i].md, val[args[i].value]);
    if (scratch_bytes > 0) point(args.size(), DNNL_ARG_SCRATCHPAD, scratch, ScratchpadBuffer(scratch_bytes));
    prim->execute(Stream(), bound->memories);
    Stream().wait();
  };
}

/**
 * The step of a primitive with weights (convolution, inner product): reads value `x` as `src_md`, writes value
 * `v` as `dst_md`, with the prepared weights `w` and a bias when `bias` is not null.
 */
Step WeightedStep(std::shared_ptr<dnnl::primitive> prim, dnnl::memory::desc src_md, int x, dnnl::memory w,
                  dnnl::memory::desc dst_md, int v, dnnl::memory::desc bias_md, const float* bias,
                  dnnl::memory::desc scratch) {
  std::unordered_map<int, dnnl::memory> fixed{{DNNL_ARG_WEIGHTS, w}};
  if (bias) fixed[DNNL_ARG_BIAS] = dnnl::memory(bias_md, Engine(), const_cast<float*>(bias));
  return PrimitiveStep(std::move(prim), {{DNNL_ARG_SRC, src_md, x}, {DNNL_ARG_DST, dst_md, v}}, std::move(fixed),
                       scratch);
}

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

class Graph : public Napi::ObjectWrap<Graph> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "InferenceGraph",
        {InstanceMethod("run", &Graph::Run), InstanceMethod("profile", &Graph::Profile),
         InstanceMethod("outputShape", &Graph::OutputShape), InstanceMethod("implementations", &Graph::Implementations),
         InstanceMethod("dispose", &Graph::Dispose)});
  }

  explicit Graph(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Graph>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsArray() || !info[1].IsTypedArray()) {
      throw Napi::TypeError::New(
          env, "InferenceGraph(ops, inputShape): ops must be an array, inputShape an Int32Array [h, w, c]");
    }
    auto dims = info[1].As<Napi::Int32Array>();
    if (dims.ElementLength() != 3 || dims[0] < 1 || dims[1] < 1 || dims[2] < 1) {
      throw Napi::RangeError::New(env, "InferenceGraph: inputShape must be [h, w, c] with positive entries");
    }
    shapes_.push_back({dims[0], dims[1], dims[2]});
    if (info.Length() > 3 && info[3].IsBoolean()) blocked_layouts_ = info[3].As<Napi::Boolean>().Value();
    if (info.Length() > 2 && info[2].IsNumber()) {
      winograd_tile_ = info[2].As<Napi::Number>().Int32Value();
      if (winograd_tile_ != kAutoTile && winograd_tile_ != 0 && winograd_tile_ != 2 && winograd_tile_ != 4) {
        throw Napi::RangeError::New(env, "InferenceGraph: winogradTile must be -1 (auto), 0 (off), 2 or 4");
      }
    }
    Napi::Array list = info[0].As<Napi::Array>();
    if (list.Length() == 0) throw Napi::RangeError::New(env, "InferenceGraph: ops must not be empty");
    for (uint32_t i = 0; i < list.Length(); ++i) ops_.push_back(Parse(env, list.Get(i), i));
    ChooseLayouts();
  }

 private:
  std::vector<Op> ops_;
  std::vector<Shape> shapes_;  // per value
  std::vector<std::unique_ptr<Plan>> plans_;
  bool disposed_ = false;
  int winograd_tile_ = kAutoTile;  // Winograd output tile (0: oneDNN's direct kernels only; kAutoTile: tuned)
  bool blocked_layouts_ = true;    // direct convolutions and the pooling after them in oneDNN's blocked layout
  std::vector<bool> blocked_;      // per value: stored in the producer's blocked layout (ChooseLayouts)

  [[noreturn]] static void Fail(const Napi::Env& env, uint32_t i, const std::string& what) {
    throw Napi::Error::New(env, "InferenceGraph: op " + std::to_string(i) + ": " + what);
  }

  static int64_t Int(const Napi::Env& env, const Napi::Object& o, const char* key, uint32_t i) {
    Napi::Value v = o.Get(key);
    if (!v.IsNumber()) Fail(env, i, std::string("'") + key + "' must be a number");
    return v.As<Napi::Number>().Int64Value();
  }

  static std::vector<int64_t> Ints(const Napi::Env& env, const Napi::Object& o, const char* key, size_t n, uint32_t i) {
    Napi::Value v = o.Get(key);
    if (!v.IsArray() || v.As<Napi::Array>().Length() != n) {
      Fail(env, i, std::string("'") + key + "' must be an array of " + std::to_string(n) + " numbers");
    }
    std::vector<int64_t> out(n);
    for (uint32_t k = 0; k < n; ++k) {
      Napi::Value e = v.As<Napi::Array>().Get(k);
      if (!e.IsNumber()) Fail(env, i, std::string("'") + key + "' must hold numbers");
      out[k] = e.As<Napi::Number>().Int64Value();
    }
    return out;
  }

  static std::vector<float> Floats(const Napi::Env& env, const Napi::Object& o, const char* key, size_t n, uint32_t i,
                                   bool optional) {
    Napi::Value v = o.Get(key);
    if (optional && (v.IsUndefined() || v.IsNull())) return {};
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
      Fail(env, i, std::string("'") + key + "' must be a Float32Array");
    }
    auto a = v.As<Napi::Float32Array>();
    if (a.ElementLength() != n) {
      Fail(env, i,
           std::string("'") + key + "' has " + std::to_string(a.ElementLength()) + " values, expected " +
               std::to_string(n));
    }
    return std::vector<float>(a.Data(), a.Data() + n);
  }

  Op Parse(const Napi::Env& env, Napi::Value value, uint32_t i) {
    if (!value.IsObject()) Fail(env, i, "must be an object");
    Napi::Object o = value.As<Napi::Object>();
    Op op;
    op.name = o.Get("op").IsString() ? o.Get("op").As<Napi::String>().Utf8Value() : "";
    Napi::Value ins = o.Get("inputs");
    if (!ins.IsArray() || ins.As<Napi::Array>().Length() == 0) Fail(env, i, "'inputs' must be a non-empty array");
    for (uint32_t k = 0; k < ins.As<Napi::Array>().Length(); ++k) {
      Napi::Value e = ins.As<Napi::Array>().Get(k);
      const int64_t id = e.IsNumber() ? e.As<Napi::Number>().Int64Value() : -1;
      if (id < 0 || id > static_cast<int64_t>(i)) Fail(env, i, "inputs must be ids of earlier values (0 .. op index)");
      op.inputs.push_back(static_cast<int>(id));
    }
    Napi::Value act = o.Get("activation");
    const std::string activation = act.IsString() ? act.As<Napi::String>().Utf8Value() : "linear";
    if (activation != "linear" && activation != "relu") Fail(env, i, "activation must be 'linear' or 'relu'");
    op.relu = activation == "relu";
    op.in = shapes_[op.inputs[0]];
    const Shape& in = op.in;
    auto one_input = [&] {
      if (op.inputs.size() != 1) Fail(env, i, "'" + op.name + "' takes one input");
    };
    if (op.name == "conv2d") {
      one_input();
      op.kind = Kind::kConv;
      auto k = Ints(env, o, "kernel", 2, i), s = Ints(env, o, "strides", 2, i), d = Ints(env, o, "dilations", 2, i);
      auto p = Ints(env, o, "pads", 4, i);
      op.kh = k[0], op.kw = k[1], op.sh = s[0], op.sw = s[1], op.dh = d[0], op.dw = d[1];
      op.pt = p[0], op.pl = p[1], op.pb = p[2], op.pr = p[3];
      op.out = Int(env, o, "outChannels", i);
      if (op.out < 1 || op.kh < 1 || op.kw < 1 || op.sh < 1 || op.sw < 1 || op.dh < 1 || op.dw < 1 || op.pt < 0 ||
          op.pl < 0 || op.pb < 0 || op.pr < 0) {
        Fail(env, i, "conv2d: kernel, strides, dilations, outChannels must be positive and pads non-negative");
      }
      op.shape = {OutSize(in.h, op.kh, op.sh, op.dh, op.pt, op.pb), OutSize(in.w, op.kw, op.sw, op.dw, op.pl, op.pr),
                  op.out};
      op.weights = Floats(env, o, "filter", static_cast<size_t>(op.kh * op.kw * in.c * op.out), i, false);
      op.bias = Floats(env, o, "bias", static_cast<size_t>(op.out), i, true);
      if (winograd_tile_ == kAutoTile) {  // ONEDNN_CONV_ALGO=direct / setConvAlgorithm('direct') still rule
        if (WinogradGeometry(ConvParams(op, 1)) && in.c >= 16 && op.out >= 16 &&
            GetConvAlgorithmMode() != ConvAlgorithmMode::kDirect)
          op.algos = {0, 2, 4};
      } else if (winograd_tile_ != 0 && WinogradApplies(ConvParams(op, 1), false)) {
        op.algos = {winograd_tile_};
      }
    } else if (op.name == "maxPool" || op.name == "avgPool") {
      one_input();
      op.kind = op.name == "maxPool" ? Kind::kMaxPool : Kind::kAvgPool;
      auto k = Ints(env, o, "kernel", 2, i), s = Ints(env, o, "strides", 2, i), p = Ints(env, o, "pads", 4, i);
      op.kh = k[0], op.kw = k[1], op.sh = s[0], op.sw = s[1], op.pt = p[0], op.pl = p[1], op.pb = p[2], op.pr = p[3];
      if (op.kh < 1 || op.kw < 1 || op.sh < 1 || op.sw < 1 || op.pt < 0 || op.pl < 0 || op.pb < 0 || op.pr < 0 ||
          std::max(op.pt, op.pb) >= op.kh || std::max(op.pl, op.pr) >= op.kw) {
        Fail(env, i, op.name + ": kernel and strides must be positive, pads non-negative and smaller than the window");
      }
      op.shape = {OutSize(in.h, op.kh, op.sh, 1, op.pt, op.pb), OutSize(in.w, op.kw, op.sw, 1, op.pl, op.pr), in.c};
    } else if (op.name == "globalAvgPool") {
      one_input();
      op.kind = Kind::kGlobalAvgPool;
      op.shape = {1, 1, in.c};
    } else if (op.name == "dense") {
      one_input();
      op.kind = Kind::kDense;
      op.out = Int(env, o, "units", i);
      if (op.out < 1) Fail(env, i, "dense: units must be positive");
      op.weights = Floats(env, o, "weights", static_cast<size_t>(in.c * op.out), i, false);
      op.bias = Floats(env, o, "bias", static_cast<size_t>(op.out), i, true);
      op.shape = {in.h, in.w, op.out};
    } else if (op.name == "affine") {
      one_input();
      op.kind = Kind::kAffine;
      op.weights = Floats(env, o, "scale", static_cast<size_t>(in.c), i, false);
      op.bias = Floats(env, o, "offset", static_cast<size_t>(in.c), i, false);
      op.shape = in;
    } else if (op.name == "relu" || op.name == "softmax" || op.name == "flatten" || op.name == "identity") {
      one_input();
      op.kind = op.name == "relu" ? Kind::kRelu : op.name == "softmax" ? Kind::kSoftmax : Kind::kAlias;
      op.shape = op.name == "flatten" ? Shape{1, 1, in.size()} : in;
    } else if (op.name == "add") {
      op.kind = Kind::kAdd;
      for (int id : op.inputs) {
        const Shape& s = shapes_[id];
        if (s.h != in.h || s.w != in.w || s.c != in.c) Fail(env, i, "add: every input must have the first one's shape");
      }
      op.shape = in;
    } else if (op.name == "concat") {
      op.kind = Kind::kConcat;
      int64_t c = 0;
      for (int id : op.inputs) {
        const Shape& s = shapes_[id];
        if (s.h != in.h || s.w != in.w) Fail(env, i, "concat: inputs must agree in height and width");
        c += s.c;
      }
      op.shape = {in.h, in.w, c};
    } else {
      Fail(env, i, "unknown op '" + op.name + "'");
    }
    if (op.shape.h < 1 || op.shape.w < 1) Fail(env, i, op.name + ": the window does not fit the input");
    shapes_.push_back(op.shape);
    return op;
  }

  /** True for a convolution that always runs oneDNN's direct kernel (which reads and writes any layout). */
  static bool DirectConv(const Op& op) { return op.kind == Kind::kConv && op.algos == std::vector<int>{0}; }

  /**
   * Layouts, once every op is parsed: a direct convolution with a multiple of 8 output channels writes oneDNN's
   * blocked layout (nChw8c on AVX2, ~20% faster than NHWC for MNISTNet's 5x5 layer) when every reader takes it
   * as it is (direct convolutions, pooling, flatten); pooling keeps its input's layout; a flatten or identity of
   * a blocked value becomes a reorder to NHWC; every other reader gets an NHWC copy.
   */
  void ChooseLayouts() {
    const size_t values = ops_.size() + 1;
    std::vector<std::vector<size_t>> readers(values);
    for (size_t i = 0; i < ops_.size(); ++i) {
      for (int in : ops_[i].inputs) readers[in].push_back(i);
    }
    blocked_.assign(values, false);
    for (size_t i = 0; i < ops_.size(); ++i) {
      Op& op = ops_[i];
      const size_t v = i + 1;
      if (DirectConv(op)) {
        blocked_[v] =
            blocked_layouts_ && op.out % 8 == 0 && std::all_of(readers[v].begin(), readers[v].end(), [&](size_t r) {
              const Kind k = ops_[r].kind;
              return DirectConv(ops_[r]) || k == Kind::kMaxPool || k == Kind::kAvgPool || k == Kind::kAlias;
            });
      }
      if (op.kind == Kind::kMaxPool || op.kind == Kind::kAvgPool) blocked_[v] = blocked_[op.inputs[0]];
      if (op.kind == Kind::kAlias && blocked_[op.inputs[0]]) op.kind = Kind::kToPlain;
    }
  }

  /** The plan for batch `n`, built on first use. */
  Plan& PlanFor(int64_t n) {
    for (auto& p : plans_) {
      if (p->batch == n) return *p;
    }
    auto plan = std::make_unique<Plan>();
    plan->batch = n;
    Assign(*plan);
    plan->md.assign(ops_.size() + 1, dnnl::memory::desc());
    plan->md[0] = Nhwc(n, shapes_[0]);
    for (size_t i = 0; i < ops_.size(); ++i) {
      plan->current_op = static_cast<int>(i);
      Build(*plan, ops_[i], static_cast<int>(i) + 1);
    }
    plan->output = Plain(*plan, static_cast<int>(ops_.size()));  // a final reorder counts to the last op
    plan->tune_input = std::vector<float>();
    plans_.push_back(std::move(plan));
    return *plans_.back();
  }

  /**
   * Buffers by liveness: a value's buffer is freed after its last reader runs and reused by a later value of
   * at most its size (best fit); aliases (flatten, identity) share their input's buffer. The output gets a
   * buffer of its own that no other value shares.
   */
  void Assign(Plan& plan) {
    const int values = static_cast<int>(ops_.size()) + 1;
    std::vector<int> root(values), last(values, -1);
    for (int v = 0; v < values; ++v) root[v] = v;
    for (int i = 0; i < static_cast<int>(ops_.size()); ++i) {
      if (ops_[i].kind == Kind::kAlias) root[i + 1] = root[ops_[i].inputs[0]];
      for (int in : ops_[i].inputs) last[root[in]] = i;
    }
    last[root[values - 1]] = static_cast<int>(ops_.size());  // the output lives to the end
    plan.buffer_of.assign(values, -1);
    std::vector<size_t> sizes;
    std::vector<int> free_list;
    for (int i = 0; i < static_cast<int>(ops_.size()); ++i) {
      const int v = i + 1;
      if (root[v] == v) {
        const size_t need = static_cast<size_t>(plan.batch * shapes_[v].size());
        int best = -1;
        for (int b : free_list) {
          if (sizes[b] >= need && (best < 0 || sizes[b] < sizes[best])) best = b;
        }
        if (best >= 0 && v != root[values - 1]) {
          free_list.erase(std::find(free_list.begin(), free_list.end(), best));
        } else {
          best = static_cast<int>(sizes.size());
          sizes.push_back(need);
        }
        plan.buffer_of[v] = best;
      } else {
        plan.buffer_of[v] = plan.buffer_of[root[v]];
      }
      for (int in : ops_[i].inputs) {  // free the inputs read for the last time by this op
        const int r = root[in];
        if (r != 0 && last[r] == i && plan.buffer_of[r] >= 0 &&
            std::find(free_list.begin(), free_list.end(), plan.buffer_of[r]) == free_list.end()) {
          free_list.push_back(plan.buffer_of[r]);
        }
      }
    }
    plan.buffers.resize(sizes.size());
    for (size_t b = 0; b < sizes.size(); ++b) plan.buffers[b].resize(std::max<size_t>(1, sizes[b]));
  }

  /** The NHWC layout of a `[n, h, w, c]` value. */
  static dnnl::memory::desc Nhwc(int64_t n, const Shape& s) { return {{n, s.c, s.h, s.w}, dt::f32, tag::nhwc}; }

  /**
   * The index of an NHWC copy of value `x`: `x` itself when it is NHWC, else a temp (index ops + 1 + k) filled
   * by a reorder step added here.
   */
  int Plain(Plan& plan, int x) {
    const dnnl::memory::desc plain = Nhwc(plan.batch, shapes_[x]);
    if (plan.md[x] == plain) return x;
    const int t = static_cast<int>(plan.buffer_of.size() + plan.temps.size());
    plan.temps.emplace_back(plain.get_size() / sizeof(float));
    Reorder(plan, x, plan.md[x], t, plain);
    return t;
  }

  /** Adds a step reordering value `from` (layout `a`) into value `to` (layout `b`). */
  static void Reorder(Plan& plan, int from, const dnnl::memory::desc& a, int to, const dnnl::memory::desc& b) {
    auto prim = std::make_shared<dnnl::reorder>(dnnl::reorder::primitive_desc(Engine(), a, Engine(), b));
    plan.Add(PrimitiveStep(prim, {{DNNL_ARG_FROM, a, from}, {DNNL_ARG_TO, b, to}}, {}, dnnl::memory::desc()));
  }

  /**
   * True when layout `md` of value v fits v's buffer, which Assign sized for NHWC: a blocked layout whose
   * channel count is not a multiple of the block (nChw16c for 24 channels) is padded and would not.
   */
  static bool Fits(const Plan& plan, int v, const dnnl::memory::desc& md) {
    return md.get_size() <= plan.buffers[plan.buffer_of[v]].size() * sizeof(float);
  }

  /** oneDNN pooling of value x (any layout) into v, keeping x's layout (avg excludes padding, as tfjs). */
  void BlockedPool(Plan& plan, const Op& op, int x, int v, dnnl::algorithm alg) {
    const int64_t n = plan.batch;
    auto make = [&](tag dst_tag) {
      dnnl::memory::desc dst({n, op.shape.c, op.shape.h, op.shape.w}, dt::f32, dst_tag);
      return dnnl::pooling_forward::primitive_desc(
          dnnl::pooling_forward::desc(dnnl::prop_kind::forward_inference, alg, plan.md[x], dst, {op.sh, op.sw},
                                      {op.kh, op.kw}, {op.pt, op.pl}, {op.pb, op.pr}),
          Engine());
    };
    auto pd = make(plan.md[x] == Nhwc(n, op.in) ? tag::nhwc : tag::any);
    if (!Fits(plan, v, pd.dst_desc())) pd = make(tag::nhwc);
    plan.impls.push_back(pd.impl_info_str());
    plan.md[v] = pd.dst_desc();
    auto prim = std::make_shared<dnnl::pooling_forward>(pd);
    plan.Add(PrimitiveStep(prim, {{DNNL_ARG_SRC, pd.src_desc(), x}, {DNNL_ARG_DST, pd.dst_desc(), v}}, {},
                           dnnl::memory::desc()));
  }

  /** op's Winograd-transformed filter for `tile` (2 or 4), made on first use. */
  static const float* WinogradFilter(Op& op, int tile) {
    std::vector<float>& u = op.winograd[tile == 4 ? 1 : 0];
    if (u.empty()) u = WinogradTransformFilter(op.weights.data(), op.in.c, op.out, static_cast<WinogradTile>(tile));
    return u.data();
  }

  /**
   * Adds the steps of convolution `op` reading value x (NHWC unless `op` is direct-only) into v with `algo`: 0
   * oneDNN's direct kernel (in the layouts it prefers, reordering x when needed), 2 / 4 Winograd F(2x2) / F(4x4).
   */
  void BuildConv(Plan& plan, Op& op, int x, int v, int algo) {
    auto p = ConvParams(op, plan.batch);
    const float* bias = op.bias.empty() ? nullptr : op.bias.data();
    if (algo != 0) {
      plan.impls.push_back(algo == 4 ? "native:winograd_f4x4_3x3+gemm:jit" : "native:winograd_f2x2_3x3+gemm:jit");
      const float* u = WinogradFilter(op, algo);
      const bool relu = op.relu;
      const auto tile = static_cast<WinogradTile>(algo);
      plan.Add([p, tile, u, bias, relu, x, v](float* const* val) {
        WinogradForwardTransformed(p, val[x], u, bias, relu, val[v], tile);
      });
      return;
    }
    auto pd = ConvForwardDesc(p, bias != nullptr, op.relu);
    if (blocked_layouts_) {  // oneDNN's choice of layouts, unless that only has a reference kernel
      auto any = ConvForwardDesc(p, bias != nullptr, op.relu, true, blocked_[v]);
      if (!Fits(plan, v, any.dst_desc())) any = ConvForwardDesc(p, bias != nullptr, op.relu, true, false);
      if (std::string(any.impl_info_str()).rfind("ref:", 0) != 0) pd = any;
    }
    plan.impls.push_back(pd.impl_info_str());
    int src = x;
    if (pd.src_desc() != plan.md[x]) {  // e.g. NHWC input of a blocked convolution
      src = static_cast<int>(plan.buffer_of.size() + plan.temps.size());
      plan.temps.emplace_back(pd.src_desc().get_size() / sizeof(float));
      Reorder(plan, x, plan.md[x], src, pd.src_desc());
    }
    plan.md[v] = pd.dst_desc();
    auto prim = std::make_shared<dnnl::convolution_forward>(pd);
    dnnl::memory user_w(ConvUserWeightsDesc(p), Engine(), op.weights.data());
    dnnl::memory w = user_w;
    if (pd.weights_desc() != user_w.get_desc()) {  // reorder the filter once, into the primitive's layout
      w = dnnl::memory(pd.weights_desc(), Engine());
      dnnl::reorder(user_w, w).execute(Stream(), user_w, w);
      Stream().wait();
    }
    plan.Add(WeightedStep(prim, pd.src_desc(), src, w, pd.dst_desc(), v, pd.bias_desc(), bias, pd.scratchpad_desc()));
  }

  /**
   * The algorithm for convolution `op` at this plan's batch: each of op.algos has its steps built, run once to
   * warm up and kTuneReps times timed on the plan's buffers (zeros for the graph input), then removed; the most
   * accurate one within kTuneSlack of the fastest wins. Zeros stand for real data, so every candidate must take
   * the same time whatever the values (no branch on them: a sign-dependent relu branch once made F(4x4) look 2x
   * faster on zeros than on images). A candidate oneDNN cannot build is skipped. `note` gets
   * the times, e.g. " (tuned: direct 0.21, f2x2 0.35, f4x4 0.3 ms)".
   */
  int Tune(Plan& plan, Op& op, int x, int v, std::string& note) {
    if (plan.tune_input.empty()) plan.tune_input.assign(static_cast<size_t>(plan.batch * shapes_[0].size()), 0.f);
    const size_t steps = plan.steps.size(), temps = plan.temps.size(), impls = plan.impls.size();
    const dnnl::memory::desc md = plan.md[v];
    std::vector<std::pair<int, double>> timed;  // (algo, ms), in op.algos' order (most accurate first)
    std::string times;
    for (int algo : op.algos) {
      const char* name = algo == 0 ? "direct" : algo == 4 ? "f4x4" : "f2x2";
      char entry[48];
      try {
        BuildConv(plan, op, x, v, algo);
        std::vector<float*> values = Values(plan, plan.tune_input.data());
        double ms = 0;
        for (int r = 0; r <= kTuneReps; ++r) {
          const auto t0 = std::chrono::steady_clock::now();
          for (size_t i = steps; i < plan.steps.size(); ++i) plan.steps[i](values.data());
          const double t = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
          if (r == 1 || (r > 1 && t < ms)) ms = t;  // run 0 warms up
        }
        timed.emplace_back(algo, ms);
        std::snprintf(entry, sizeof(entry), "%s%s %.3g", times.empty() ? "" : ", ", name, ms);
      } catch (const dnnl::error&) {
        std::snprintf(entry, sizeof(entry), "%s%s failed", times.empty() ? "" : ", ", name);
      }
      times += entry;
      plan.steps.resize(steps);
      plan.step_op.resize(steps);
      plan.temps.resize(temps);
      plan.impls.resize(impls);
      plan.md[v] = md;
    }
    note = " (tuned: " + times + " ms)";
    if (timed.empty()) return 0;  // let the direct build report oneDNN's error
    double fastest = timed[0].second;
    for (const auto& [algo, ms] : timed) fastest = std::min(fastest, ms);
    for (const auto& [algo, ms] : timed) {
      if (ms <= fastest * kTuneSlack) return algo;
    }
    return timed[0].first;
  }

  void Build(Plan& plan, Op& op, int v) {
    const int64_t n = plan.batch;
    const int raw = op.inputs[0];  // as stored (maybe blocked)
    const bool keeps_layout =
        DirectConv(op) || op.kind == Kind::kMaxPool || op.kind == Kind::kAvgPool || op.kind == Kind::kToPlain;
    const int x = keeps_layout ? raw : Plain(plan, raw);  // NHWC for every op that needs it
    plan.md[v] = Nhwc(n, op.shape);
    switch (op.kind) {
      case Kind::kConv: {
        std::string note;
        const int algo = op.algos.size() > 1 ? Tune(plan, op, x, v, note) : op.algos[0];
        BuildConv(plan, op, x, v, algo);
        plan.impls.back() += note;
        if (algo != 0) ++op.winograd_plans[algo == 4 ? 1 : 0];
        for (int t = 0; t < 2; ++t) {  // the transforms only tuning made (4x / 1.8x the filter's size) go
          if (op.winograd_plans[t] == 0) std::vector<float>().swap(op.winograd[t]);
        }
        break;
      }
      case Kind::kMaxPool: {
        if (plan.md[x] != Nhwc(n, op.in)) {  // blocked input: oneDNN's pooling keeps the layout
          BlockedPool(plan, op, x, v, dnnl::algorithm::pooling_max);
          break;
        }
        auto p = PoolParams(op, n);
        const bool parallel = n * op.in.size() >= (int64_t{1} << 20);
        plan.impls.push_back("native:max_nhwc");
        plan.Add([p, parallel, x, v](float* const* val) { MaxPoolNhwc(val[x], val[v], p, parallel); });
        break;
      }
      case Kind::kAvgPool:
        BlockedPool(plan, op, x, v, dnnl::algorithm::pooling_avg_exclude_padding);
        break;
      case Kind::kGlobalAvgPool: {
        const int64_t hw = op.in.h * op.in.w, c = op.in.c;
        plan.impls.push_back("native:global_avg_nhwc");
        plan.Add([n, hw, c, x, v](float* const* val) {
          for (int64_t b = 0; b < n; ++b) {
            const float* src = val[x] + b * hw * c;
            float* dst = val[v] + b * c;
            std::fill(dst, dst + c, 0.f);
            for (int64_t i = 0; i < hw; ++i) {
              for (int64_t k = 0; k < c; ++k) dst[k] += src[i * c + k];
            }
            for (int64_t k = 0; k < c; ++k) dst[k] /= static_cast<float>(hw);
          }
        });
        break;
      }
      case Kind::kDense: {
        const int64_t rows = n * op.in.h * op.in.w, ic = op.in.c, oc = op.out;
        dnnl::memory::desc src_md({rows, ic}, dt::f32, tag::nc), dst_md({rows, oc}, dt::f32, tag::nc);
        dnnl::memory::desc any_w({oc, ic}, dt::f32, tag::any), bias_md({oc}, dt::f32, tag::a);
        dnnl::primitive_attr attr = UserScratchpadAttr();
        if (op.relu) {
          dnnl::post_ops ops;
          ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
          attr.set_post_ops(ops);
        }
        const bool has_bias = !op.bias.empty();
        auto d =
            has_bias
                ? dnnl::inner_product_forward::desc(dnnl::prop_kind::forward_inference, src_md, any_w, bias_md, dst_md)
                : dnnl::inner_product_forward::desc(dnnl::prop_kind::forward_inference, src_md, any_w, dst_md);
        dnnl::inner_product_forward::primitive_desc pd(d, attr, Engine());
        plan.impls.push_back(pd.impl_info_str());
        auto prim = std::make_shared<dnnl::inner_product_forward>(pd);
        // tfjs' kernel is [in, out] row-major: element (oc, ic) at ic * oc_count + oc, oneDNN's `io` tag.
        dnnl::memory user_w(dnnl::memory::desc({oc, ic}, dt::f32, tag::io), Engine(),
                            const_cast<float*>(op.weights.data()));
        dnnl::memory w(pd.weights_desc(), Engine());
        dnnl::reorder(user_w, w).execute(Stream(), user_w, w);
        Stream().wait();
        const float* bias = has_bias ? op.bias.data() : nullptr;
        plan.Add(WeightedStep(prim, pd.src_desc(), x, w, pd.dst_desc(), v, bias_md, bias, pd.scratchpad_desc()));
        break;
      }
      case Kind::kAffine: {
        const int64_t rows = n * op.in.h * op.in.w, c = op.in.c;
        const bool relu = op.relu;
        plan.impls.push_back("native:affine");
        plan.Add([&op, rows, c, relu, x, v](float* const* val) {
          const float* s = op.weights.data();
          const float* o = op.bias.data();
          for (int64_t r = 0; r < rows; ++r) {
            const float* src = val[x] + r * c;
            float* dst = val[v] + r * c;
            for (int64_t k = 0; k < c; ++k) {
              const float y = src[k] * s[k] + o[k];
              dst[k] = relu && y < 0.f ? 0.f : y;
            }
          }
        });
        break;
      }
      case Kind::kRelu: {
        const int64_t total = n * op.in.size();
        plan.impls.push_back("native:relu");
        plan.Add([total, x, v](float* const* val) {
          const float* src = val[x];
          float* dst = val[v];
          for (int64_t k = 0; k < total; ++k) dst[k] = src[k] < 0.f ? 0.f : src[k];
        });
        break;
      }
      case Kind::kSoftmax: {
        const int64_t rows = n * op.in.h * op.in.w, c = op.in.c;
        plan.impls.push_back("native:softmax");
        plan.Add([rows, c, x, v](float* const* val) {
          for (int64_t r = 0; r < rows; ++r) {
            const float* src = val[x] + r * c;
            float* dst = val[v] + r * c;
            float m = src[0];
            for (int64_t k = 1; k < c; ++k) m = std::max(m, src[k]);
            double sum = 0;
            for (int64_t k = 0; k < c; ++k) sum += (dst[k] = std::exp(src[k] - m));
            for (int64_t k = 0; k < c; ++k) dst[k] = static_cast<float>(dst[k] / sum);
          }
        });
        break;
      }
      case Kind::kAdd: {
        const int64_t total = n * op.in.size();
        std::vector<int> ins{x};
        for (size_t j = 1; j < op.inputs.size(); ++j) ins.push_back(Plain(plan, op.inputs[j]));
        const bool relu = op.relu;
        plan.impls.push_back("native:add");
        plan.Add([total, ins, relu, v](float* const* val) {
          float* dst = val[v];
          const float* a = val[ins[0]];
          const float* b = val[ins[1 % ins.size()]];
          if (ins.size() == 1) {
            std::copy(a, a + total, dst);
          } else {
            for (int64_t k = 0; k < total; ++k) dst[k] = a[k] + b[k];
          }
          for (size_t j = 2; j < ins.size(); ++j) {
            const float* c = val[ins[j]];
            for (int64_t k = 0; k < total; ++k) dst[k] += c[k];
          }
          if (relu) {
            for (int64_t k = 0; k < total; ++k) dst[k] = dst[k] < 0.f ? 0.f : dst[k];
          }
        });
        break;
      }
      case Kind::kConcat: {
        const int64_t pixels = n * op.in.h * op.in.w, out_c = op.shape.c;
        std::vector<std::pair<int, int64_t>> parts;
        for (size_t j = 0; j < op.inputs.size(); ++j) {
          parts.emplace_back(j == 0 ? x : Plain(plan, op.inputs[j]), shapes_[op.inputs[j]].c);
        }
        plan.impls.push_back("native:concat_channels");
        plan.Add([pixels, out_c, parts, v](float* const* val) {
          int64_t offset = 0;
          for (const auto& [id, c] : parts) {
            const float* src = val[id];
            float* dst = val[v] + offset;
            for (int64_t px = 0; px < pixels; ++px) std::memcpy(dst + px * out_c, src + px * c, sizeof(float) * c);
            offset += c;
          }
        });
        break;
      }
      case Kind::kAlias:
        plan.impls.push_back("alias");
        plan.Add(nullptr);  // the input is NHWC (a blocked one makes a kToPlain), so is this view
        break;
      case Kind::kToPlain:  // flatten / identity of a blocked value
        plan.impls.push_back("reorder:to_nhwc");
        Reorder(plan, x, plan.md[x], v, Nhwc(n, op.in));  // flatten: the same memory read as [1, 1, h·w·c]
        break;
    }
  }

  void CheckLive(const Napi::Env& env) const {
    if (disposed_) throw Napi::Error::New(env, "InferenceGraph: used after dispose()");
  }

  int64_t Batch(const Napi::CallbackInfo& info, size_t index) const {
    if (index >= info.Length() || !info[index].IsNumber()) {
      throw Napi::TypeError::New(info.Env(), "InferenceGraph: batch must be a positive integer");
    }
    const double b = info[index].As<Napi::Number>().DoubleValue();
    if (!(b >= 1) || b != std::floor(b) || b > (1 << 24)) {
      throw Napi::RangeError::New(info.Env(), "InferenceGraph: batch must be a positive integer");
    }
    return static_cast<int64_t>(b);
  }

  /** Points every value at its buffer (the input, and aliases of it, at `input`) for one run of `plan`. */
  static std::vector<float*> Values(Plan& plan, const float* input) {
    const size_t n = plan.buffer_of.size();
    std::vector<float*> values(n + plan.temps.size());
    values[0] = const_cast<float*>(input);
    for (size_t v = 1; v < n; ++v) {  // buffer -1: an alias of the input
      values[v] = plan.buffer_of[v] < 0 ? values[0] : plan.buffers[plan.buffer_of[v]].data();
    }
    for (size_t t = 0; t < plan.temps.size(); ++t) values[n + t] = plan.temps[t].data();
    return values;
  }

  // run(input: Float32Array [batch * h * w * c], batch, output: Float32Array [batch * output size])
  Napi::Value Run(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CheckLive(env);
    const int64_t n = Batch(info, 1);
    const float* input = F32(info, 0, "input", static_cast<size_t>(n * shapes_[0].size()));
    float* output = F32(info, 2, "output", static_cast<size_t>(n * shapes_.back().size()));
    SignalBlock block;  // oneDNN GEMM kernels (see SignalBlock)
    try {
      Plan& plan = PlanFor(n);
      std::vector<float*> values = Values(plan, input);
      for (const Step& step : plan.steps) {
        if (step) step(values.data());
      }
      std::memcpy(output, values[plan.output], sizeof(float) * static_cast<size_t>(n * shapes_.back().size()));
    } catch (const dnnl::error& err) {
      ThrowDnnl(env, "InferenceGraph.run", err);
    } catch (const std::bad_alloc&) {
      throw Napi::Error::New(env, "InferenceGraph.run: out of memory building the plan of this batch size");
    }
    return env.Undefined();
  }

  // profile(input, batch, reps) → Float64Array of per-op milliseconds (mean over reps runs, after one warm-up)
  Napi::Value Profile(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CheckLive(env);
    const int64_t n = Batch(info, 1);
    const float* input = F32(info, 0, "input", static_cast<size_t>(n * shapes_[0].size()));
    const int reps =
        info.Length() > 2 && info[2].IsNumber() ? std::max(1, info[2].As<Napi::Number>().Int32Value()) : 10;
    SignalBlock block;
    std::vector<double> ms(ops_.size(), 0.0);
    try {
      Plan& plan = PlanFor(n);
      std::vector<float*> values = Values(plan, input);
      for (int r = -1; r < reps; ++r) {
        for (size_t i = 0; i < plan.steps.size(); ++i) {
          const auto t0 = std::chrono::steady_clock::now();
          if (plan.steps[i]) plan.steps[i](values.data());
          if (r >= 0) {
            ms[plan.step_op[i]] +=
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
          }
        }
      }
    } catch (const dnnl::error& err) {
      ThrowDnnl(env, "InferenceGraph.profile", err);
    } catch (const std::bad_alloc&) {
      throw Napi::Error::New(env, "InferenceGraph.profile: out of memory building the plan of this batch size");
    }
    Napi::Float64Array out = Napi::Float64Array::New(env, ms.size());
    for (size_t i = 0; i < ms.size(); ++i) out[i] = ms[i] / reps;
    return out;
  }

  Napi::Value OutputShape(const Napi::CallbackInfo& info) {
    const Shape& s = shapes_.back();
    Napi::Array a = Napi::Array::New(info.Env(), 3);
    a.Set(0u, Napi::Number::New(info.Env(), static_cast<double>(s.h)));
    a.Set(1u, Napi::Number::New(info.Env(), static_cast<double>(s.w)));
    a.Set(2u, Napi::Number::New(info.Env(), static_cast<double>(s.c)));
    return a;
  }

  // implementations(batch) → [string] per op (builds the plan)
  Napi::Value Implementations(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CheckLive(env);
    SignalBlock block;
    Plan* plan = nullptr;
    try {
      plan = &PlanFor(Batch(info, 0));
    } catch (const dnnl::error& err) {
      ThrowDnnl(env, "InferenceGraph.implementations", err);
    } catch (const std::bad_alloc&) {
      throw Napi::Error::New(env, "InferenceGraph.implementations: out of memory building the plan of this batch size");
    }
    Napi::Array a = Napi::Array::New(env, plan->impls.size());
    for (size_t i = 0; i < plan->impls.size(); ++i)
      a.Set(static_cast<uint32_t>(i), ops_[i].name + " " + plan->impls[i]);
    return a;
  }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    plans_.clear();
    ops_.clear();
    disposed_ = true;
    return info.Env().Undefined();
  }
};

}  // namespace

Napi::Function InferenceGraphClass(Napi::Env env) {
  return Graph::Define(env);
}

}  // namespace onednn_binding
