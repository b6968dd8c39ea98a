#pragma once
// Slots of ringtail's own gloo messages. Gloo's collectives put their prefix
// (0x01..0x08) in the top byte of a slot (and some gloo builds, through a bug in
// Slot::build, use slots below 256); ringtail's prefixes start at 0xA0 so the
// two never meet.

#include <cstdint>

namespace ringtail::coll::gloo_backend {

constexpr std::uint64_t make_slot(std::uint8_t prefix, std::uint64_t low) {
  return (std::uint64_t{prefix} << 56) | (low & ((std::uint64_t{1} << 56) - 1));
}

constexpr std::uint8_t kGoodbyePrefix = 0xA0;        // peer_watch: "closing normally"
constexpr std::uint8_t kHandshakePrefix = 0xA1;      // peer_watch: "connected, watching"
constexpr std::uint8_t kSendHeaderPrefix = 0xA2;     // send/recv: message size, by tag
constexpr std::uint8_t kSendDataPrefix = 0xA3;       // send/recv: payload, by tag
constexpr std::uint8_t kReduceScatterPrefix = 0xA4;  // reduce-scatter ring, by step

}  // namespace ringtail::coll::gloo_backend
