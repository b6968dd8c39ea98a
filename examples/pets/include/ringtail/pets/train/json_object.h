#pragma once
// A one-line JSON object, built field by field: the records of --metrics files
// and model.json. Only what those need (strings, numbers, booleans, lists of
// strings or numbers, nested objects); no parser. Non-finite numbers become
// null, since JSON has no NaN.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ringtail::pets::train {

class JsonObject {
 public:
  JsonObject& add(std::string_view key, std::string_view value);
  JsonObject& add(std::string_view key, const char* value) { return add(key, std::string_view(value)); }
  JsonObject& add(std::string_view key, double value);
  JsonObject& add(std::string_view key, std::int64_t value);
  JsonObject& add(std::string_view key, int value) { return add(key, std::int64_t{value}); }
  JsonObject& add(std::string_view key, bool value);
  JsonObject& add(std::string_view key, const std::vector<std::string>& values);
  JsonObject& add(std::string_view key, const std::vector<double>& values);
  JsonObject& add(std::string_view key, const JsonObject& object);

  // {"key": value, ...} on one line, or with `indent` spaces per level and one
  // field per line.
  std::string str(int indent = 0) const;

 private:
  struct Field {
    std::string key;
    std::string value;  // encoded; unused for a nested object
    int nested = -1;    // index into nested_, encoded when str() knows the depth
  };
  Field& key(std::string_view name);
  std::vector<Field> fields_;
  std::vector<JsonObject> nested_;
  std::string encode(int indent, int level) const;
};

// "text" with JSON escapes.
std::string json_string(std::string_view text);
// The shortest text that reads back as the same double; "null" if not finite.
std::string json_number(double value);

}  // namespace ringtail::pets::train
