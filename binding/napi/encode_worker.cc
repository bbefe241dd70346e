// See encode_worker.h.
#include "encode_worker.h"

#include <cstdlib>
#include <vector>

#include "convert.h"
#include "ops/draw.h"

namespace dn {

namespace {

class EncodeWorker : public Napi::AsyncWorker {
 public:
  EncodeWorker(Napi::Env env, Napi::Uint8Array pixels, int width, int height, dn_draw_format format)
      : Napi::AsyncWorker(env, "darknet-encode"),
        deferred_(Napi::Promise::Deferred::New(env)),
        pixels_(Napi::Persistent(pixels)),
        data_(pixels.Data()),
        width_(width),
        height_(height),
        format_(format) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    dn_encoded out{};
    dn_error err{};
    if (dn_encode_rgb(data_, width_, height_, format_, &out, &err) != 0) {
      failure_.Set(err);
      return;
    }
    bytes_.assign(out.bytes, out.bytes + out.size);
    free(out.bytes);
  }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (failure_.failed()) {
      deferred_.Reject(MakeError(env, failure_.message, failure_.code).Value());
    } else {
      deferred_.Resolve(Napi::Buffer<unsigned char>::Copy(env, bytes_.data(), bytes_.size()));
    }
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::Reference<Napi::Uint8Array> pixels_;  // alive until the call settles
  const unsigned char* data_;
  int width_, height_;
  dn_draw_format format_;
  std::vector<unsigned char> bytes_;
  Failure failure_;
};

}  // namespace

Napi::Value EncodeImage(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array || !info[1].IsNumber() ||
      !info[2].IsNumber() || !info[3].IsString()) {
    throw Napi::TypeError::New(env, "encodeImage(pixels: Uint8Array, width, height, 'jpeg' | 'png')");
  }
  Napi::Uint8Array pixels = info[0].As<Napi::Uint8Array>();
  const int width = info[1].As<Napi::Number>().Int32Value();
  const int height = info[2].As<Napi::Number>().Int32Value();
  if (width <= 0 || height <= 0 || pixels.ElementLength() != static_cast<size_t>(width) * height * 3) {
    throw Napi::TypeError::New(env, "encodeImage: pixels must hold width x height x 3 bytes");
  }
  const dn_draw_format format = info[3].As<Napi::String>().Utf8Value() == "png" ? DN_DRAW_PNG : DN_DRAW_JPEG;
  auto* worker = new EncodeWorker(env, pixels, width, height, format);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace dn
