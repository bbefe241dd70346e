// encodeImage(pixels, width, height, format): 8-bit RGB encoded as JPEG
// (quality 80, save_image's) or PNG off the JS thread (ops/draw.h:
// dn_encode_rgb). Tied to no network.
#ifndef DARKNET_NAPI_NAPI_ENCODE_WORKER_H
#define DARKNET_NAPI_NAPI_ENCODE_WORKER_H

#include <napi.h>

namespace dn {

Napi::Value EncodeImage(const Napi::CallbackInfo& info);

}  // namespace dn

#endif
