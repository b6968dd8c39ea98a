#include "ringtail/pets/train/json_object.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace ringtail::pets::train {

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buffer[8];
          std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(c));
          out += buffer;
        } else {
          out += c;  // UTF-8 passes through unchanged
        }
    }
  }
  return out + "\"";
}

std::string json_number(double value) {
  if (!std::isfinite(value)) return "null";
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

JsonObject::Field& JsonObject::key(std::string_view name) {
  fields_.push_back(Field{std::string(name), std::string(), -1});
  return fields_.back();
}

JsonObject& JsonObject::add(std::string_view name, std::string_view value) {
  key(name).value = json_string(value);
  return *this;
}

JsonObject& JsonObject::add(std::string_view name, double value) {
  key(name).value = json_number(value);
  return *this;
}

JsonObject& JsonObject::add(std::string_view name, std::int64_t value) {
  key(name).value = std::to_string(value);
  return *this;
}

JsonObject& JsonObject::add(std::string_view name, bool value) {
  key(name).value = value ? "true" : "false";
  return *this;
}

JsonObject& JsonObject::add(std::string_view name, const std::vector<std::string>& values) {
  std::string list = "[";
  for (std::size_t i = 0; i < values.size(); ++i) list += (i ? ", " : "") + json_string(values[i]);
  key(name).value = list + "]";
  return *this;
}

JsonObject& JsonObject::add(std::string_view name, const std::vector<double>& values) {
  std::string list = "[";
  for (std::size_t i = 0; i < values.size(); ++i) list += (i ? ", " : "") + json_number(values[i]);
  key(name).value = list + "]";
  return *this;
}

JsonObject& JsonObject::add(std::string_view name, const JsonObject& object) {
  key(name).nested = static_cast<int>(nested_.size());
  nested_.push_back(object);
  return *this;
}

std::string JsonObject::encode(int indent, int level) const {
  if (fields_.empty()) return "{}";
  const bool pretty = indent > 0;
  const std::string pad = pretty ? std::string(static_cast<std::size_t>(indent * (level + 1)), ' ') : "";
  std::string out = "{";
  for (std::size_t i = 0; i < fields_.size(); ++i) {
    const Field& field = fields_[i];
    out += i ? "," : "";
    out += pretty ? "\n" + pad : (i ? " " : "");
    out += json_string(field.key) + ": ";
    out += field.nested >= 0 ? nested_[static_cast<std::size_t>(field.nested)].encode(indent, level + 1)
                             : field.value;
  }
  if (pretty) out += "\n" + std::string(static_cast<std::size_t>(indent * level), ' ');
  return out + "}";
}

std::string JsonObject::str(int indent) const { return encode(indent, 0); }

}  // namespace ringtail::pets::train
