// model.json is validated strictly: every way it can be wrong gets an error
// that names the file and the key.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "ringtail/collectives/error.h"
#include "ringtail/pets/serve/model_config.h"
#include "temp_dir.h"

namespace {

using nlohmann::json;
using ringtail::pets::serve::load_model_config;
using ringtail::pets::serve::ModelConfig;
using ringtail::pets::serve::parse_model_config;

json valid() {
  return {{"format", "ringtail-pets/1"},
          {"model_file", "model.pt"},
          {"architecture", "resnet18"},
          {"classes", {"Abyssinian", "american_bulldog", "beagle"}},
          {"input_size", 224},
          {"resize_size", 256},
          {"mean", {0.485, 0.456, 0.406}},
          {"std", {0.229, 0.224, 0.225}}};
}

std::string error_of(const json& doc) {
  try {
    parse_model_config(doc.dump(), "dir/model.json");
  } catch (const ringtail::Error& e) {
    return e.what();
  }
  return "";
}

void write(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

TEST(ModelConfig, ParsesTheContract) {
  json doc = valid();
  doc["info"] = {{"exported_by", "ringtail-pets export"}, {"epochs", 3}};
  const ModelConfig config = parse_model_config(doc.dump(), "model.json");
  EXPECT_EQ(config.model_file, "model.pt");
  EXPECT_EQ(config.architecture, "resnet18");
  ASSERT_EQ(config.classes.size(), 3u);
  EXPECT_EQ(config.classes[2], "beagle");
  EXPECT_EQ(config.input_size, 224);
  EXPECT_EQ(config.resize_size, 256);
  EXPECT_FLOAT_EQ(config.mean[1], 0.456f);
  EXPECT_FLOAT_EQ(config.std[2], 0.225f);
  const auto transform = config.eval_transform();
  EXPECT_EQ(transform.size, 224);
  EXPECT_EQ(transform.resize, 256);
  EXPECT_FLOAT_EQ(transform.normalization.std[0], 0.229f);
}

TEST(ModelConfig, RoundTripsThroughItsWriter) {
  const ModelConfig config = parse_model_config(valid().dump(), "model.json");
  const ModelConfig again = parse_model_config(ringtail::pets::serve::to_json_text(config), "again");
  EXPECT_EQ(again.classes, config.classes);
  EXPECT_EQ(again.input_size, config.input_size);
  EXPECT_EQ(again.mean, config.mean);
  EXPECT_EQ(again.std, config.std);
}

TEST(ModelConfig, RejectsEveryKindOfMistakeByName) {
  struct Case {
    const char* what;
    std::function<void(json&)> edit;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {"missing key", [](json& d) { d.erase("classes"); }, "missing key \"classes\""},
      {"wrong format", [](json& d) { d["format"] = "ringtail-pets/2"; }, "\"format\""},
      {"unknown key", [](json& d) { d["resize"] = 256; }, "unknown key \"resize\""},
      {"model file path", [](json& d) { d["model_file"] = "../model.pt"; }, "\"model_file\""},
      {"absolute model file", [](json& d) { d["model_file"] = "/tmp/model.pt"; }, "\"model_file\""},
      {"empty architecture", [](json& d) { d["architecture"] = ""; }, "\"architecture\""},
      {"classes not a list", [](json& d) { d["classes"] = "cat"; }, "\"classes\""},
      {"no classes", [](json& d) { d["classes"] = json::array(); }, "\"classes\""},
      {"class not a string", [](json& d) { d["classes"][1] = 7; }, "\"classes\"[1]"},
      {"duplicate class", [](json& d) { d["classes"][2] = "Abyssinian"; }, "twice"},
      {"size not integer", [](json& d) { d["input_size"] = 224.5; }, "\"input_size\""},
      {"size as text", [](json& d) { d["input_size"] = "224"; }, "\"input_size\""},
      {"size zero", [](json& d) { d["input_size"] = 0; }, "\"input_size\""},
      {"resize below crop", [](json& d) { d["resize_size"] = 200; }, "\"resize_size\""},
      {"huge size", [](json& d) { d["resize_size"] = 100000; }, "\"resize_size\""},
      {"mean of two", [](json& d) { d["mean"] = {0.5, 0.5}; }, "\"mean\""},
      {"mean not numbers", [](json& d) { d["mean"] = {"a", 0.5, 0.5}; }, "\"mean\""},
      {"std zero", [](json& d) { d["std"] = {0.2, 0.0, 0.2}; }, "\"std\""},
      {"std negative", [](json& d) { d["std"] = {0.2, -0.1, 0.2}; }, "\"std\""},
      {"info not an object", [](json& d) { d["info"] = 3; }, "\"info\""},
  };
  for (const auto& c : cases) {
    json doc = valid();
    c.edit(doc);
    const std::string message = error_of(doc);
    EXPECT_NE(message.find("dir/model.json"), std::string::npos) << c.what << ": " << message;
    EXPECT_NE(message.find(c.expected), std::string::npos) << c.what << ": " << message;
  }
}

TEST(ModelConfig, RejectsTextThatIsNotAJsonObject) {
  // 1e999 overflows a double: nlohmann reports it as out_of_range, not parse_error
  // (found by the fuzz target).
  for (const char* text : {"", "{", "[1, 2]", "\"model\"", "{\"format\": \"ringtail-pets/1\",}",
                           "{\"input_size\": 1e999}"}) {
    try {
      parse_model_config(text, "m.json");
      ADD_FAILURE() << "accepted: " << text;
    } catch (const ringtail::Error& e) {
      EXPECT_NE(std::string(e.what()).find("m.json"), std::string::npos) << e.what();
    }
  }
}

TEST(ModelConfig, LoadChecksTheDirectoryAndTheModelFile) {
  ringtail_test::TempDir dir;
  const auto expect_failure = [](const std::filesystem::path& path, const std::string& expected) {
    try {
      load_model_config(path);
      ADD_FAILURE() << "accepted " << path;
    } catch (const ringtail::Error& e) {
      EXPECT_EQ(e.kind(), ringtail::ErrorKind::invalid_argument);
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  };
  expect_failure(dir / "absent", "does not exist");
  expect_failure(dir.path(), "model.json is missing");
  write(dir / "model.json", valid().dump());
  expect_failure(dir.path(), "model.pt is missing");
  write(dir / "model.pt", "not checked here");
  EXPECT_EQ(load_model_config(dir.path()).classes.size(), 3u);
  write(dir / "model.json", "{ broken");
  expect_failure(dir.path(), "not valid JSON");
}

}  // namespace
