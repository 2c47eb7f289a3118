// Compute precision of the training primitives (conv forward, conv backward data/weights, matmul): float32
// (default) or bf16 (src/weights/diff_dst converted to bf16 inside the kernel, float32 dst/diff_src/diff_weights,
// i.e. fp32 accumulation). Tensors seen by tfjs stay float32; everything else (batch norm, optimizers, loss) stays
// float32. bf16 needs a CPU on which oneDNN dispatches to AVX512_BF16 or AMX (avx512_core_bf16 / avx512_core_amx
// and newer).
#include <cstdint>
#include <string>
#include <vector>

#include "common.h"
#include "dnnl_compat.h"

namespace onednn_binding {

namespace {

Precision g_precision = Precision::kF32;

}  // namespace

/** Two process-wide bf16 staging buffers (64-byte aligned), grown, never shrunk. */
void* Bf16Staging(int slot, size_t bytes) {
  static std::vector<uint8_t> buffers[kBf16StagingSlots];
  std::vector<uint8_t>& buffer = buffers[slot];
  if (buffer.size() < bytes + 63) {
    buffer.clear();
    buffer.shrink_to_fit();
    buffer.resize(bytes + 64);
  }
  auto addr = reinterpret_cast<uintptr_t>(buffer.data());
  return reinterpret_cast<void*>((addr + 63) & ~static_cast<uintptr_t>(63));
}

Precision GetPrecision() {
  return g_precision;
}

void SetPrecision(Precision p) {
  g_precision = p;
}

bool Bf16Supported() {
  return compat::HasBf16(dnnl::get_effective_cpu_isa());
}

void Bf16Input::Init(const dnnl::memory::desc& user, const dnnl::memory::desc& prim, int staging_slot) {
  user_md = user;
  prim_md = prim;
  slot = staging_slot;
  reorder = dnnl::reorder(dnnl::reorder::primitive_desc(Engine(), user_md, Engine(), prim_md));
}

dnnl::memory Bf16Input::In(float* user) {
  dnnl::memory user_mem(user_md, Engine(), user);
  dnnl::memory prim_mem(prim_md, Engine(), Bf16Staging(slot, prim_md.get_size()));
  reorder.execute(Stream(), user_mem, prim_mem);
  return prim_mem;
}

namespace {

/** getPrecision() → 'float32' | 'bf16'. */
Napi::Value GetPrecisionJs(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), GetPrecision() == Precision::kBf16 ? "bf16" : "float32");
}

/** setPrecision('float32' | 'bf16'); bf16 throws on a CPU without AVX512_BF16 / AMX. */
Napi::Value SetPrecisionJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string mode = info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  if (mode == "float32") {
    SetPrecision(Precision::kF32);
  } else if (mode == "bf16") {
    if (!Bf16Supported()) {
      throw Napi::Error::New(env, std::string("onednn: bf16 needs AVX512_BF16 or AMX; oneDNN dispatches to ") +
                                      compat::IsaName(dnnl::get_effective_cpu_isa()));
    }
    SetPrecision(Precision::kBf16);
  } else {
    throw Napi::TypeError::New(env, "onednn: setPrecision expects 'float32' or 'bf16', got '" + mode + "'");
  }
  return env.Undefined();
}

/** bf16Supported() → whether oneDNN dispatches to an ISA with bf16 dot products (AVX512_BF16 or AMX). */
Napi::Value Bf16SupportedJs(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), Bf16Supported());
}

}  // namespace

void RegisterPrecision(Napi::Env env, Napi::Object exports) {
  exports.Set("getPrecision", Napi::Function::New(env, GetPrecisionJs, "getPrecision"));
  exports.Set("setPrecision", Napi::Function::New(env, SetPrecisionJs, "setPrecision"));
  exports.Set("bf16Supported", Napi::Function::New(env, Bf16SupportedJs, "bf16Supported"));
}

}  // namespace onednn_binding
