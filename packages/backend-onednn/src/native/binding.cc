// Module entry of the oneDNN binding: engine/stream, primitive cache, impl records, info, and exports.
#include "common.h"
#include "dnnl_compat.h"
#include "winograd.h"

#ifdef _OPENMP
#include <omp.h>
#endif

#include <cstdlib>
#include <sstream>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace onednn_binding {

dnnl::engine& Engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& Stream() {
  static dnnl::stream stream(Engine());
  return stream;
}

namespace {

constexpr size_t kCacheCapacity = 1024;

struct Cache {
  using Item = std::pair<std::string, std::unique_ptr<CacheEntry>>;
  std::list<Item> order;  // front = most recently used
  std::unordered_map<std::string, std::list<Item>::iterator> index;
};

Cache& GetCache() {
  static Cache cache;
  return cache;
}

std::vector<ImplRecord>& ImplStore() {
  static std::vector<ImplRecord> store;
  return store;
}

}  // namespace

CacheEntry* CacheGet(const std::string& key) {
  Cache& c = GetCache();
  auto it = c.index.find(key);
  if (it == c.index.end()) return nullptr;
  c.order.splice(c.order.begin(), c.order, it->second);
  return it->second->second.get();
}

CacheEntry* CachePut(const std::string& key, std::unique_ptr<CacheEntry> entry) {
  Cache& c = GetCache();
  auto it = c.index.find(key);
  if (it != c.index.end()) {
    c.order.erase(it->second);
    c.index.erase(it);
  }
  c.order.emplace_front(key, std::move(entry));
  c.index[key] = c.order.begin();
  while (c.order.size() > kCacheCapacity) {
    c.index.erase(c.order.back().first);
    c.order.pop_back();
  }
  return c.order.front().second.get();
}

void CacheClear() {
  Cache& c = GetCache();
  c.index.clear();
  c.order.clear();
}

size_t CacheSize() {
  return GetCache().order.size();
}

void RecordImpl(const std::string& kernel, const std::string& key, const std::string& impl) {
  for (const auto& r : ImplStore()) {
    if (r.kernel == kernel && r.key == key && r.impl == impl) return;
  }
  ImplStore().push_back({kernel, key, impl});
}

const std::vector<ImplRecord>& Impls() {
  return ImplStore();
}
void ClearImpls() {
  ImplStore().clear();
}

float* F32OrNull(const Napi::CallbackInfo& info, size_t index, const char* what, size_t min_len) {
  if (index >= info.Length() || info[index].IsNull() || info[index].IsUndefined()) return nullptr;
  return F32(info, index, what, min_len);
}

float* F32(const Napi::CallbackInfo& info, size_t index, const char* what, size_t min_len) {
  Napi::Env env = info.Env();
  if (index >= info.Length() || !info[index].IsTypedArray()) {
    throw Napi::TypeError::New(env, std::string("onednn: argument '") + what + "' must be a Float32Array");
  }
  Napi::TypedArray ta = info[index].As<Napi::TypedArray>();
  if (ta.TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(env, std::string("onednn: argument '") + what + "' must be a Float32Array");
  }
  Napi::Float32Array arr = ta.As<Napi::Float32Array>();
  if (arr.ElementLength() < min_len) {
    std::ostringstream os;
    os << "onednn: argument '" << what << "' has " << arr.ElementLength() << " elements, expected at least " << min_len;
    throw Napi::RangeError::New(env, os.str());
  }
  return arr.Data();
}

std::vector<int64_t> Params(const Napi::CallbackInfo& info, size_t index, const char* what, size_t count) {
  Napi::Env env = info.Env();
  if (index >= info.Length() || !info[index].IsTypedArray() ||
      info[index].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw Napi::TypeError::New(env, std::string("onednn: argument '") + what + "' must be an Int32Array");
  }
  Napi::Int32Array arr = info[index].As<Napi::Int32Array>();
  if (arr.ElementLength() != count) {
    std::ostringstream os;
    os << "onednn: argument '" << what << "' must have " << count << " entries, got " << arr.ElementLength();
    throw Napi::RangeError::New(env, os.str());
  }
  std::vector<int64_t> out(count);
  for (size_t i = 0; i < count; ++i) out[i] = arr[i];
  return out;
}

std::string Key(const char* prefix, const std::vector<int64_t>& p, int extra) {
  std::string key(prefix);
  key += ':';
  for (size_t i = 0; i < p.size(); ++i) {
    if (i) key += ',';
    key += std::to_string(p[i]);
  }
  key += '|';
  key += std::to_string(extra);
  return key;
}

dnnl::primitive_attr UserScratchpadAttr() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

void* ScratchpadBuffer(size_t bytes) {
  static std::vector<float, std::allocator<float>> buffer;  // float-aligned; oneDNN needs no more for f32 CPU
  if (buffer.size() * sizeof(float) < bytes + 63) {         // room for `bytes` after aligning the start up to 64
    buffer.clear();
    buffer.shrink_to_fit();
    buffer.resize((bytes + 63) / sizeof(float) + 16);
  }
  // Align the handle to 64 bytes inside the buffer.
  auto addr = reinterpret_cast<uintptr_t>(buffer.data());
  return reinterpret_cast<void*>((addr + 63) & ~static_cast<uintptr_t>(63));
}

