#include "ringtail/pets/serve/request.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <numeric>

#include <nlohmann/json.hpp>

#include "ringtail/collectives/error.h"
#include "ringtail/pets/image_probe.h"
#include "ringtail/pets/serve/base64.h"

namespace ringtail::pets::serve {
namespace {

using nlohmann::json;

std::string lower_trimmed(std::string_view text) {
  const auto begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  const auto end = text.find_last_not_of(" \t");
  std::string out(text.substr(begin, end - begin + 1));
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Error messages quote client input; keep them short and printable.
std::string printable(std::string_view text) {
  std::string out = "\"";
  for (const char c : text.substr(0, 64)) {
    out += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
  }
  if (text.size() > 64) out += "...";
  return out + "\"";
}

std::string_view base64_payload(std::string_view text) {
  // A data URI ("data:image/jpeg;base64,....") carries the same payload.
  if (text.substr(0, 5) == "data:") {
    const auto comma = text.find(";base64,");
    if (comma != std::string_view::npos) return text.substr(comma + 8);
  }
  return text;
}

const std::string& instance_text(const json& instance, std::size_t index) {
  if (instance.is_string()) return instance.get_ref<const std::string&>();
  if (instance.is_object() && instance.size() == 1 && instance.contains("b64") &&
      instance["b64"].is_string()) {
    return instance["b64"].get_ref<const std::string&>();
  }
  throw RequestError(400, "bad_json",
                     "image " + std::to_string(index) +
                         " must be a base64 string or {\"b64\": \"<base64>\"}, not a JSON " +
                         instance.type_name());
}

Invocation parse_json_list(std::string_view body, const EvalTransform& transform,
                           const RequestLimits& limits) {
  json doc = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) throw RequestError(400, "bad_json", "the body is not valid JSON");
  const json* list = &doc;
  if (doc.is_object()) {
    if (doc.size() != 1 || !doc.contains("instances")) {
      throw RequestError(400, "bad_json",
                         "a JSON object body must have exactly one key, \"instances\"");
    }
    list = &doc["instances"];
  }
  if (!list->is_array()) {
    throw RequestError(400, "bad_json",
                       "the body must be a JSON list of base64 images or {\"instances\": [...]}");
  }
  if (list->empty()) throw RequestError(400, "bad_json", "the list of images is empty");
  if (list->size() > limits.max_images) {
    throw RequestError(413, "too_many_images",
                       "the request has " + std::to_string(list->size()) +
                           " images; at most " + std::to_string(limits.max_images) +
                           " are accepted in one request");
  }
  Invocation invocation;
  invocation.list = true;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string what = "image " + std::to_string(i);
    std::string_view why;
    const auto bytes = decode_base64(base64_payload(instance_text((*list)[i], i)), &why);
    if (!bytes) throw RequestError(400, "bad_json", what + " is not valid base64: " + std::string(why));
    invocation.images.push_back(
        preprocess_image(bytes->data(), bytes->size(), transform, limits, what));
  }
  return invocation;
}

}  // namespace

Payload classify_content_type(std::string_view content_type) {
  const std::string media = lower_trimmed(content_type.substr(0, content_type.find(';')));
  if (media == "image/jpeg" || media == "image/png" || media == "application/x-image") {
    return Payload::image;
  }
  if (media == "application/json") return Payload::json;
  if (media.empty()) {
    throw RequestError(415, "unsupported_media_type",
                       "the request has no Content-Type; send image/jpeg, image/png, "
                       "application/x-image or application/json");
  }
  throw RequestError(415, "unsupported_media_type",
                     "Content-Type " + printable(media) +
                         " is not supported; send image/jpeg, image/png, application/x-image "
                         "or application/json");
}

int parse_top_k(const std::string* text, int default_k, int num_classes) {
  if (text == nullptr) return std::clamp(default_k, 1, num_classes);
  int k = 0;
  const char* first = text->data();
  const char* last = first + text->size();
  const auto [end, ec] = std::from_chars(first, last, k);
  if (ec != std::errc() || end != last || k < 1 || k > num_classes) {
    throw RequestError(400, "bad_parameter",
                       "k=" + printable(*text) + " is not a whole number from 1 to " +
                           std::to_string(num_classes));
  }
  return k;
}

std::optional<std::string> custom_attribute(std::string_view header, std::string_view key) {
  std::size_t start = 0;
  while (start <= header.size()) {
    const std::size_t end = std::min(header.find_first_of(",;", start), header.size());
    const std::string_view pair = header.substr(start, end - start);
    const std::size_t eq = pair.find('=');
    if (eq != std::string_view::npos && lower_trimmed(pair.substr(0, eq)) == key) {
      const std::string_view value = pair.substr(eq + 1);
      const auto first = value.find_first_not_of(" \t");
      const auto last = value.find_last_not_of(" \t");
      return first == std::string_view::npos ? std::string()
                                             : std::string(value.substr(first, last - first + 1));
    }
    start = end + 1;
  }
  return std::nullopt;
}

