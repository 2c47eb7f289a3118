// Batched matrix multiply C[b] = op(A[b]) x op(B[b]) (+ bias, relu) on oneDNN matmul.
// Transposes are expressed as strides, so no copy is made. A batch of 1 broadcasts against the other operand.
//
// params (Int32Array, 7): batchA, batchB, M, K, N, transposeA, transposeB
#ifdef _OPENMP
#include <omp.h>
#endif

#include "common.h"
#include "ops.h"
#include "dnnl_compat.h"

namespace onednn_binding {
namespace {

constexpr size_t kMatMulParams = 7;

/**
 * Below this many flops (2·B·M·N·K) a matmul runs on one thread: a dense layer of a small CNN takes ~0.1-0.3 ms,
 * and an OpenMP barrier stall while another process holds a core costs more than the second thread saves.
 */
constexpr double kSerialFlops = 32e6;

struct MatMulEntry : CacheEntry {
  dnnl::matmul prim;
  dnnl::memory::desc a_md, b_md, c_md, bias_md, scratch_md;
  Bf16Input a_bf16, b_bf16;  // bf16 precision only
};

}  // namespace

// matMul(a, b, bias|null, out, params, relu)
Napi::Value MatMul(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto p = Params(info, 4, "params", kMatMulParams);
  const int64_t BA = p[0], BB = p[1], M = p[2], K = p[3], N = p[4];
  const bool ta = p[5] != 0, tb = p[6] != 0;
  const int64_t B = BA > BB ? BA : BB;
  if (BA != BB && BA != 1 && BB != 1) {
    throw Napi::RangeError::New(env, "onednn: matMul batch sizes must match or one must be 1");
  }
  float* a = F32(info, 0, "a", static_cast<size_t>(BA * M * K));
  float* b = F32(info, 1, "b", static_cast<size_t>(BB * K * N));
  float* bias = F32OrNull(info, 2, "bias", static_cast<size_t>(N));
  float* c = F32(info, 3, "out", static_cast<size_t>(B * M * N));
  const bool relu = info.Length() > 5 && info[5].ToBoolean().Value();
  const bool fuse_relu = FuseRelu(
      relu,
      {{a, static_cast<size_t>(BA * M * K)}, {b, static_cast<size_t>(BB * K * N)}, {bias, static_cast<size_t>(N)}});
  const int flags = (bias ? 1 : 0) | (fuse_relu ? 2 : 0);
  try {
    const bool bf16 = GetPrecision() == Precision::kBf16;
    std::string key = Key(bf16 ? "matmul_bf16" : "matmul", p, flags);
    auto* e = CachedEntry<MatMulEntry>(key, [&](MatMulEntry& entry) {
      dnnl::memory::desc a_md, b_md, c_md, bias_md;
      // The operands as the user holds them (f32), and as the primitive reads them (bf16 in bf16 precision: same
      // strides, converted into a staging buffer; dst and bias stay f32, so the products accumulate in f32).
      dnnl::memory::desc a_prim, b_prim;
      const dt in = bf16 ? dt::bf16 : dt::f32;
      // A batch-1 weights operand with a plain A folds the batch into M: one big GEMM.
      const bool fold = (BB == 1 && !ta) || B == 1;
      if (fold) {
        const int64_t MM = (B == 1 ? 1 : BA) * M;
        const dims as = ta ? dims{1, MM} : dims{K, 1};
        const dims bs = tb ? dims{1, K} : dims{N, 1};
        a_md = dnnl::memory::desc({MM, K}, dt::f32, as);
        b_md = dnnl::memory::desc({K, N}, dt::f32, bs);
        a_prim = dnnl::memory::desc({MM, K}, in, as);
        b_prim = dnnl::memory::desc({K, N}, in, bs);
        c_md = dnnl::memory::desc({MM, N}, dt::f32, dims{N, 1});
        if (bias) bias_md = dnnl::memory::desc({1, N}, dt::f32, dims{N, 1});
      } else {
        const dims as = ta ? dims{M * K, 1, M} : dims{M * K, K, 1};
        const dims bs = tb ? dims{K * N, 1, K} : dims{K * N, N, 1};
        a_md = dnnl::memory::desc({BA, M, K}, dt::f32, as);
        b_md = dnnl::memory::desc({BB, K, N}, dt::f32, bs);
        a_prim = dnnl::memory::desc({BA, M, K}, in, as);
        b_prim = dnnl::memory::desc({BB, K, N}, in, bs);
        c_md = dnnl::memory::desc({B, M, N}, dt::f32, dims{M * N, N, 1});
        if (bias) bias_md = dnnl::memory::desc({1, 1, N}, dt::f32, dims{N, N, 1});
      }
      dnnl::primitive_attr attr = UserScratchpadAttr();
      if (fuse_relu) {
        dnnl::post_ops ops;
        compat::AppendRelu(ops);
        attr.set_post_ops(ops);
      }
      auto pd = compat::MatMulPd(Engine(), a_prim, b_prim, bias_md, c_md, attr);
      if (bf16) {
        entry.a_bf16.Init(a_md, a_prim, 0);
        entry.b_bf16.Init(b_md, b_prim, 1);
      }
      entry.prim = dnnl::matmul(pd);
      entry.a_md = a_md;
      entry.b_md = b_md;
      entry.c_md = c_md;
      entry.bias_md = bias_md;
      entry.scratch_md = pd.scratchpad_desc();
      RecordImpl(bias || relu ? "_FusedMatMul" : "BatchMatMul", key, pd.impl_info_str());
    });
    std::unordered_map<int, dnnl::memory> args;
    args[DNNL_ARG_SRC] = bf16 ? e->a_bf16.In(a) : dnnl::memory(e->a_md, Engine(), a);
    args[DNNL_ARG_WEIGHTS] = bf16 ? e->b_bf16.In(b) : dnnl::memory(e->b_md, Engine(), b);
    args[DNNL_ARG_DST] = dnnl::memory(e->c_md, Engine(), c);
    if (bias) args[DNNL_ARG_BIAS] = dnnl::memory(e->bias_md, Engine(), bias);
    if (e->scratch_md.get_size() > 0) args[DNNL_ARG_SCRATCHPAD] = Scratchpad(e->scratch_md);
#ifdef _OPENMP
    const int threads = omp_get_max_threads();
    const bool serial = 2.0 * static_cast<double>(B * M) * static_cast<double>(N * K) < kSerialFlops;
    if (serial) omp_set_num_threads(1);
#endif
    e->prim.execute(Stream(), args);
    Stream().wait();
#ifdef _OPENMP
    if (serial) omp_set_num_threads(threads);
#endif
    if (relu && !fuse_relu) ReluInPlace(c, static_cast<size_t>(B * M * N));
  } catch (const dnnl::error& err) {
    ThrowDnnl(env, "matMul", err);
  }
  return env.Undefined();
}

}  // namespace onednn_binding
