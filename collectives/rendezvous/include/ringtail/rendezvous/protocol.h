#pragma once
// Wire format of the rendezvous, version 1. TCP; integers are big-endian.
//
//   on connect, server -> client:  "RTRZ" | u8 version | challenge[32]
//   request:   u32 n | body[n] | mac[32]    body = u8 op     | u64 sequence | fields
//   response:  u32 n | body[n] | mac[32]    body = u8 status | u64 sequence | fields
//
//   mac = HMAC-SHA256(secret, direction label | challenge | body)
//
// Why each part is there:
// - The challenge is random and fresh for every connection, and the sequence
//   number must grow with every request on a connection. A captured request is
//   therefore refused when it is sent on another connection (other challenge)
//   and when it is sent again on the same one (old sequence).
// - The server MACs its responses with the same secret, echoing the sequence,
//   so a client knows that the answer comes from its job's server and belongs to
//   the request it sent.
// - The MAC is checked before anything in the body is parsed; the frame length
//   is bounded before anything is read, so an unauthenticated peer can make the
//   server neither parse nor allocate much.
//
// Fields: keys and values are u32-length-prefixed bytes; timeouts are u64
// milliseconds.
//   hello  hostname, u32 pid                  -> ok
//   set    key, value                         -> ok
//   get    u64 timeout, key                   -> ok value | timeout
//   wait   u64 timeout, u32 n, n keys         -> ok | timeout u32 m, m missing keys
//   check  u32 n, n keys                      -> ok u8 all_present
//   add    key, i64 delta                     -> ok i64 new value (stored as decimal text)
// A refused request gets status `refused` and a message, then the server closes
// the connection.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ringtail/rendezvous/hmac.h"

namespace ringtail::rendezvous {

constexpr char kMagic[4] = {'R', 'T', 'R', 'Z'};
constexpr std::uint8_t kVersion = 1;
constexpr std::size_t kChallengeSize = 32;
constexpr std::size_t kGreetingSize = sizeof(kMagic) + 1 + kChallengeSize;
constexpr std::size_t kMaxBodySize = std::size_t{64} << 20;
constexpr std::size_t kMaxKeySize = 4096;
constexpr std::size_t kMinBodySize = 1 + 8;  // op or status, sequence

using Challenge = std::array<unsigned char, kChallengeSize>;

enum class Op : std::uint8_t { hello = 1, set = 2, get = 3, wait = 4, check = 5, add = 6 };
enum class Status : std::uint8_t { ok = 0, timeout = 1, refused = 2, bad_request = 3, shutting_down = 4 };
enum class Direction { request, response };

const char* to_string(Op op);

std::vector<char> make_greeting(const Challenge& challenge);
// Throws ringtail::Error when the bytes are not a version-1 greeting.
Challenge parse_greeting(const std::vector<char>& greeting);

Mac message_mac(std::string_view secret, Direction direction, const Challenge& challenge,
                const std::vector<char>& body);

// u32 length | body | mac.
std::vector<char> make_frame(const std::vector<char>& body, const Mac& mac);

// Builds a body field by field.
class BodyWriter {
 public:
  BodyWriter& u8(std::uint8_t v);
  BodyWriter& u32(std::uint32_t v);
  BodyWriter& u64(std::uint64_t v);
  BodyWriter& i64(std::int64_t v) { return u64(static_cast<std::uint64_t>(v)); }
  BodyWriter& bytes(const void* data, std::size_t size);
  BodyWriter& bytes(const std::string& s) { return bytes(s.data(), s.size()); }
  BodyWriter& bytes(const std::vector<char>& v) { return bytes(v.data(), v.size()); }
  std::vector<char> take() { return std::move(body_); }

 private:
  std::vector<char> body_;
};

// Reads a body field by field; a field past the end throws ringtail::Error
// (invalid_argument) naming what was being read.
class BodyReader {
 public:
  explicit BodyReader(const std::vector<char>& body) : body_(body) {}
  std::uint8_t u8(const char* what);
  std::uint32_t u32(const char* what);
  std::uint64_t u64(const char* what);
  std::int64_t i64(const char* what) { return static_cast<std::int64_t>(u64(what)); }
  std::vector<char> bytes(const char* what, std::size_t max_size);
  std::string string(const char* what, std::size_t max_size);
  bool at_end() const { return offset_ == body_.size(); }

 private:
  const char* take(std::size_t n, const char* what);
  const std::vector<char>& body_;
  std::size_t offset_ = 0;
};

}  // namespace ringtail::rendezvous
