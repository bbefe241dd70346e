// See detect_worker.h.
#include "detect_worker.h"

#include <cstdlib>
#include <cstring>
#include <utility>

namespace dn {

DetectWorker::DetectWorker(Napi::Env env, Napi::Object owner, std::shared_ptr<NetState> state, InputCopy input,
                           dn_detect_options options, DrawInput draw)
    : NetworkWorker(env, owner, std::move(state)), input_(std::move(input)), options_(options), draw_(std::move(draw)) {
  for (const std::string& name : draw_.names) name_pointers_.push_back(name.c_str());
  options_.names = name_pointers_.data();
  options_.name_count = static_cast<int>(name_pointers_.size());
  options_.alphabet_dir = draw_.alphabet_dir.c_str();
}

DetectWorker::~DetectWorker() { free(image_); }

void DetectWorker::KeepHistory(Napi::Float32Array history) {
  history_ = Napi::Persistent(history);
  options_.history = history.Data();
  options_.history_floats = history.ElementLength();
}

void DetectWorker::Run(NetState* state) {
  if (!state->net) {
    failure_.code = dn_error_code_name(DN_E_CLOSED);
    failure_.message = "the network is not loaded";
    return;
  }
  dn_input input = input_.View();
  dn_detections result{};
  dn_error err{};
  if (dn_network_detect_input(state->net, &input, &options_, &result, &err) != 0) {
    failure_.Set(err);
    return;
  }
  detections_.assign(result.items, result.items + result.count);
  width_ = result.width;
  height_ = result.height;
  const float* at = result.heads;
  for (int k = 0; k < result.head_count; ++k) {
    heads_.emplace_back(at, at + result.head_sizes[k]);
    head_layers_.push_back(result.head_layers[k]);
    at += result.head_sizes[k];
  }
  if (options_.draw) {
    // handed to JavaScript as it is (a drawn 720p frame is 2.7 MB)
    image_ = result.image.bytes;
    image_size_ = result.image.size;
    result.image.bytes = nullptr;
  }
  dn_detections_free(&result);
}

// Column arrays (lib/network.ts builds the objects and adds the labels):
// { classIndex: Int32Array, probability, objectness: Float32Array,
//   box: Float32Array [x, y, w, h] per detection (darknet's, relative),
//   rect: Int32Array [left, top, right, bottom] per detection,
//   heads?: [{ layer, output: Float32Array }] }
Napi::Value DetectWorker::Result(Napi::Env env) {
  const size_t n = detections_.size();
  Napi::Object result = Napi::Object::New(env);
  Napi::Int32Array classes = Napi::Int32Array::New(env, n);
  Napi::Float32Array probability = Napi::Float32Array::New(env, n);
  Napi::Float32Array objectness = Napi::Float32Array::New(env, n);
  Napi::Float32Array box = Napi::Float32Array::New(env, 4 * n);
  Napi::Int32Array rect = Napi::Int32Array::New(env, 4 * n);
  for (size_t i = 0; i < n; ++i) {
    const dn_detection& d = detections_[i];
    classes[i] = d.class_index;
    probability[i] = d.probability;
    objectness[i] = d.objectness;
    box[4 * i] = d.x;
    box[4 * i + 1] = d.y;
    box[4 * i + 2] = d.w;
    box[4 * i + 3] = d.h;
    rect[4 * i] = d.left;
    rect[4 * i + 1] = d.top;
    rect[4 * i + 2] = d.right;
    rect[4 * i + 3] = d.bottom;
  }
  result.Set("classIndex", classes);
  result.Set("probability", probability);
  result.Set("objectness", objectness);
  result.Set("box", box);
  result.Set("rect", rect);
  result.Set("width", width_);
  result.Set("height", height_);
  if (options_.heads) {
    Napi::Array heads = Napi::Array::New(env, heads_.size());
    for (size_t k = 0; k < heads_.size(); ++k) {
      Napi::Object head = Napi::Object::New(env);
      Napi::Float32Array output = Napi::Float32Array::New(env, heads_[k].size());
      if (!heads_[k].empty()) std::memcpy(output.Data(), heads_[k].data(), heads_[k].size() * sizeof(float));
      head.Set("layer", head_layers_[k]);
      head.Set("output", output);
      heads.Set(static_cast<uint32_t>(k), head);
    }
    result.Set("heads", heads);
  }
  if (options_.draw && image_) {
    result.Set("image", Napi::Buffer<unsigned char>::NewOrCopy(env, image_, image_size_, [](Napi::Env, unsigned char* bytes) { free(bytes); }));
    image_ = nullptr;
  }
  return result;
}

}  // namespace dn
