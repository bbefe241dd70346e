// JavaScript values <-> the C structs of binding/ops: no checks of meaning
// here (lib/options.ts validated the options, ops/ checks the data).
#ifndef DARKNET_NAPI_NAPI_CONVERT_H
#define DARKNET_NAPI_NAPI_CONVERT_H

#include <napi.h>

#include <string>
#include <vector>

#include "ops/ops.h"

namespace dn {

// A DarknetError (the class lib/ registered) with this message and code.
Napi::Error MakeError(Napi::Env env, const std::string& message, const std::string& code);

// A failure to settle a Promise with, taken from a dn_error.
struct Failure {
  std::string code;
  std::string message;
  bool failed() const { return !code.empty(); }
  void Set(const dn_error& err) {
    code = dn_error_code_name(err.code);
    message = err.message;
  }
};

// An image input copied out of JS (so the caller may reuse its buffers at
// once), and the dn_input view ops/ reads. A borrowed one (`borrow: true`,
// the video pipeline's frames, which nobody else holds) is not copied: the
// worker keeps a reference to its array until the call settles.
struct InputCopy {
  dn_input_kind kind = DN_INPUT_PATH;
  std::string path;
  std::vector<unsigned char> bytes;
  Napi::Reference<Napi::Uint8Array> borrowed;
  const unsigned char* borrowed_data = nullptr;
  size_t borrowed_length = 0;
  int width = 0, height = 0, channels = 0;
  dn_input View() const;
};

// {path} | {bytes} | {pixels, width, height, channels}; TypeError otherwise.
InputCopy ToInput(Napi::Env env, Napi::Value value);
// { limitNetworkBytes } (0 or absent: no limit).
dn_load_options ToLoadOptions(Napi::Env env, Napi::Value value);
// { resize: 'letterbox'|'min', engine: 'fast'|'darknet', top, hierarchy, limitInputPixels }.
dn_run_options ToRunOptions(Napi::Env env, Napi::Value value);
// { engine, limitInputPixels, thresh, hierThresh, nms, heads, draw: 'jpeg'|'png'|undefined }.
dn_detect_options ToDetectOptions(Napi::Env env, Napi::Value value);

// What drawing needs besides dn_detect_options, owned by the worker:
// { names: string[], alphabetDir: string } of the same options object.
struct DrawInput {
  std::vector<std::string> names;
  std::string alphabet_dir;
};
DrawInput ToDrawInput(Napi::Env env, Napi::Value value);

Napi::Object ToJs(Napi::Env env, const dn_layer_info& info);
Napi::Object ToJs(Napi::Env env, const dn_network& handle);

}  // namespace dn

#endif
