// The inference graph's plans: for one batch size, the steps of every op in order (oneDNN primitives on the
// plan's buffers, or native loops), built on the first run of that batch size.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "dnnl_compat.h"
#include "graph.h"
#include "ops.h"

namespace onednn_binding {
namespace graph {
namespace {

/** Pool params (14 entries, see pool.cc) of pooling `op` at batch `n`. */
std::vector<int64_t> PoolParams(const Op& op, int64_t n) {
  const ConvGeometry& g = op.window;
  return {n,          g.in_height, g.in_width, g.in_channels, g.out_height, g.out_width,  g.kernel_h,
          g.kernel_w, g.stride_h,  g.stride_w, g.pad_top,     g.pad_left,   g.pad_bottom, g.pad_right};
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

/** `step`, then a NaN-keeping relu (ReluInPlace) over the `v_floats` floats of value v. */
Step ReluAfter(Step step, int v, size_t v_floats) {
  return [step = std::move(step), v, v_floats](float* const* val) {
    step(val);
    ReluInPlace(val[v], v_floats);
  };
}

/**
 * A primitive with a relu that keeps NaN (as tfjs' Relu, x < 0 ? 0 : x). oneDNN's relu post-op is max(x, 0), which
 * turns NaN into 0, so `fused` (the primitive with the post-op, built for finite constant operands: see FuseRelu)
 * runs only while its input, the `x_floats` floats of value x, is finite (then its output is NaN-free but for
 * overflow); otherwise the same primitive without the post-op, made by `make_plain` on first need, runs and
 * ReluInPlace follows. The finiteness check reads the input once per run.
 */
Step FusedReluKeepingNaN(Step fused, int x, size_t x_floats, std::function<Step()> make_plain, int v, size_t v_floats) {
  auto plain = std::make_shared<Step>();
  return [fused = std::move(fused), x, x_floats, make_plain = std::move(make_plain), v, v_floats,
          plain](float* const* val) {
    if (AllFinite(val[x], x_floats)) {
      fused(val);
      return;
    }
    if (!*plain) *plain = ReluAfter(make_plain(), v, v_floats);
    (*plain)(val);
  };
}

/**
 * The step of dense layer `op` at batch n (oneDNN inner product reading NHWC value x as [rows, in], writing value
 * v), with oneDNN's relu post-op when `relu`; `impl` gets the implementation oneDNN chose. The weights are
 * reordered into the primitive's layout here.
 */
Step DenseStep(const Op& op, int64_t n, int x, int v, bool relu, std::string* impl) {
  const int64_t rows = n * op.in.h * op.in.w, ic = op.in.c, oc = op.units;
  dnnl::memory::desc src_md({rows, ic}, dt::f32, tag::nc), dst_md({rows, oc}, dt::f32, tag::nc);
  dnnl::memory::desc any_w({oc, ic}, dt::f32, tag::any), bias_md({oc}, dt::f32, tag::a);
  dnnl::primitive_attr attr = UserScratchpadAttr();
  if (relu) {
    dnnl::post_ops ops;
    compat::AppendRelu(ops);
    attr.set_post_ops(ops);
  }
  const bool has_bias = !op.bias.empty();
  auto pd = compat::InnerProductForwardPd(Engine(), dnnl::prop_kind::forward_inference, src_md, any_w,
                                          has_bias ? bias_md : dnnl::memory::desc(), dst_md, attr);
  if (impl != nullptr) *impl = pd.impl_info_str();
  auto prim = std::make_shared<dnnl::inner_product_forward>(pd);
  // tfjs' kernel is [in, out] row-major: element (oc, ic) at ic * oc_count + oc, oneDNN's `io` tag.
  dnnl::memory user_w(dnnl::memory::desc({oc, ic}, dt::f32, tag::io), Engine(), const_cast<float*>(op.weights.data()));
  dnnl::memory w(pd.weights_desc(), Engine());
  dnnl::reorder(user_w, w).execute(Stream(), user_w, w);
  Stream().wait();
  const float* bias = has_bias ? op.bias.data() : nullptr;
  return WeightedStep(prim, pd.src_desc(), x, w, pd.dst_desc(), v, bias_md, bias, pd.scratchpad_desc());
}

/** Whether `op` (conv or dense) may run its relu as oneDNN's post-op: a relu, and finite weights and bias. */
bool FuseOpRelu(const Op& op) {
  return FuseRelu(op.relu, {{op.weights.data(), op.weights.size()}, {op.bias.data(), op.bias.size()}});
}

}  // namespace

/**
 * Its dnnl::memory objects are made on the first run and only re-pointed (set_data_handle) when a value's pointer
 * changes — the graph input from call to call, the scratchpad when it grows — so a run allocates nothing.
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

/** The plan for batch `n`, built on first use. */
Plan& Graph::PlanFor(int64_t n) {
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

/** oneDNN pooling of value x (any layout) into v, keeping x's layout (avg excludes padding, as tfjs). */
void Graph::BlockedPool(Plan& plan, const Op& op, int x, int v, dnnl::algorithm alg) {
  const int64_t n = plan.batch;
  const ConvGeometry& g = op.window;
  auto make = [&](tag dst_tag) {
    dnnl::memory::desc dst({n, op.shape.c, op.shape.h, op.shape.w}, dt::f32, dst_tag);
    return compat::PoolForwardPd(Engine(), dnnl::prop_kind::forward_inference, alg, plan.md[x], dst,
                                 {g.stride_h, g.stride_w}, {g.kernel_h, g.kernel_w}, {g.pad_top, g.pad_left},
                                 {g.pad_bottom, g.pad_right});
  };
  auto pd = make(plan.md[x] == Nhwc(n, op.in) ? tag::nhwc : tag::any);
  if (!Fits(plan, v, pd.dst_desc())) pd = make(tag::nhwc);
  plan.impls.push_back(pd.impl_info_str());
  plan.md[v] = pd.dst_desc();
  auto prim = std::make_shared<dnnl::pooling_forward>(pd);
  plan.Add(PrimitiveStep(prim, {{DNNL_ARG_SRC, pd.src_desc(), x}, {DNNL_ARG_DST, pd.dst_desc(), v}}, {},
                         dnnl::memory::desc()));
}

/** op's filter transformed for Winograd `algorithm`, made on first use. */
const float* Graph::TransformedFilter(Op& op, ConvAlgorithm algorithm) {
  std::vector<float>& u = op.Winograd(algorithm).transformed;
  if (u.empty()) {
    u = WinogradTransformFilter(op.weights.data(), op.window.in_channels, op.window.out_channels, TileOf(algorithm));
  }
  return u.data();
}

/**
 * Adds the steps of convolution `op` reading value x (NHWC unless `op` is direct-only) into v with `algorithm`:
 * oneDNN's direct kernel (in the layouts it prefers, reordering x when needed) or Winograd on the algorithm's tile.
 */
void Graph::BuildConv(Plan& plan, Op& op, int x, int v, ConvAlgorithm algorithm) {
  const ConvGeometry g = op.WindowAt(plan.batch);
  const float* bias = op.bias.empty() ? nullptr : op.bias.data();
  if (algorithm != ConvAlgorithm::kDirect) {
    plan.impls.push_back(WinogradImpl(TileOf(algorithm)));
    const float* u = TransformedFilter(op, algorithm);
    const bool relu = op.relu;  // Winograd's relu keeps NaN
    const WinogradTile tile = TileOf(algorithm);
    plan.Add([g, tile, u, bias, relu, x, v](float* const* val) {
      WinogradForwardTransformed(g, val[x], u, bias, relu, val[v], tile);
    });
    return;
  }
  const bool fuse_relu = FuseOpRelu(op);  // with a NaN-keeping relu after the primitive when not fused
  auto pd = ConvForwardDesc(g, bias != nullptr, fuse_relu);
  if (blocked_layouts_) {  // oneDNN's choice of layouts, unless that only has a reference kernel
    auto any = ConvForwardDesc(g, bias != nullptr, fuse_relu, true, blocked_[v]);
    if (!Fits(plan, v, any.dst_desc())) any = ConvForwardDesc(g, bias != nullptr, fuse_relu, true, false);
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
  float* weights = op.weights.data();
  // The step of conv primitive `pd`, its filter reordered into the primitive's layout (once per plan).
  auto conv_step = [g, weights, bias, src, v](const dnnl::convolution_forward::primitive_desc& pd) {
    auto prim = std::make_shared<dnnl::convolution_forward>(pd);
    dnnl::memory user_w(ConvUserWeightsDesc(g), Engine(), weights);
    dnnl::memory w = user_w;
    if (pd.weights_desc() != user_w.get_desc()) {
      w = dnnl::memory(pd.weights_desc(), Engine());
      dnnl::reorder(user_w, w).execute(Stream(), user_w, w);
      Stream().wait();
    }
    return WeightedStep(prim, pd.src_desc(), src, w, pd.dst_desc(), v, pd.bias_desc(), bias, pd.scratchpad_desc());
  };
  Step step = conv_step(pd);
  const size_t src_floats = pd.src_desc().get_size() / sizeof(float);
  const size_t dst_floats = pd.dst_desc().get_size() / sizeof(float);  // blocked: padding channels included (zeros)
  if (fuse_relu) {
    // The same convolution without the post-op, on the same layouts (built on the first non-finite input).
    auto make_plain = [g, conv_step, has_bias = bias != nullptr, src_md = pd.src_desc(), dst_md = pd.dst_desc()] {
      return conv_step(ConvForwardDesc(g, has_bias, false, src_md, dst_md));
    };
    step = FusedReluKeepingNaN(std::move(step), src, src_floats, make_plain, v, dst_floats);
  } else if (op.relu) {
    step = ReluAfter(std::move(step), v, dst_floats);
  }
  plan.Add(std::move(step));
}

void Graph::Build(Plan& plan, Op& op, int v) {
  const int64_t n = plan.batch;
  const int raw = op.inputs[0];  // as stored (maybe blocked)
  const bool keeps_layout =
      DirectConv(op) || op.kind == Kind::kMaxPool || op.kind == Kind::kAvgPool || op.kind == Kind::kToPlain;
  const int x = keeps_layout ? raw : Plain(plan, raw);  // NHWC for every op that needs it
  plan.md[v] = Nhwc(n, op.shape);
  switch (op.kind) {
    case Kind::kConv: {
      std::string note;
      const ConvAlgorithm algorithm = op.algorithms.size() > 1 ? Tune(plan, op, x, v, note) : op.algorithms[0];
      BuildConv(plan, op, x, v, algorithm);
      plan.impls.back() += note;
      if (algorithm != ConvAlgorithm::kDirect) ++op.Winograd(algorithm).plans;
      for (WinogradFilter& f : op.winograd) {                        // the transforms only tuning made
        if (f.plans == 0) std::vector<float>().swap(f.transformed);  // (4x / 1.8x the filter's size) go
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
      const bool fuse_relu = FuseOpRelu(op);
      std::string impl;
      Step step = DenseStep(op, n, x, v, fuse_relu, &impl);
      plan.impls.push_back(impl);
      const size_t in_floats = static_cast<size_t>(n * op.in.size()),
                   out_floats = static_cast<size_t>(n * op.shape.size());
      if (fuse_relu) {
        const Op* o = &op;  // ops_ is fixed once the graph is built and outlives the plans
        step = FusedReluKeepingNaN(
            std::move(step), x, in_floats, [o, n, x, v] { return DenseStep(*o, n, x, v, false, nullptr); }, v,
            out_floats);
      } else if (op.relu) {
        step = ReluAfter(std::move(step), v, out_floats);
      }
      plan.Add(std::move(step));
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
    case Kind::kGelu: {
      const int64_t total = n * op.in.size();
      plan.impls.push_back("native:gelu");
      plan.Add([total, x, v](float* const* val) { GeluArray(val[x], val[v], total); });
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

}  // namespace graph
}  // namespace onednn_binding
