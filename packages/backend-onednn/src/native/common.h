// Shared state and helpers of the oneDNN binding: one engine + stream, a primitive cache keyed by a string of
// dims/attrs, the record of which implementation oneDNN picked for each primitive, and argument helpers.
#pragma once

#include <napi.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <signal.h>

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "oneapi/dnnl/dnnl.hpp"

namespace onednn_binding {

using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;
using dims = dnnl::memory::dims;

/** OpenMP threads of a parallel region (1 without OpenMP). */
inline int MaxThreads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

/** This thread's index in the current OpenMP team (0 outside a parallel region or without OpenMP). */
inline int ThreadId() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

/**
 * Compiles a function for AVX-512, AVX2 and baseline x86-64, the one to run picked when the addon loads (GCC
 * function multi-versioning): the addon itself is built for baseline x86-64, so the vector loops of our own
 * kernels would otherwise run 4 lanes wide. Inline helpers called by such a function are compiled into each
 * version. Empty on other compilers and architectures.
 *
 * ONEDNN_BINDING_FMA_CLONES: the same with an x86-64-v3 version (AVX2 with FMA) before the AVX2 one, for the
 * compute-bound loops whose file allows FMA contraction (the GELU polynomials): GCC's `avx2` target does not
 * include FMA, `arch=x86-64-v3` does, and AVX-512 implies it. The v3 version is chosen by CPU features (AMD and
 * Intel alike); an AVX2 CPU without all of v3 (a VM hiding MOVBE, say) runs the AVX2 one.
 */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(ONEDNN_BINDING_MAX_AVX2)
// A build for measuring what an AVX2-only CPU gets (with ONEDNN_MAX_CPU_ISA=AVX2 for oneDNN's own kernels).
#define ONEDNN_BINDING_CLONES __attribute__((target_clones("avx2", "default")))
#define ONEDNN_BINDING_FMA_CLONES __attribute__((target_clones("arch=x86-64-v3", "avx2", "default")))
#elif defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define ONEDNN_BINDING_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#define ONEDNN_BINDING_FMA_CLONES __attribute__((target_clones("avx512f", "arch=x86-64-v3", "avx2", "default")))
#else
#define ONEDNN_BINDING_CLONES
#define ONEDNN_BINDING_FMA_CLONES
#endif

/**
 * Elements from which the memory-bound loops (elementwise ops, batch norm, pooling) use every OpenMP thread. On
 * an otherwise idle 2-core machine two threads stream about twice the bandwidth of one (copy-scale ~21 vs ~40
 * GB/s on the Zen 4 VMs); a smaller tensor gains less than an OpenMP fork/join costs when another process holds
 * a core. Measured on airbench94's batch-1024 step: batch norm and pooling over 12.8M-element tensors ~2x
 * faster with both threads.
 */
constexpr int64_t kMemoryBoundParallelMin = int64_t{1} << 20;

/**
 * The version of ONEDNN_BINDING_CLONES functions this CPU runs: "avx512f", "avx2" or "default" (baseline
 * x86-64, e.g. on a CPU without AVX2), by the same CPU test as GCC's clone resolver; "default" elsewhere. A build
 * with ONEDNN_BINDING_MAX_AVX2 has no "avx512f" version, so it says "avx2" on an AVX-512 CPU.
 */
inline const char* CloneTarget() {
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
  __builtin_cpu_init();
#if !defined(ONEDNN_BINDING_MAX_AVX2)
  if (__builtin_cpu_supports("avx512f")) return "avx512f";
#endif
  if (__builtin_cpu_supports("avx2")) return "avx2";
#endif
  return "default";
}

/** The process-wide CPU engine. */
dnnl::engine& Engine();
/** The process-wide in-order stream on Engine(). */
dnnl::stream& Stream();

/** Base of every cached entry (primitives + the memories they need). */
struct CacheEntry {
  virtual ~CacheEntry() = default;
};

/** Looks a cache entry up; returns nullptr when absent. Marks it most recently used. */
CacheEntry* CacheGet(const std::string& key);
/** Inserts an entry (evicting the least recently used beyond the capacity) and returns it. */
CacheEntry* CachePut(const std::string& key, std::unique_ptr<CacheEntry> entry);
/**
 * The cache entry of type `T` under `key`, built on first use: `build(T& entry)` fills a new entry (primitive,
 * memory descriptors, RecordImpl), which is then inserted. One place for the look-up / build / insert of every
 * cached primitive.
 */
template <typename T, typename Build>
T* CachedEntry(const std::string& key, Build&& build) {
  if (CacheEntry* hit = CacheGet(key)) return static_cast<T*>(hit);
  auto entry = std::make_unique<T>();
  build(*entry);
  return static_cast<T*>(CachePut(key, std::move(entry)));
}
/** Drops every cached primitive. */
void CacheClear();
size_t CacheSize();

/** Records the implementation oneDNN chose for a primitive (kernel name, cache key, impl_info_str). */
void RecordImpl(const std::string& kernel, const std::string& key, const std::string& impl);

/** One recorded implementation. */
struct ImplRecord {
  std::string kernel;
  std::string key;
  std::string impl;
};
const std::vector<ImplRecord>& Impls();
void ClearImpls();

/** Returns the data pointer of a Float32Array argument, checking its type and minimum length. */
float* F32(const Napi::CallbackInfo& info, size_t index, const char* what, size_t min_len);
/** Like F32 but returns nullptr for null/undefined. */
float* F32OrNull(const Napi::CallbackInfo& info, size_t index, const char* what, size_t min_len);
/** Reads an Int32Array of parameters. */
std::vector<int64_t> Params(const Napi::CallbackInfo& info, size_t index, const char* what, size_t count);
/** Builds a cache key like "conv_fwd:1,2,3". */
std::string Key(const char* prefix, const std::vector<int64_t>& p, int extra = 0);

/**
 * Primitive attributes with a user-managed scratchpad: oneDNN's default (library) mode allocates the scratchpad
 * on every execute; with this mode every primitive shares one process-wide buffer (see Scratchpad()).
 */
dnnl::primitive_attr UserScratchpadAttr();
/**
 * A memory over the process-wide scratchpad buffer, grown (never shrunk) to `md`'s size. Safe because primitives
 * run one at a time on the in-order stream and every entry point waits before returning. Returns an empty
 * memory when `md` has size 0 (nothing to pass).
 */
dnnl::memory Scratchpad(const dnnl::memory::desc& md);
/** The process-wide scratchpad buffer (64-byte aligned), grown to at least `bytes`; moves only when it grows. */
void* ScratchpadBuffer(size_t bytes);

/**
 * Blocks asynchronous signals on the calling thread while it lives (RAII; synchronous fault signals such as
 * SIGSEGV stay deliverable). oneDNN before 3.11.2 has JIT f32 GEMM kernels that point rsp into the heap while
 * they run (uxlfoundation/oneDNN#4845, fixed in 3.11.2; Debian bookworm ships 2.6.3): a signal handled
 * meanwhile writes its frame into the heap and corrupts it. Sampling profilers send one every millisecond
 * (SIGPROF from `node --cpu-prof` or the inspector), so every entry point that runs oneDNN code holds one of
 * these, and the OpenMP workers are started under one (Init) so that they inherit the blocked mask. A signal
 * that arrives meanwhile is delivered when the block ends (after at most one kernel).
 */
class SignalBlock {
 public:
  SignalBlock();
  ~SignalBlock();
  SignalBlock(const SignalBlock&) = delete;
  SignalBlock& operator=(const SignalBlock&) = delete;