dnnl::memory Scratchpad(const dnnl::memory::desc& md) {
  const size_t bytes = md.get_size();
  if (bytes == 0) return dnnl::memory();
  return dnnl::memory(md, Engine(), ScratchpadBuffer(bytes));
}

SignalBlock::SignalBlock() {
  sigset_t all;
  sigfillset(&all);
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGABRT}) sigdelset(&all, sig);
  pthread_sigmask(SIG_BLOCK, &all, &saved_);
}

SignalBlock::~SignalBlock() {
  pthread_sigmask(SIG_SETMASK, &saved_, nullptr);
}

void ThrowDnnl(const Napi::Env& env, const char* where, const dnnl::error& e) {
  std::ostringstream os;
  os << "onednn: " << where << " failed: " << e.what() << " (status " << static_cast<int>(e.status) << ")";
  throw Napi::Error::New(env, os.str());
}

namespace {

Napi::Value GetInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const dnnl_version_t* v = dnnl::version();
  Napi::Object out = Napi::Object::New(env);
  std::ostringstream ver;
  ver << v->major << "." << v->minor << "." << v->patch;
  out.Set("onednnVersion", ver.str());
  out.Set("onednnHash", v->hash ? v->hash : "");
#ifdef _OPENMP
  out.Set("threads", omp_get_max_threads());
#else
  out.Set("threads", 1);
#endif
  out.Set("isa", compat::IsaName(dnnl::get_effective_cpu_isa()));
  out.Set("kernelIsa", CloneTarget());
  out.Set("libraryPath", compat::LibraryPath());
  out.Set("cachedPrimitives", static_cast<double>(CacheSize()));
  return out;
}

Napi::Value GetPrimitiveImpls(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto& impls = Impls();
  Napi::Array out = Napi::Array::New(env, impls.size());
  for (size_t i = 0; i < impls.size(); ++i) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("kernel", impls[i].kernel);
    o.Set("key", impls[i].key);
    o.Set("impl", impls[i].impl);
    out.Set(static_cast<uint32_t>(i), o);
  }
  return out;
}

Napi::Value ClearCache(const Napi::CallbackInfo& info) {
  CacheClear();
  ClearImpls();
  return info.Env().Undefined();
}

/** getConvAlgorithm() → 'auto' | 'direct' | 'winograd'. */
Napi::Value GetConvAlgorithmJs(const Napi::CallbackInfo& info) {
  switch (GetConvAlgorithmMode()) {
    case ConvAlgorithmMode::kDirect:
      return Napi::String::New(info.Env(), "direct");
    case ConvAlgorithmMode::kWinograd:
      return Napi::String::New(info.Env(), "winograd");
    default:
      return Napi::String::New(info.Env(), "auto");
  }
}

/** setConvAlgorithm('auto' | 'direct' | 'winograd'). */
Napi::Value SetConvAlgorithmJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string mode = info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  if (mode == "auto")
    SetConvAlgorithmMode(ConvAlgorithmMode::kAuto);
  else if (mode == "direct")
    SetConvAlgorithmMode(ConvAlgorithmMode::kDirect);
  else if (mode == "winograd")
    SetConvAlgorithmMode(ConvAlgorithmMode::kWinograd);
  else
    throw Napi::TypeError::New(env,
                               "onednn: setConvAlgorithm expects 'auto', 'direct' or 'winograd', got '" + mode + "'");
  return env.Undefined();
}

/** getWinogradTile() → 'auto' | 2..7: the tile setting of training convolutions that run Winograd. */
Napi::Value GetWinogradTileJs(const Napi::CallbackInfo& info) {
  const WinogradTile tile = GetTrainingWinogradTile();
  if (tile == WinogradTile::kAuto) return Napi::String::New(info.Env(), "auto");
  return Napi::Number::New(info.Env(), static_cast<int>(tile));
}

/** setWinogradTile('auto' | 2..7). */
Napi::Value SetWinogradTileJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() > 0 && info[0].IsString() && info[0].As<Napi::String>().Utf8Value() == "auto") {
    SetTrainingWinogradTile(WinogradTile::kAuto);
    return env.Undefined();
  }
  const int tile = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 0;
  if (tile < 2 || tile > 7 || !(info[0].As<Napi::Number>().DoubleValue() == tile)) {
    throw Napi::TypeError::New(env, "onednn: setWinogradTile expects 'auto' or an integer 2..7");
  }
  SetTrainingWinogradTile(static_cast<WinogradTile>(tile));
  return env.Undefined();
}

}  // namespace

/**
 * Keeps freed tensor buffers in malloc's free lists instead of unmapping them: every kernel output is a fresh
 * multi-MB ArrayBuffer, and with glibc's defaults each one is mmap'ed and page-faulted anew (about half of a
 * training step's time on 2 cores). Skipped when ONEDNN_NO_MALLOPT=1 or the user tuned malloc via env.
 */