std::vector<float> preprocess_image(const std::uint8_t* data, std::size_t size,
                                    const EvalTransform& transform, const RequestLimits& limits,
                                    const std::string& what) {
  if (size == 0) throw RequestError(400, "empty_body", what + " is empty");
  // Probe before decoding: only JPEG and PNG reach a decoder, and a small body
  // claiming a huge image is refused before it allocates anything.
  const ImageInfo info = probe_image_bytes(data, size);
  if (info.format != ImageFormat::jpeg && info.format != ImageFormat::png) {
    throw RequestError(400, "bad_image",
                       what + " is not a JPEG or PNG image (found " +
                           std::string(to_string(info.format)) + " data)");
  }
  const std::string format(to_string(info.format));
  if (!info.problem.empty()) throw RequestError(400, "bad_image", what + ": " + info.problem);
  if (info.width <= 0 || info.height <= 0) {
    throw RequestError(400, "bad_image", what + ": " + format + " header without a size");
  }
  if (static_cast<std::int64_t>(info.width) * info.height > limits.max_image_pixels) {
    throw RequestError(400, "bad_image",
                       what + " is " + std::to_string(info.width) + "x" +
                           std::to_string(info.height) + " pixels; at most " +
                           std::to_string(limits.max_image_pixels) + " pixels are accepted");
  }
  // The evaluation transform first scales the shorter side to `resize`: a thin
  // strip (4000 x 1) is few pixels but becomes a huge one (256 x 1024000, 0.8
  // GB). Its resized size is bounded like the decoded one, or by one square
  // of the model's resize where that is larger.
  const std::int64_t shorter = std::min(info.width, info.height);
  const std::int64_t longer = std::max(info.width, info.height);
  const std::int64_t resize = transform.resize;
  const std::int64_t resized_long = resize * longer / shorter;
  if (resize * resized_long > std::max(limits.max_image_pixels, resize * resize)) {
    throw RequestError(400, "bad_image",
                       what + " is " + std::to_string(info.width) + "x" + std::to_string(info.height) +
                           " pixels; resizing its shorter side to " + std::to_string(resize) +
                           " would make it " + std::to_string(resized_long) + "x" +
                           std::to_string(resize) + ", more than the " +
                           std::to_string(limits.max_image_pixels) +
                           " pixels accepted (the aspect ratio is too extreme)");
  }
  if (info.truncated) {
    throw RequestError(400, "bad_image", what + ": the " + format + " data is truncated");
  }
  cv::Mat image;
  try {
    image = decode_image(data, size, what);
  } catch (const Error& e) {
    throw RequestError(400, "bad_image", e.what());
  } catch (const cv::Exception& e) {
    throw RequestError(400, "bad_image", what + ": the " + format + " data does not decode");
  }
  const auto side = static_cast<std::size_t>(transform.size);
  std::vector<float> out(3 * side * side);
  eval_transform(image, transform, out.data());
  return out;
}

Invocation parse_invocation(std::string_view content_type, std::string_view body,
                            const EvalTransform& transform, const RequestLimits& limits) {
  const Payload payload = classify_content_type(content_type);
  if (body.empty()) {
    throw RequestError(400, "empty_body", "the request body is empty; send an image or a JSON list");
  }
  if (payload == Payload::json) return parse_json_list(body, transform, limits);
  Invocation invocation;
  invocation.images.push_back(preprocess_image(reinterpret_cast<const std::uint8_t*>(body.data()),
                                               body.size(), transform, limits, "the image"));
  return invocation;
}

namespace {

json top_k_json(const std::vector<float>& probabilities, const std::vector<std::string>& classes,
                int k) {
  std::vector<int> order(classes.size());
  std::iota(order.begin(), order.end(), 0);
  const auto top = order.begin() + std::min<std::ptrdiff_t>(k, static_cast<std::ptrdiff_t>(order.size()));
  // Ties go to the lower class id, so answers are deterministic.
  std::partial_sort(order.begin(), top, order.end(), [&](int a, int b) {
    const float pa = probabilities[static_cast<std::size_t>(a)];
    const float pb = probabilities[static_cast<std::size_t>(b)];
    return pa > pb || (pa == pb && a < b);
  });
  json out = json::array();
  for (auto it = order.begin(); it != top; ++it) {
    const auto id = static_cast<std::size_t>(*it);
    out.push_back({{"class_index", *it}, {"label", classes[id]}, {"probability", probabilities[id]}});
  }
  return out;
}

}  // namespace

std::string predictions_body(const Invocation& invocation,
                             const std::vector<std::vector<float>>& probabilities,
                             const std::vector<std::string>& classes, int k) {
  // NaN or infinite logits (overflowing weights, a broken export) would rank
  // the classes arbitrarily and answer "probability": null; that image has no
  // answer, which its batch-mates' rows do not change.
  for (std::size_t i = 0; i < probabilities.size(); ++i) {
    const auto& row = probabilities[i];
    if (!std::all_of(row.begin(), row.end(), [](float p) { return std::isfinite(p); })) {
      throw RequestError(500, "inference_failed",
                         (invocation.list ? "image " + std::to_string(i) : std::string("the image")) +
                             ": the model's output is not finite (NaN or infinity), so it names no class");
    }
  }
  json predictions;
  if (invocation.list) {
    predictions = json::array();
    for (const auto& row : probabilities) predictions.push_back(top_k_json(row, classes, k));
  } else {
    predictions = top_k_json(probabilities.at(0), classes, k);
  }
  return json{{"predictions", std::move(predictions)}}.dump();
}

std::string error_body(int status, std::string_view kind, std::string_view message) {
  // Messages may quote client bytes that are not UTF-8; replace them rather
  // than fail to answer.
  return json{{"error", {{"status", status}, {"kind", kind}, {"message", message}}}}.dump(
      -1, ' ', false, json::error_handler_t::replace);
}

}  // namespace ringtail::pets::serve
