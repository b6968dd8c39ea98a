#pragma once
// The fuzz target's input layout, shared with the seed writer:
//   byte 0   mode: index into kContentTypes for a request; kModelConfigMode
//            parses the rest as model.json instead
//   byte 1   the ?k= parameter: < 64 absent, otherwise std::to_string(byte - 128)
//   rest     the request body (or the model.json text)

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ringtail_fuzz {

inline constexpr std::array<const char*, 8> kContentTypes = {
    "image/jpeg", "image/png",  "application/x-image", "application/json",
    "application/json; charset=utf-8", "",  "text/plain", "IMAGE/PNG ; q=1"};
inline constexpr std::uint8_t kModelConfigMode = 255;
inline constexpr std::uint8_t kNoK = 0;

inline std::vector<std::uint8_t> fuzz_input(std::uint8_t mode, std::uint8_t k,
                                            const std::vector<std::uint8_t>& body) {
  std::vector<std::uint8_t> out(2 + body.size());
  out[0] = mode;
  out[1] = k;
  std::copy(body.begin(), body.end(), out.begin() + 2);
  return out;
}

inline std::vector<std::uint8_t> bytes_of(const std::string& text) {
  return std::vector<std::uint8_t>(text.begin(), text.end());
}

}  // namespace ringtail_fuzz