static void TuneMalloc() {
#if defined(__GLIBC__)
  if (std::getenv("ONEDNN_NO_MALLOPT") != nullptr || std::getenv("MALLOC_MMAP_THRESHOLD_") != nullptr ||
      std::getenv("MALLOC_TRIM_THRESHOLD_") != nullptr) {
    return;
  }
  mallopt(M_MMAP_THRESHOLD, 256 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
#endif
}

/** `Fn` with asynchronous signals blocked for the call (see SignalBlock): every entry point running oneDNN code. */
template <Napi::Value (*Fn)(const Napi::CallbackInfo&)>
Napi::Value Blocked(const Napi::CallbackInfo& info) {
  SignalBlock block;
  return Fn(info);
}

/** Starts the OpenMP worker threads with asynchronous signals blocked, so they inherit that mask (SignalBlock). */
static void StartWorkersBlocked() {
  SignalBlock block;
#ifdef _OPENMP
#pragma omp parallel
  {
    volatile int started = 1;
    (void)started;
  }
#endif
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  TuneMalloc();
  StartWorkersBlocked();
  exports.Set("getInfo", Napi::Function::New(env, GetInfo, "getInfo"));
  exports.Set("getPrimitiveImpls", Napi::Function::New(env, GetPrimitiveImpls, "getPrimitiveImpls"));
  exports.Set("clearCache", Napi::Function::New(env, ClearCache, "clearCache"));
  exports.Set("getConvAlgorithm", Napi::Function::New(env, GetConvAlgorithmJs, "getConvAlgorithm"));
  exports.Set("setConvAlgorithm", Napi::Function::New(env, SetConvAlgorithmJs, "setConvAlgorithm"));
  exports.Set("getWinogradTile", Napi::Function::New(env, GetWinogradTileJs, "getWinogradTile"));
  exports.Set("setWinogradTile", Napi::Function::New(env, SetWinogradTileJs, "setWinogradTile"));
  RegisterPrecision(env, exports);
  exports.Set("conv2dForward", Napi::Function::New(env, Blocked<Conv2dForward>, "conv2dForward"));
  exports.Set("conv2dBackwardData", Napi::Function::New(env, Blocked<Conv2dBackwardData>, "conv2dBackwardData"));
  exports.Set("conv2dBackwardFilter", Napi::Function::New(env, Blocked<Conv2dBackwardFilter>, "conv2dBackwardFilter"));
  exports.Set("maxPool", Napi::Function::New(env, Blocked<MaxPool>, "maxPool"));
  exports.Set("maxPoolGrad", Napi::Function::New(env, Blocked<MaxPoolGrad>, "maxPoolGrad"));
  exports.Set("avgPool", Napi::Function::New(env, Blocked<AvgPool>, "avgPool"));
  exports.Set("avgPoolGrad", Napi::Function::New(env, Blocked<AvgPoolGrad>, "avgPoolGrad"));
  exports.Set("matMul", Napi::Function::New(env, Blocked<MatMul>, "matMul"));
  exports.Set("relu", Napi::Function::New(env, Relu, "relu"));
  exports.Set("step", Napi::Function::New(env, Step, "step"));
  exports.Set("reluBiasGrad", Napi::Function::New(env, ReluBiasGrad, "reluBiasGrad"));
  exports.Set("binary", Napi::Function::New(env, Binary, "binary"));
  exports.Set("binaryStrided", Napi::Function::New(env, BinaryStrided, "binaryStrided"));
  exports.Set("clip", Napi::Function::New(env, Clip, "clip"));
  exports.Set("gather", Napi::Function::New(env, Gather, "gather"));
  exports.Set("batchNormTrain", Napi::Function::New(env, BatchNormTrain, "batchNormTrain"));
  exports.Set("batchNormGrad", Napi::Function::New(env, BatchNormGrad, "batchNormGrad"));
  exports.Set("sumOuter", Napi::Function::New(env, SumOuter, "sumOuter"));
  exports.Set("sumInner", Napi::Function::New(env, SumInner, "sumInner"));
  exports.Set("square", Napi::Function::New(env, Square, "square"));
  exports.Set("tileRows", Napi::Function::New(env, TileRows, "tileRows"));
  exports.Set("batchNorm", Napi::Function::New(env, BatchNorm, "batchNorm"));
  exports.Set("adamUpdate", Napi::Function::New(env, AdamUpdate, "adamUpdate"));
  exports.Set("sgdUpdate", Napi::Function::New(env, SgdUpdate, "sgdUpdate"));
  exports.Set("emaUpdate", Napi::Function::New(env, EmaUpdate, "emaUpdate"));
  exports.Set("gelu", Napi::Function::New(env, Gelu, "gelu"));
  exports.Set("geluGrad", Napi::Function::New(env, GeluGrad, "geluGrad"));
  exports.Set("InferenceGraph", InferenceGraphClass(env));
  return exports;
}

}  // namespace onednn_binding

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  return onednn_binding::Init(env, exports);
}

NODE_API_MODULE(onednn_binding, InitModule)
