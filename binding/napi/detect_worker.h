// Runs darknet's detection flow on an image input (ops/detect.h:
// dn_network_detect_input) off the JS thread.
#ifndef DARKNET_NAPI_NAPI_DETECT_WORKER_H
#define DARKNET_NAPI_NAPI_DETECT_WORKER_H

#include <vector>

#include "network_worker.h"

namespace dn {

class DetectWorker : public NetworkWorker {
 public:
  DetectWorker(Napi::Env env, Napi::Object owner, std::shared_ptr<NetState> state, InputCopy input,
               dn_detect_options options, DrawInput draw);
  ~DetectWorker() override;
  // The demo flow's history (options.average > 0): the stream's own
  // Float32Array, written by darknet on the worker thread, referenced until
  // the call settles.
  void KeepHistory(Napi::Float32Array history);

 protected:
  void Run(NetState* state) override;
  Napi::Value Result(Napi::Env env) override;

 private:
  InputCopy input_;
  dn_detect_options options_;
  DrawInput draw_;
  std::vector<const char*> name_pointers_;  // into draw_.names, for options_.names
  unsigned char* image_ = nullptr;           // with options_.draw: the encoded image (malloc'ed)
  size_t image_size_ = 0;
  std::vector<dn_detection> detections_;
  std::vector<std::vector<float>> heads_;
  std::vector<int> head_layers_;
  Napi::Reference<Napi::Float32Array> history_;
  int width_ = 0, height_ = 0;  // the image's
};

}  // namespace dn

#endif
