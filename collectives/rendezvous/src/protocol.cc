#include "ringtail/rendezvous/protocol.h"

#include <algorithm>
#include <cstring>

#include "ringtail/collectives/error.h"

namespace ringtail::rendezvous {
namespace {

constexpr char kRequestLabel[] = "ringtail-rendezvous-1 request";
constexpr char kResponseLabel[] = "ringtail-rendezvous-1 response";

[[noreturn]] void malformed(const std::string& what) {
  throw Error(ErrorKind::invalid_argument, "malformed rendezvous message: " + what);
}

}  // namespace

const char* to_string(Op op) {
  switch (op) {
    case Op::hello: return "hello";
    case Op::set: return "set";
    case Op::get: return "get";
    case Op::wait: return "wait";
    case Op::check: return "check";
    case Op::add: return "add";
  }
  return "unknown";
}

std::vector<char> make_greeting(const Challenge& challenge) {
  std::vector<char> out(std::begin(kMagic), std::end(kMagic));
  out.push_back(static_cast<char>(kVersion));
  out.insert(out.end(), challenge.begin(), challenge.end());
  return out;
}

Challenge parse_greeting(const std::vector<char>& greeting) {
  if (greeting.size() != kGreetingSize || !std::equal(std::begin(kMagic), std::end(kMagic), greeting.begin())) {
    throw Error(ErrorKind::backend, "the peer is not a ringtail rendezvous server (bad greeting)");
  }
  const auto version = static_cast<std::uint8_t>(greeting[sizeof kMagic]);
  if (version != kVersion) {
    throw Error(ErrorKind::unsupported, "the rendezvous server speaks protocol version " +
                                            std::to_string(version) + "; this client speaks " +
                                            std::to_string(kVersion));
  }
  Challenge challenge{};
  std::memcpy(challenge.data(), greeting.data() + sizeof kMagic + 1, challenge.size());
  return challenge;
}

Mac message_mac(std::string_view secret, Direction direction, const Challenge& challenge,
                const std::vector<char>& body) {
  HmacSha256 mac(secret);
  const char* label = direction == Direction::request ? kRequestLabel : kResponseLabel;
  mac.update(label, std::strlen(label) + 1);  // the terminating 0 separates label and challenge
  mac.update(challenge.data(), challenge.size());
  mac.update(body.data(), body.size());
  return mac.finish();
}

std::vector<char> make_frame(const std::vector<char>& body, const Mac& mac) {
  std::vector<char> out;
  out.reserve(4 + body.size() + mac.size());
  const auto n = static_cast<std::uint32_t>(body.size());
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((n >> shift) & 0xff));
  out.insert(out.end(), body.begin(), body.end());
  out.insert(out.end(), mac.begin(), mac.end());
  return out;
}

BodyWriter& BodyWriter::u8(std::uint8_t v) {
  body_.push_back(static_cast<char>(v));
  return *this;
}

BodyWriter& BodyWriter::u32(std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) body_.push_back(static_cast<char>((v >> shift) & 0xff));
  return *this;
}

BodyWriter& BodyWriter::u64(std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) body_.push_back(static_cast<char>((v >> shift) & 0xff));
  return *this;
}

BodyWriter& BodyWriter::bytes(const void* data, std::size_t size) {
  u32(static_cast<std::uint32_t>(size));
  const char* p = static_cast<const char*>(data);
  body_.insert(body_.end(), p, p + size);
  return *this;
}

const char* BodyReader::take(std::size_t n, const char* what) {
  if (body_.size() - offset_ < n) malformed(std::string("it ends inside the ") + what);
  const char* p = body_.data() + offset_;
  offset_ += n;
  return p;
}

std::uint8_t BodyReader::u8(const char* what) { return static_cast<std::uint8_t>(*take(1, what)); }

std::uint32_t BodyReader::u32(const char* what) {
  const char* p = take(4, what);
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

std::uint64_t BodyReader::u64(const char* what) {
  const char* p = take(8, what);
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

std::vector<char> BodyReader::bytes(const char* what, std::size_t max_size) {
  const std::uint32_t n = u32(what);
  if (n > max_size) {
    malformed(std::string("the ") + what + " has " + std::to_string(n) + " bytes; at most " +
              std::to_string(max_size) + " are allowed");
  }
  const char* p = take(n, what);
  return std::vector<char>(p, p + n);
}

std::string BodyReader::string(const char* what, std::size_t max_size) {
  const std::vector<char> b = bytes(what, max_size);
  return std::string(b.begin(), b.end());
}

}  // namespace ringtail::rendezvous
