#pragma once
// Cutting a buffer into blocks the same way on every rank. Internal to the
// algorithms.

#include <cstddef>
#include <vector>

namespace ringtail::coll::detail {

// floor(a * b / c) without overflow when b <= c (a fraction of a count):
// a = q c + m gives q b + floor(m b / c), and m b < c^2 fits in 64 bits for any
// denominator below 2^32.
inline std::size_t mul_div_floor(std::size_t a, std::size_t b, std::size_t c) {
  return (a / c) * b + (a % c) * b / c;
}

// offsets (n + 1 entries): block j is [offsets[j], offsets[j + 1]) with
// offsets[j] = floor(j * count / n), so blocks differ by at most one element and
// blocks are empty when count < n.
void even_offsets(std::vector<std::size_t>& offsets, std::size_t count, int n);

// offsets from per-block counts (prefix sums).
void offsets_from_counts(std::vector<std::size_t>& offsets, const std::vector<std::size_t>& counts);

// Element [begin, end) of segment `j` when a block of `length` elements is cut
// into `segments` nearly equal segments.
inline std::size_t segment_begin(std::size_t length, std::size_t segments, std::size_t j) {
  return length * j / segments;
}

}  // namespace ringtail::coll::detail
