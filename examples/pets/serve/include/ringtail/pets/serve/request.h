#pragma once
// The request path of POST /invocations without HTTP and without LibTorch:
// content type -> payload kind, body -> decoded and preprocessed images, model
// output -> JSON answer. Every rejection is a RequestError carrying the HTTP
// status and a short kind (a metrics label). This is what the fuzz target
// drives; the server only adds the transport and the forward pass.
//
// Bodies (docs/serving.md has examples):
//   image/jpeg, image/png, application/x-image: one JPEG or PNG image
//   application/json: ["<base64>", ...] or {"instances": ["<base64>" | {"b64": "<base64>"}, ...]}
// Answers:
//   one image:  {"predictions": [{"class_index": 23, "label": "Persian", "probability": 0.91}, ...]}
//               (top k, most probable first; class_index is the 0-based model output,
//               the position of the label in model.json's "classes")
//   a list:     {"predictions": [[...top k of image 0...], [...image 1...], ...]}

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "ringtail/pets/transforms.h"

namespace ringtail::pets::serve {

class RequestError : public std::runtime_error {
 public:
  RequestError(int status, std::string kind, const std::string& message)
      : std::runtime_error(message), status_(status), kind_(std::move(kind)) {}
  int status() const noexcept { return status_; }
  const std::string& kind() const noexcept { return kind_; }

 private:
  int status_;
  std::string kind_;
};

struct RequestLimits {
  std::size_t max_images = 64;                 // images in one JSON request
  std::int64_t max_image_pixels = 40'000'000;  // width x height of one image, checked before decoding
};

enum class Payload { image, json };

// "image/jpeg; q=1" -> image. Throws RequestError 415 for a missing or other type.
Payload classify_content_type(std::string_view content_type);

// The ?k= parameter: `text` null when absent (then `default_k`, capped at the
// number of classes). Throws RequestError 400 unless 1 <= k <= num_classes.
int parse_top_k(const std::string* text, int default_k, int num_classes);

// SageMaker's InvokeEndpoint passes no query string: k travels in its
// CustomAttributes, the X-Amzn-SageMaker-Custom-Attributes header, as "k=3"
// among other key=value pairs separated by ',' or ';'. Returns the value of
// `key`, or nullopt.
std::optional<std::string> custom_attribute(std::string_view header, std::string_view key);

// Checks (format, size, completeness), decodes and applies the evaluation
// transform: 3 x size x size floats. `what` names the image in errors.
std::vector<float> preprocess_image(const std::uint8_t* data, std::size_t size,
                                    const EvalTransform& transform, const RequestLimits& limits,
                                    const std::string& what);

struct Invocation {
  bool list = false;                      // the body was a JSON list
  std::vector<std::vector<float>> images;  // preprocessed, in request order
};

Invocation parse_invocation(std::string_view content_type, std::string_view body,
                            const EvalTransform& transform, const RequestLimits& limits);

// `probabilities` holds one row of classes.size() values per image of `invocation`.
// Throws RequestError 500 (inference_failed) naming an image whose row is not finite.
std::string predictions_body(const Invocation& invocation,
                             const std::vector<std::vector<float>>& probabilities,
                             const std::vector<std::string>& classes, int k);

// {"error": {"status": 415, "kind": "unsupported_media_type", "message": "..."}}
std::string error_body(int status, std::string_view kind, std::string_view message);

}  // namespace ringtail::pets::serve
