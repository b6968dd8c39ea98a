#include "partition.h"

namespace ringtail::coll::detail {

void even_offsets(std::vector<std::size_t>& offsets, std::size_t count, int n) {
  offsets.resize(static_cast<std::size_t>(n) + 1);
  for (int j = 0; j <= n; ++j) {
    offsets[j] = mul_div_floor(count, static_cast<std::size_t>(j), static_cast<std::size_t>(n));
  }
}

void offsets_from_counts(std::vector<std::size_t>& offsets, const std::vector<std::size_t>& counts) {
  offsets.resize(counts.size() + 1);
  offsets[0] = 0;
  for (std::size_t j = 0; j < counts.size(); ++j) offsets[j + 1] = offsets[j] + counts[j];
}

}  // namespace ringtail::coll::detail