 private:
  sigset_t saved_;
};

/** Compute precision of conv forward/backward and matmul (precision.cc). */
enum class Precision { kF32, kBf16 };
/** The process-wide precision (default kF32). */
Precision GetPrecision();
/** Sets the process-wide precision (callers check Bf16Supported() before kBf16). */
void SetPrecision(Precision p);
/** True when oneDNN dispatches to an ISA with bf16 dot products: AVX512_BF16 (avx512_core_bf16) or AMX. */
bool Bf16Supported();
/** Number of process-wide bf16 staging buffers (at most two inputs of one primitive are converted). */
constexpr int kBf16StagingSlots = 2;

/**
 * A float32 input converted to bf16 for a primitive (cached per shape in its entry): the reorder from the user's
 * f32 layout to the primitive's bf16 one, run into a process-wide staging buffer (`slot`, grown to fit). Safe for
 * the same reason as Scratchpad(): primitives run one at a time and every entry point waits before returning.
 */
struct Bf16Input {
  dnnl::memory::desc user_md, prim_md;
  dnnl::reorder reorder;
  int slot = 0;
  void Init(const dnnl::memory::desc& user, const dnnl::memory::desc& prim, int staging_slot);
  /** Converts `user` (f32, user_md) into the staging buffer and returns it as a memory of prim_md. */
  dnnl::memory In(float* user);
};

/** Process-wide bf16 staging buffer `slot` (0 .. kBf16StagingSlots-1), 64-byte aligned, grown to `bytes`. */
void* Bf16Staging(int slot, size_t bytes);

/** `x` rounded to bfloat16 (round to nearest even; NaN stays a quiet NaN), as its 16 bits. */
inline uint16_t Bf16Bits(float x) {
  uint32_t u;
  __builtin_memcpy(&u, &x, sizeof(u));
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

/** Registers getPrecision / setPrecision / bf16Supported (precision.cc). */
void RegisterPrecision(Napi::Env env, Napi::Object exports);

/** Throws a JS Error carrying the oneDNN status. */
[[noreturn]] void ThrowDnnl(const Napi::Env& env, const char* where, const dnnl::error& e);

/** Registers every export. */
Napi::Object Init(Napi::Env env, Napi::Object exports);

// Kernel entry points (one per tfjs kernel family).
Napi::Value Conv2dForward(const Napi::CallbackInfo& info);
Napi::Value Conv2dBackwardData(const Napi::CallbackInfo& info);
Napi::Value Conv2dBackwardFilter(const Napi::CallbackInfo& info);
Napi::Value MaxPool(const Napi::CallbackInfo& info);
Napi::Value MaxPoolGrad(const Napi::CallbackInfo& info);
Napi::Value AvgPool(const Napi::CallbackInfo& info);
Napi::Value AvgPoolGrad(const Napi::CallbackInfo& info);
Napi::Value MatMul(const Napi::CallbackInfo& info);
Napi::Value Relu(const Napi::CallbackInfo& info);
Napi::Value Step(const Napi::CallbackInfo& info);
Napi::Value ReluBiasGrad(const Napi::CallbackInfo& info);
Napi::Value Binary(const Napi::CallbackInfo& info);
Napi::Value BinaryStrided(const Napi::CallbackInfo& info);
Napi::Value Clip(const Napi::CallbackInfo& info);
Napi::Value Gather(const Napi::CallbackInfo& info);
Napi::Value BatchNormTrain(const Napi::CallbackInfo& info);
Napi::Value BatchNormGrad(const Napi::CallbackInfo& info);
Napi::Value SumOuter(const Napi::CallbackInfo& info);
Napi::Value SumInner(const Napi::CallbackInfo& info);
Napi::Value Square(const Napi::CallbackInfo& info);
Napi::Value TileRows(const Napi::CallbackInfo& info);
Napi::Value BatchNorm(const Napi::CallbackInfo& info);
Napi::Value AdamUpdate(const Napi::CallbackInfo& info);
Napi::Value SgdUpdate(const Napi::CallbackInfo& info);
Napi::Value EmaUpdate(const Napi::CallbackInfo& info);
Napi::Value Gelu(const Napi::CallbackInfo& info);
Napi::Value GeluGrad(const Napi::CallbackInfo& info);
/** The InferenceGraph class (graph.cc). */
Napi::Function InferenceGraphClass(Napi::Env env);

}  // namespace onednn_binding
