// The inference graph's memory plan: activation buffers assigned by liveness, the layout (memory desc) of each
// value, the NHWC copies and reorders between layouts, and the value pointers of one run.
#include <algorithm>

#include "graph.h"

namespace onednn_binding {
namespace graph {

/**
 * Buffers by liveness: a value's buffer is freed after its last reader runs and reused by a later value of
 * at most its size (best fit); aliases (flatten, identity) share their input's buffer. The output gets a
 * buffer of its own that no other value shares.
 */
void Graph::Assign(Plan& plan) {
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
dnnl::memory::desc Graph::Nhwc(int64_t n, const Shape& s) {
  return {{n, s.c, s.h, s.w}, dt::f32, tag::nhwc};
}

/**
 * The index of an NHWC copy of value `x`: `x` itself when it is NHWC, else a temp (index ops + 1 + k) filled
 * by a reorder step added here.
 */
int Graph::Plain(Plan& plan, int x) {
  const dnnl::memory::desc plain = Nhwc(plan.batch, shapes_[x]);
  if (plan.md[x] == plain) return x;
  const int t = static_cast<int>(plan.buffer_of.size() + plan.temps.size());
  plan.temps.emplace_back(plain.get_size() / sizeof(float));
  Reorder(plan, x, plan.md[x], t, plain);
  return t;
}

/** Adds a step reordering value `from` (layout `a`) into value `to` (layout `b`). */
void Graph::Reorder(Plan& plan, int from, const dnnl::memory::desc& a, int to, const dnnl::memory::desc& b) {
  auto prim = std::make_shared<dnnl::reorder>(dnnl::reorder::primitive_desc(Engine(), a, Engine(), b));
  plan.Add(PrimitiveStep(prim, {{DNNL_ARG_FROM, a, from}, {DNNL_ARG_TO, b, to}}, {}, dnnl::memory::desc()));
}

/**
 * True when layout `md` of value v fits v's buffer, which Assign sized for NHWC: a blocked layout whose
 * channel count is not a multiple of the block (nChw16c for 24 channels) is padded and would not.
 */
bool Graph::Fits(const Plan& plan, int v, const dnnl::memory::desc& md) {
  return md.get_size() <= plan.buffers[plan.buffer_of[v]].size() * sizeof(float);
}

/** Points every value at its buffer (the input, and aliases of it, at `input`) for one run of `plan`. */
std::vector<float*> Graph::Values(Plan& plan, const float* input) {
  const size_t n = plan.buffer_of.size();
  std::vector<float*> values(n + plan.temps.size());
  values[0] = const_cast<float*>(input);
  for (size_t v = 1; v < n; ++v) {  // buffer -1: an alias of the input
    values[v] = plan.buffer_of[v] < 0 ? values[0] : plan.buffers[plan.buffer_of[v]].data();
  }
  for (size_t t = 0; t < plan.temps.size(); ++t) values[n + t] = plan.temps[t].data();
  return values;
}

}  // namespace graph
}  // namespace onednn_binding
