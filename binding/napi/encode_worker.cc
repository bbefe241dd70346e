// See encode_worker.h.
#include "encode_worker.h"

#include <cstdlib>

#include "ops/draw.h"
#include "promise_worker.h"

namespace dn {

namespace {

class EncodeWorker : public PromiseWorker {
 public:
  EncodeWorker(Napi::Env env, Napi::Uint8Array pixels, int width, int height, dn_draw_format format)
      : PromiseWorker(env, "darknet-encode"),
        pixels_(Napi::Persistent(pixels)),
        data_(pixels.Data()),
        width_(width),
        height_(height),
        format_(format) {}
  ~EncodeWorker() override { free(encoded_.bytes); }

 protected:
  void Execute() override {
    dn_error err{};
    if (dn_encode_rgb(data_, width_, height_, format_, &encoded_, &err) != 0) failure_.Set(err);
  }
  Napi::Value Result(Napi::Env env) override {
    Napi::Buffer<unsigned char> bytes = Napi::Buffer<unsigned char>::NewOrCopy(
        env, encoded_.bytes, encoded_.size, [](Napi::Env, unsigned char* data) { free(data); });
    encoded_.bytes = nullptr;
    return bytes;
  }

 private:
  Napi::Reference<Napi::Uint8Array> pixels_;  // alive until the call settles
  const unsigned char* data_;
  int width_, height_;
  dn_draw_format format_;
  dn_encoded encoded_{};
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
