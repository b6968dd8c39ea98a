#pragma once
// Deterministic random numbers for the data side: splits, crops, flips and the
// synthetic images. The standard distributions do not specify their algorithms,
// so std::uniform_real_distribution may give other numbers on another standard
// library; these functions give the same numbers everywhere for the same seed.

#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

namespace ringtail::pets {

// SplitMix64 finaliser: a cheap, well-mixed hash of one 64-bit word.
inline std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Combines seeds, e.g. (run seed, epoch, sample index) into one stream seed, so a
// sample's augmentation does not depend on which worker thread processes it.
inline std::uint64_t combine_seeds(std::uint64_t a, std::uint64_t b) {
  return mix64(a ^ mix64(b + 0x632be59bd9b4e019ULL));
}
inline std::uint64_t combine_seeds(std::uint64_t a, std::uint64_t b, std::uint64_t c) {
  return combine_seeds(combine_seeds(a, b), c);
}

// xoshiro256** seeded through SplitMix64.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    for (auto& word : state_) {
      seed += 0x9e3779b97f4a7c15ULL;
      word = mix64(seed);
    }
  }

  std::uint64_t next_u64() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }

  // Uniform integer in [0, n); n > 0. Rejection sampling keeps it unbiased.
  std::uint64_t below(std::uint64_t n) {
    const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % n);
    std::uint64_t x = next_u64();
    while (x >= limit) x = next_u64();
    return x % n;
  }
  // Uniform integer in [lo, hi] (inclusive).
  long long between(long long lo, long long hi) {
    return lo + static_cast<long long>(below(static_cast<std::uint64_t>(hi - lo) + 1));
  }

  bool bernoulli(double p) { return uniform() < p; }

  // Standard normal (Box-Muller; one value per call, simplicity over speed).
  double normal() {
    double u1 = uniform();
    while (u1 <= 0.0) u1 = uniform();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t state_[4];
};

// Fisher-Yates with Rng (std::shuffle's result depends on the library).
template <typename T>
void shuffle(std::vector<T>& items, Rng& rng) {
  for (std::size_t i = items.size(); i > 1; --i) {
    const std::size_t j = static_cast<std::size_t>(rng.below(i));
    std::swap(items[i - 1], items[j]);
  }
}

}  // namespace ringtail::pets
