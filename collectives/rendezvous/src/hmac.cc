#include "ringtail/rendezvous/hmac.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "ringtail/collectives/error.h"

namespace ringtail::rendezvous {
namespace {

[[noreturn]] void openssl_failed(const char* what) {
  char reason[256] = "unknown reason";
  const unsigned long code = ERR_get_error();
  if (code != 0) ERR_error_string_n(code, reason, sizeof reason);
  throw Error(ErrorKind::backend, std::string("OpenSSL ") + what + " failed: " + reason);
}

}  // namespace

HmacSha256::HmacSha256(std::string_view key) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) openssl_failed("EVP_MAC_fetch(HMAC)");
  ctx_ = EVP_MAC_CTX_new(mac);
  EVP_MAC_free(mac);  // the context keeps its own reference
  if (ctx_ == nullptr) openssl_failed("EVP_MAC_CTX_new");
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(ctx_, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                   params) != 1) {
    EVP_MAC_CTX_free(ctx_);
    openssl_failed("EVP_MAC_init(HMAC-SHA256)");
  }
}

HmacSha256::~HmacSha256() { EVP_MAC_CTX_free(ctx_); }

void HmacSha256::update(const void* data, std::size_t size) {
  if (size == 0) return;
  if (EVP_MAC_update(ctx_, static_cast<const unsigned char*>(data), size) != 1) {
    openssl_failed("EVP_MAC_update");
  }
}

Mac HmacSha256::finish() {
  Mac out{};
  std::size_t length = 0;
  if (EVP_MAC_final(ctx_, out.data(), &length, out.size()) != 1 || length != out.size()) {
    openssl_failed("EVP_MAC_final");
  }
  return out;
}

bool macs_equal(const Mac& a, const Mac& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

void random_bytes(void* out, std::size_t size) {
  if (RAND_bytes(static_cast<unsigned char*>(out), static_cast<int>(size)) != 1) {
    openssl_failed("RAND_bytes");
  }
}

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  random_bytes(raw.data(), raw.size());
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * bytes);
  for (unsigned char c : raw) {
    hex.push_back(kDigits[c >> 4]);
    hex.push_back(kDigits[c & 0xf]);
  }
  return hex;
}

}  // namespace ringtail::rendezvous
