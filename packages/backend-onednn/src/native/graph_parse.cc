// The inference graph's op list, parsed from JS (see graph.cc for the format): per-sample shapes, attributes,
// weights, the candidate convolution algorithms, then the layout of every value.
#include <algorithm>

#include "graph.h"

namespace onednn_binding {
namespace graph {
namespace {

/** Output size along one axis of a window of size k, stride s, dilation d over `in` padded by pa and pb. */
int64_t OutSize(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pa, int64_t pb) {
  return (in + pa + pb - ((k - 1) * d + 1)) / s + 1;
}

}  // namespace

void Graph::Fail(const Napi::Env& env, uint32_t i, const std::string& what) {
  throw Napi::Error::New(env, "InferenceGraph: op " + std::to_string(i) + ": " + what);
}

int64_t Graph::Int(const Napi::Env& env, const Napi::Object& o, const char* key, uint32_t i) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) Fail(env, i, std::string("'") + key + "' must be a number");
  return v.As<Napi::Number>().Int64Value();
}

std::vector<int64_t> Graph::Ints(const Napi::Env& env, const Napi::Object& o, const char* key, size_t n, uint32_t i) {
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

std::vector<float> Graph::Floats(const Napi::Env& env, const Napi::Object& o, const char* key, size_t n, uint32_t i,
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

Op Graph::Parse(const Napi::Env& env, Napi::Value value, uint32_t i) {
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
  ConvGeometry& g = op.window;
  g.in_height = in.h, g.in_width = in.w, g.in_channels = in.c;
  auto one_input = [&] {
    if (op.inputs.size() != 1) Fail(env, i, "'" + op.name + "' takes one input");
  };
  if (op.name == "conv2d") {
    one_input();
    op.kind = Kind::kConv;
    auto k = Ints(env, o, "kernel", 2, i), s = Ints(env, o, "strides", 2, i), d = Ints(env, o, "dilations", 2, i);
    auto p = Ints(env, o, "pads", 4, i);
    g.kernel_h = k[0], g.kernel_w = k[1], g.stride_h = s[0], g.stride_w = s[1], g.dilation_h = d[0],
    g.dilation_w = d[1];
    g.pad_top = p[0], g.pad_left = p[1], g.pad_bottom = p[2], g.pad_right = p[3];
    g.out_channels = Int(env, o, "outChannels", i);
    if (g.out_channels < 1 || g.kernel_h < 1 || g.kernel_w < 1 || g.stride_h < 1 || g.stride_w < 1 ||
        g.dilation_h < 1 || g.dilation_w < 1 || g.pad_top < 0 || g.pad_left < 0 || g.pad_bottom < 0 ||
        g.pad_right < 0) {
      Fail(env, i, "conv2d: kernel, strides, dilations, outChannels must be positive and pads non-negative");
    }
    g.out_height = OutSize(in.h, g.kernel_h, g.stride_h, g.dilation_h, g.pad_top, g.pad_bottom);
    g.out_width = OutSize(in.w, g.kernel_w, g.stride_w, g.dilation_w, g.pad_left, g.pad_right);
    op.shape = {g.out_height, g.out_width, g.out_channels};
    op.weights = Floats(env, o, "filter", g.weights_size(), i, false);
    op.bias = Floats(env, o, "bias", static_cast<size_t>(g.out_channels), i, true);
    if (training_tiles_) {  // as the training kernels: TileForOutput of their 'auto' setting
      if (WinogradApplies(g, false)) {
        op.algorithms = {WinogradAlgorithm(TileForOutput(WinogradTile::kAuto, g.out_height, g.out_width))};
      }
    } else if (!algorithm_) {  // tuned; ONEDNN_CONV_ALGO=direct / setConvAlgorithm('direct') still rule
      if (WinogradGeometry(g) && in.c >= 16 && g.out_channels >= 16 &&
          GetConvAlgorithmMode() != ConvAlgorithmMode::kDirect)
        op.algorithms = {ConvAlgorithm::kDirect, ConvAlgorithm::kWinogradF2x2, ConvAlgorithm::kWinogradF4x4};
    } else if (*algorithm_ != ConvAlgorithm::kDirect && WinogradApplies(g, false)) {
      op.algorithms = {*algorithm_};
    }
  } else if (op.name == "maxPool" || op.name == "avgPool") {
    one_input();
    op.kind = op.name == "maxPool" ? Kind::kMaxPool : Kind::kAvgPool;
    auto k = Ints(env, o, "kernel", 2, i), s = Ints(env, o, "strides", 2, i), p = Ints(env, o, "pads", 4, i);
    g.kernel_h = k[0], g.kernel_w = k[1], g.stride_h = s[0], g.stride_w = s[1];
    g.pad_top = p[0], g.pad_left = p[1], g.pad_bottom = p[2], g.pad_right = p[3];
    if (g.kernel_h < 1 || g.kernel_w < 1 || g.stride_h < 1 || g.stride_w < 1 || g.pad_top < 0 || g.pad_left < 0 ||
        g.pad_bottom < 0 || g.pad_right < 0 || std::max(g.pad_top, g.pad_bottom) >= g.kernel_h ||
        std::max(g.pad_left, g.pad_right) >= g.kernel_w) {
      Fail(env, i, op.name + ": kernel and strides must be positive, pads non-negative and smaller than the window");
    }
    g.out_height = OutSize(in.h, g.kernel_h, g.stride_h, 1, g.pad_top, g.pad_bottom);
    g.out_width = OutSize(in.w, g.kernel_w, g.stride_w, 1, g.pad_left, g.pad_right);
    g.out_channels = in.c;
    op.shape = {g.out_height, g.out_width, in.c};
  } else if (op.name == "globalAvgPool") {
    one_input();
    op.kind = Kind::kGlobalAvgPool;
    op.shape = {1, 1, in.c};
  } else if (op.name == "dense") {
    one_input();
    op.kind = Kind::kDense;
    op.units = Int(env, o, "units", i);
    if (op.units < 1) Fail(env, i, "dense: units must be positive");
    op.weights = Floats(env, o, "weights", static_cast<size_t>(in.c * op.units), i, false);
    op.bias = Floats(env, o, "bias", static_cast<size_t>(op.units), i, true);
    op.shape = {in.h, in.w, op.units};
  } else if (op.name == "affine") {
    one_input();
    op.kind = Kind::kAffine;
    op.weights = Floats(env, o, "scale", static_cast<size_t>(in.c), i, false);
    op.bias = Floats(env, o, "offset", static_cast<size_t>(in.c), i, false);
    op.shape = in;
  } else if (op.name == "relu" || op.name == "gelu" || op.name == "softmax" || op.name == "flatten" ||
             op.name == "identity") {
    one_input();
    op.kind = op.name == "relu"      ? Kind::kRelu
              : op.name == "gelu"    ? Kind::kGelu
              : op.name == "softmax" ? Kind::kSoftmax
                                     : Kind::kAlias;
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
bool Graph::DirectConv(const Op& op) {
  return op.kind == Kind::kConv && op.algorithms == std::vector<ConvAlgorithm>{ConvAlgorithm::kDirect};
}

/**
 * Layouts, once every op is parsed: a direct convolution with a multiple of 8 output channels writes oneDNN's
 * blocked layout (nChw8c on AVX2, ~20% faster than NHWC for MNISTNet's 5x5 layer) when every reader takes it
 * as it is (direct convolutions, pooling, flatten); pooling keeps its input's layout; a flatten or identity of
 * a blocked value becomes a reorder to NHWC; every other reader gets an NHWC copy.
 */
void Graph::ChooseLayouts() {
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
      blocked_[v] = blocked_layouts_ && op.window.out_channels % 8 == 0 &&
                    std::all_of(readers[v].begin(), readers[v].end(), [&](size_t r) {
                      const Kind k = ops_[r].kind;
                      return DirectConv(ops_[r]) || k == Kind::kMaxPool || k == Kind::kAvgPool || k == Kind::kAlias;
                    });
    }
    if (op.kind == Kind::kMaxPool || op.kind == Kind::kAvgPool) blocked_[v] = blocked_[op.inputs[0]];
    if (op.kind == Kind::kAlias && blocked_[op.inputs[0]]) op.kind = Kind::kToPlain;
  }
}

}  // namespace graph
}  // namespace onednn_binding
