// libFuzzer target for the request path of POST /invocations: content type,
// ?k=, body -> JSON and base64 parsing, image probing, decoding (libjpeg and
// libpng through OpenCV), the evaluation transform, and the answer; plus
// model.json validation. Any exception other than the documented rejection
// (RequestError, and ringtail::Error for model.json) is a finding, as is an
// answer that is not valid JSON. Built with clang by fuzz/CMakeLists.txt.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "fuzz_input.h"
#include "ringtail/collectives/error.h"
#include "ringtail/pets/serve/model_config.h"
#include "ringtail/pets/serve/request.h"

namespace {

using namespace ringtail::pets::serve;

const std::vector<std::string>& classes() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (int i = 0; i < 37; ++i) v.push_back("breed_" + std::to_string(i));
    return v;
  }();
  return names;
}

void require_json(const std::string& text) {
  if (!nlohmann::json::accept(text)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  cv::setNumThreads(0);  // decode and resize on the fuzzing thread only
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data + 2), size - 2);
  if (data[0] == ringtail_fuzz::kModelConfigMode) {
    try {
      const ModelConfig config = parse_model_config(std::string(body), "fuzz/model.json");
      // A valid config must round-trip.
      const ModelConfig again = parse_model_config(to_json_text(config), "again");
      if (again.classes != config.classes) __builtin_trap();
    } catch (const ringtail::Error&) {
    }
    return 0;
  }
  const char* content_type = ringtail_fuzz::kContentTypes[data[0] % ringtail_fuzz::kContentTypes.size()];
  const std::string k_text = std::to_string(static_cast<int>(data[1]) - 128);

  ringtail::pets::EvalTransform transform;
  transform.size = 16;
  transform.resize = 20;
  RequestLimits limits;
  limits.max_images = 8;
  limits.max_image_pixels = 1 << 20;  // keeps each run small; the check itself is what matters
  try {
    // The SageMaker header parser sees the first bytes of the body as a header value.
    const auto attribute = custom_attribute(body.substr(0, 128), "k");
    if (attribute && attribute->size() > 128) __builtin_trap();
    const int k = parse_top_k(data[1] < 64 ? nullptr : &k_text, 5, 37);
    const Invocation invocation = parse_invocation(content_type, body, transform, limits);
    if (invocation.images.empty()) __builtin_trap();
    std::vector<std::vector<float>> probabilities;
    for (const auto& image : invocation.images) {
      if (image.size() != 3u * 16 * 16) __builtin_trap();
      // Stand-in model output: a distribution derived from the pixels.
      std::vector<float> row(37, 0.0f);
      float total = 0.0f;
      for (std::size_t i = 0; i < row.size(); ++i) {
        row[i] = 1.0f + static_cast<float>(i % 7) + (image[i] > 0.0f ? 1.0f : 0.0f);
        total += row[i];
      }
      for (float& p : row) p /= total;
      probabilities.push_back(std::move(row));
    }
    require_json(predictions_body(invocation, probabilities, classes(), k));
  } catch (const RequestError& e) {
    if (e.status() < 400 || e.status() > 499) __builtin_trap();
    require_json(error_body(e.status(), e.kind(), e.what()));
  }
  return 0;
}
