#pragma once
// Little-endian byte encoding of the negotiation messages (requests to the
// coordinator, its response list). Readers check every length, so a corrupt
// message is an Error, never a read past the end.

#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "ringtail/collectives/error.h"

namespace ringtail::core::detail {

class WireWriter {
 public:
  explicit WireWriter(std::vector<std::uint8_t>& out) : out_(out) {}

  template <typename T>
  void put(T value) {
    static_assert(std::is_trivially_copyable_v<T>);
    const std::size_t at = out_.size();
    out_.resize(at + sizeof(T));
    std::memcpy(out_.data() + at, &value, sizeof(T));
  }
  void put_string(const std::string& s) {
    put<std::uint32_t>(static_cast<std::uint32_t>(s.size()));
    out_.insert(out_.end(), s.begin(), s.end());
  }
  void put_i64s(const std::vector<std::int64_t>& v) {
    put<std::uint32_t>(static_cast<std::uint32_t>(v.size()));
    for (std::int64_t x : v) put(x);
  }

 private:
  std::vector<std::uint8_t>& out_;
};

class WireReader {
 public:
  WireReader(const std::uint8_t* data, std::size_t size) : at_(data), end_(data + size) {}

  bool done() const { return at_ == end_; }

  template <typename T>
  T get() {
    static_assert(std::is_trivially_copyable_v<T>);
    need(sizeof(T));
    T value;
    std::memcpy(&value, at_, sizeof(T));
    at_ += sizeof(T);
    return value;
  }
  std::string get_string() {
    const std::uint32_t n = get<std::uint32_t>();
    need(n);
    std::string s(reinterpret_cast<const char*>(at_), n);
    at_ += n;
    return s;
  }
  std::vector<std::int64_t> get_i64s() {
    const std::uint32_t n = get<std::uint32_t>();
    need(std::size_t{n} * sizeof(std::int64_t));
    std::vector<std::int64_t> v(n);
    for (auto& x : v) x = get<std::int64_t>();
    return v;
  }

 private:
  void need(std::size_t n) const {
    if (static_cast<std::size_t>(end_ - at_) < n) {
      throw Error(ErrorKind::backend, "corrupt negotiation message: it ends early");
    }
  }

  const std::uint8_t* at_;
  const std::uint8_t* end_;
};

}  // namespace ringtail::core::detail
