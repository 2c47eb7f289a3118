// Inference graph: a whole feed-forward CNN (convolutions, pooling, dense layers, activations, residual adds,
// concatenations, softmax) run natively in one call, NHWC float32 throughout, as ONNX Runtime runs an ONNX
// model. Built once from a list of ops with their weights; for each batch size a plan holds the oneDNN primitives
// and the activation buffers, reused from call to call (buffers are assigned by liveness, so a 256-image CIFAR
// batch needs a few activation-sized buffers, not one per layer). The weights are copied once, when the graph is
// built; each plan reorders the filters of its oneDNN convolutions and dense layers into the layout its primitive
// chose (once per batch size, and once per candidate while tuning), while a Winograd-transformed filter is made
// the first time a plan runs that tile and shared by every plan of the graph (freed when tuning leaves no plan on
// it). Files: see graph.h.
//
// JS: new InferenceGraph(ops, inputShape, winogradTile = -1, blockedLayouts = true) ;
//     graph.run(input, batch, output) ; graph.profile(input, batch, reps) ; graph.outputShape() ;
//     graph.implementations(batch) ; graph.dispose()
// ops: [{op, inputs: [value ids], ...attrs}], value 0 is the graph input and op i produces value i + 1; the last
// op's value is the output. Per-sample shapes are [h, w, c] (a flat vector is [1, 1, n]).
//   conv2d   {filter: Float32Array HWIO, bias?: Float32Array, kernel: [kh, kw], strides, dilations,
//             pads: [top, left, bottom, right], outChannels, activation: 'linear' | 'relu'}
//   maxPool / avgPool {kernel, strides, pads}         (avg excludes padding, as tfjs)
//   globalAvgPool                                     → [1, 1, c]
//   dense    {weights: Float32Array [in, out], bias?, units, activation} over the last axis
//   affine   {scale, offset: Float32Array [c], activation}    (a batch norm not folded into a conv)
//   relu, gelu (exact, as the gelu kernel), softmax (last axis), add (n inputs, activation), concat (n inputs,
//   channel axis), flatten, identity
// Every relu keeps NaN, as tfjs' Relu (x < 0 ? 0 : x): oneDNN's relu post-op (max(x, 0)) turns NaN into 0, so a
// convolution or dense layer runs it only while its weights and input are finite, else a NaN-keeping relu after
// the primitive (graph_steps.cc); Winograd's and the native loops' relus keep NaN by construction.
//
// Convolution algorithms (ConvAlgorithm): winogradTile 0 fixes oneDNN's direct kernels, 2..7 Winograd F(m x m, 3x3)
// for the 3x3 stride-1 convolutions WinogradApplies() picks, -2 (training) the tile the training kernels take for
// each convolution's output size (TileForOutput); -1 (auto) tunes direct, F(2x2) and F(4x4) per batch size
// (graph_tune.cc).
#include "graph.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <new>

#include "ops.h"

namespace onednn_binding {
namespace graph {

Napi::Function Graph::Define(Napi::Env env) {
  return DefineClass(
      env, "InferenceGraph",
      {InstanceMethod("run", &Graph::Run), InstanceMethod("profile", &Graph::Profile),
       InstanceMethod("outputShape", &Graph::OutputShape), InstanceMethod("implementations", &Graph::Implementations),
       InstanceMethod("dispose", &Graph::Dispose)});
}

Graph::Graph(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Graph>(info) {
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
    // winogradTile: -1 auto, -2 the training kernels' tiles, 0 direct, 2..7 the tile
    const int tile = info[2].As<Napi::Number>().Int32Value();
    if (tile == -1) {
      algorithm_.reset();
    } else if (tile == -2) {
      training_tiles_ = true;
    } else if (tile == 0 || (tile >= 2 && tile <= 7)) {
      algorithm_ = static_cast<ConvAlgorithm>(tile);
    } else {
      throw Napi::RangeError::New(env,
                                  "InferenceGraph: winogradTile must be -1 (auto), -2 (training), 0 (off) or 2..7");
    }
  }
  Napi::Array list = info[0].As<Napi::Array>();
  if (list.Length() == 0) throw Napi::RangeError::New(env, "InferenceGraph: ops must not be empty");
  for (uint32_t i = 0; i < list.Length(); ++i) ops_.push_back(Parse(env, list.Get(i), i));
  ChooseLayouts();
}

void Graph::CheckLive(const Napi::Env& env) const {
  if (disposed_) throw Napi::Error::New(env, "InferenceGraph: used after dispose()");
}

int64_t Graph::Batch(const Napi::CallbackInfo& info, size_t index) const {
  if (index >= info.Length() || !info[index].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), "InferenceGraph: batch must be a positive integer");
  }
  const double b = info[index].As<Napi::Number>().DoubleValue();
  if (!(b >= 1) || b != std::floor(b) || b > (1 << 24)) {
    throw Napi::RangeError::New(info.Env(), "InferenceGraph: batch must be a positive integer");
  }
  return static_cast<int64_t>(b);
}

// run(input: Float32Array [batch * h * w * c], batch, output: Float32Array [batch * output size])
Napi::Value Graph::Run(const Napi::CallbackInfo& info) {
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
Napi::Value Graph::Profile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckLive(env);
  const int64_t n = Batch(info, 1);
  const float* input = F32(info, 0, "input", static_cast<size_t>(n * shapes_[0].size()));
  const int reps = info.Length() > 2 && info[2].IsNumber() ? std::max(1, info[2].As<Napi::Number>().Int32Value()) : 10;
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

Napi::Value Graph::OutputShape(const Napi::CallbackInfo& info) {
  const Shape& s = shapes_.back();
  Napi::Array a = Napi::Array::New(info.Env(), 3);
  a.Set(0u, Napi::Number::New(info.Env(), static_cast<double>(s.h)));
  a.Set(1u, Napi::Number::New(info.Env(), static_cast<double>(s.w)));
  a.Set(2u, Napi::Number::New(info.Env(), static_cast<double>(s.c)));
  return a;
}

// implementations(batch) → [string] per op (builds the plan)
Napi::Value Graph::Implementations(const Napi::CallbackInfo& info) {
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
  for (size_t i = 0; i < plan->impls.size(); ++i) a.Set(static_cast<uint32_t>(i), ops_[i].name + " " + plan->impls[i]);
  return a;
}

Napi::Value Graph::Dispose(const Napi::CallbackInfo& info) {
  plans_.clear();
  ops_.clear();
  disposed_ = true;
  return info.Env().Undefined();
}

}  // namespace graph

Napi::Function InferenceGraphClass(Napi::Env env) {
  return graph::Graph::Define(env);
}

}  // namespace onednn_binding
