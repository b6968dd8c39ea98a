#include "ringtail/pets/serve/base64.h"

#include <array>

namespace ringtail::pets::serve {
namespace {

constexpr std::int8_t kInvalid = -1;
constexpr std::int8_t kSpace = -2;
constexpr std::int8_t kPad = -3;

constexpr std::array<std::int8_t, 256> make_table() {
  std::array<std::int8_t, 256> table{};
  for (auto& v : table) v = kInvalid;
  for (int i = 0; i < 26; ++i) {
    table['A' + i] = static_cast<std::int8_t>(i);
    table['a' + i] = static_cast<std::int8_t>(26 + i);
  }
  for (int i = 0; i < 10; ++i) table['0' + i] = static_cast<std::int8_t>(52 + i);
  table['+'] = table['-'] = 62;
  table['/'] = table['_'] = 63;
  table['='] = kPad;
  for (char c : {' ', '\t', '\r', '\n', '\f', '\v'}) table[static_cast<unsigned char>(c)] = kSpace;
  return table;
}

constexpr std::array<std::int8_t, 256> kTable = make_table();

std::optional<std::vector<std::uint8_t>> invalid(std::string_view reason, std::string_view* why) {
  if (why != nullptr) *why = reason;
  return std::nullopt;
}

}  // namespace

std::string encode_base64(const std::uint8_t* data, std::size_t size) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    const std::uint32_t bits = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) | data[i + 2];
    for (const int shift : {18, 12, 6, 0}) out += kAlphabet[(bits >> shift) & 63];
  }
  if (size - i == 1) {
    const std::uint32_t bits = std::uint32_t{data[i]} << 16;
    out += kAlphabet[(bits >> 18) & 63];
    out += kAlphabet[(bits >> 12) & 63];
    out += "==";
  } else if (size - i == 2) {
    const std::uint32_t bits = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8);
    out += kAlphabet[(bits >> 18) & 63];
    out += kAlphabet[(bits >> 12) & 63];
    out += kAlphabet[(bits >> 6) & 63];
    out += '=';
  }
  return out;
}

std::optional<std::vector<std::uint8_t>> decode_base64(std::string_view text,
                                                       std::string_view* why) {
  std::vector<std::uint8_t> out;
  out.reserve(text.size() / 4 * 3 + 3);
  std::uint32_t bits = 0;
  int pending = 0;  // sextets in `bits`
  int padding = 0;
  for (const char ch : text) {
    const std::int8_t v = kTable[static_cast<unsigned char>(ch)];
    if (v == kSpace) continue;
    if (v == kInvalid) return invalid("a character outside the base64 alphabet", why);
    if (v == kPad) {
      ++padding;
      continue;
    }
    if (padding > 0) return invalid("data after '=' padding", why);
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    if (++pending == 4) {
      out.push_back(static_cast<std::uint8_t>(bits >> 16));
      out.push_back(static_cast<std::uint8_t>(bits >> 8));
      out.push_back(static_cast<std::uint8_t>(bits));
      bits = 0;
      pending = 0;
    }
  }
  // A final group of 2 or 3 sextets carries 1 or 2 bytes; padding, if present,
  // must complete the group to 4.
  if (pending == 1) return invalid("a truncated final group", why);
  if (padding > 0 && (pending == 0 || pending + padding != 4)) {
    return invalid("wrong '=' padding", why);
  }
  if (pending == 2) {
    out.push_back(static_cast<std::uint8_t>(bits >> 4));
  } else if (pending == 3) {
    out.push_back(static_cast<std::uint8_t>(bits >> 10));
    out.push_back(static_cast<std::uint8_t>(bits >> 2));
  }
  return out;
}

}  // namespace ringtail::pets::serve
