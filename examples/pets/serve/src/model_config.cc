#include "ringtail/pets/serve/model_config.h"

#include <cmath>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "ringtail/collectives/error.h"

namespace ringtail::pets::serve {
namespace {

using nlohmann::json;

constexpr int kMaxImageSide = 8192;

[[noreturn]] void fail(const std::string& source, const std::string& message) {
  throw Error(ErrorKind::invalid_argument, source + ": " + message);
}

const json& require(const json& doc, const char* key, const std::string& source) {
  const auto it = doc.find(key);
  if (it == doc.end()) fail(source, std::string("missing key \"") + key + "\"");
  return *it;
}

std::string require_string(const json& doc, const char* key, const std::string& source) {
  const json& value = require(doc, key, source);
  if (!value.is_string() || value.get_ref<const std::string&>().empty()) {
    fail(source, std::string("\"") + key + "\" must be a non-empty string");
  }
  return value.get<std::string>();
}

int require_side(const json& doc, const char* key, int min, const std::string& source) {
  const json& value = require(doc, key, source);
  if (!value.is_number_integer() || value.get<long long>() < min ||
      value.get<long long>() > kMaxImageSide) {
    fail(source, std::string("\"") + key + "\" must be an integer from " + std::to_string(min) +
                     " to " + std::to_string(kMaxImageSide) + ", not " + value.dump());
  }
  return value.get<int>();
}

std::array<float, 3> require_rgb(const json& doc, const char* key, bool positive,
                                 const std::string& source) {
  const json& value = require(doc, key, source);
  const std::string what = std::string("\"") + key + "\" must be a list of 3 " +
                           (positive ? "positive " : "") + "numbers (R, G, B), not " + value.dump();
  if (!value.is_array() || value.size() != 3) fail(source, what);
  std::array<float, 3> out{};
  for (std::size_t c = 0; c < 3; ++c) {
    if (!value[c].is_number()) fail(source, what);
    const double v = value[c].get<double>();
    if (!std::isfinite(v) || (positive && !(v > 0.0))) fail(source, what);
    out[c] = static_cast<float>(v);
  }
  return out;
}

std::vector<std::string> require_classes(const json& doc, const std::string& source) {
  const json& value = require(doc, "classes", source);
  if (!value.is_array() || value.empty()) {
    fail(source, "\"classes\" must be a non-empty list of class names in class-id order");
  }
  std::vector<std::string> classes;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (!value[i].is_string() || value[i].get_ref<const std::string&>().empty()) {
      fail(source, "\"classes\"[" + std::to_string(i) + "] must be a non-empty string, not " +
                       value[i].dump());
    }
    const std::string& name = value[i].get_ref<const std::string&>();
    if (!seen.insert(name).second) {
      fail(source, "\"classes\" names \"" + name + "\" twice (at " + std::to_string(i) + ")");
    }
    classes.push_back(name);
  }
  return classes;
}

}  // namespace

EvalTransform ModelConfig::eval_transform() const {
  EvalTransform transform;
  transform.size = input_size;
  transform.resize = resize_size;
  transform.normalization.mean = mean;
  transform.normalization.std = std;
  return transform;
}

ModelConfig parse_model_config(const std::string& text, const std::string& source) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for a number too large
    fail(source, std::string("not valid JSON: ") + e.what());
  }
  if (!doc.is_object()) fail(source, "must hold a JSON object, not " + std::string(doc.type_name()));

  static const std::set<std::string> known = {"format",     "model_file",  "architecture",
                                              "classes",    "input_size",  "resize_size",
                                              "mean",       "std",         "info"};
  for (const auto& item : doc.items()) {
    if (known.count(item.key()) == 0) {
      fail(source, "unknown key \"" + item.key() +
                       "\" (free-form fields belong in the \"info\" object)");
    }
  }
  const std::string format = require_string(doc, "format", source);
  if (format != kModelFormat) {
    fail(source, "\"format\" is \"" + format + "\"; this server reads \"" + kModelFormat + "\"");
  }

  ModelConfig config;
  config.model_file = require_string(doc, "model_file", source);
  const std::filesystem::path file(config.model_file);
  if (file.has_parent_path() || file.is_absolute() || config.model_file == "." ||
      config.model_file == "..") {
    fail(source, "\"model_file\" must be a file name inside the model directory, not \"" +
                     config.model_file + "\"");
  }
  config.architecture = require_string(doc, "architecture", source);
  config.classes = require_classes(doc, source);
  config.input_size = require_side(doc, "input_size", 1, source);
  config.resize_size = require_side(doc, "resize_size", config.input_size, source);
  config.mean = require_rgb(doc, "mean", false, source);
  config.std = require_rgb(doc, "std", true, source);
  if (doc.contains("info") && !doc["info"].is_object()) {
    fail(source, "\"info\" must be a JSON object");
  }
  return config;
}

ModelConfig load_model_config(const std::filesystem::path& directory) {
  std::error_code ec;
  if (!std::filesystem::is_directory(directory, ec)) {
    throw Error(ErrorKind::invalid_argument,
                "model directory " + directory.string() + " does not exist or is not a directory");
  }
  const std::filesystem::path json_path = directory / kModelConfigFile;
  if (!std::filesystem::is_regular_file(json_path, ec)) {
    throw Error(ErrorKind::invalid_argument,
                json_path.string() + " is missing (the model directory needs model.json beside "
                                     "the TorchScript file; see docs/serving.md)");
  }
  std::ifstream in(json_path, std::ios::binary);
  if (!in) throw Error(ErrorKind::invalid_argument, json_path.string() + ": cannot be read");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ModelConfig config = parse_model_config(text, json_path.string());
  const std::filesystem::path model_path = directory / config.model_file;
  if (!std::filesystem::is_regular_file(model_path, ec)) {
    throw Error(ErrorKind::invalid_argument,
                model_path.string() + " is missing (named by \"model_file\" in " +
                    json_path.string() + ")");
  }
  return config;
}

std::string to_json_text(const ModelConfig& config) {
  const json doc = {{"format", kModelFormat},
                    {"model_file", config.model_file},
                    {"architecture", config.architecture},
                    {"classes", config.classes},
                    {"input_size", config.input_size},
                    {"resize_size", config.resize_size},
                    {"mean", config.mean},
                    {"std", config.std}};
  return doc.dump(2) + "\n";
}

void write_model_config(const std::filesystem::path& directory, const ModelConfig& config) {
  const std::filesystem::path path = directory / kModelConfigFile;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << to_json_text(config);
  out.close();
  if (!out) throw Error(ErrorKind::invalid_argument, path.string() + ": cannot be written");
}

}  // namespace ringtail::pets::serve
