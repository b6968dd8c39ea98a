#pragma once
// The rendezvous' cryptography, all of it from OpenSSL's libcrypto: HMAC-SHA256,
// constant-time comparison of MACs, and random bytes for secrets and challenges.

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

typedef struct evp_mac_ctx_st EVP_MAC_CTX;

namespace ringtail::rendezvous {

constexpr std::size_t kMacSize = 32;
using Mac = std::array<unsigned char, kMacSize>;

// An HMAC-SHA256 computation fed piece by piece (so a large value is not copied
// to be authenticated together with its header).
class HmacSha256 {
 public:
  explicit HmacSha256(std::string_view key);
  ~HmacSha256();
  HmacSha256(const HmacSha256&) = delete;
  HmacSha256& operator=(const HmacSha256&) = delete;

  void update(const void* data, std::size_t size);
  Mac finish();

 private:
  EVP_MAC_CTX* ctx_ = nullptr;
};

// Compares in time independent of where the MACs differ (CRYPTO_memcmp), so an
// attacker cannot find a valid MAC byte by byte from response times.
bool macs_equal(const Mac& a, const Mac& b);

// Cryptographically random bytes (RAND_bytes); throws ringtail::Error on failure.
void random_bytes(void* out, std::size_t size);

// `bytes` random bytes as lower-case hex: a fresh per-job secret or job id.
std::string random_hex(std::size_t bytes);

}  // namespace ringtail::rendezvous
