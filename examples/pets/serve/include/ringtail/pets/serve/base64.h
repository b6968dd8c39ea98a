#pragma once
// Base64 (RFC 4648) decoding for JSON requests that carry images as strings.
// Accepts the standard and the URL-safe alphabet, with or without '=' padding,
// and ignores ASCII whitespace (line-wrapped encoders); anything else is an error.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ringtail::pets::serve {

std::string encode_base64(const std::uint8_t* data, std::size_t size);  // standard, padded

// Returns nullopt (and a reason in `why`, if given) for malformed input.
std::optional<std::vector<std::uint8_t>> decode_base64(std::string_view text,
                                                       std::string_view* why = nullptr);

}  // namespace ringtail::pets::serve
