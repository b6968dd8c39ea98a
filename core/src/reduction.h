#pragma once
// The engine's arithmetic around a reduction: prescale before it, and after
// it the average's division by the ranks that took part and the postscale.
// All of it goes through the collectives' reduction kernels.

#include <cstddef>

#include "ringtail/collectives/data_type.h"
#include "ringtail/collectives/reduce_kernels.h"

namespace ringtail::core::detail {

inline void apply_prescale(void* data, std::size_t count, coll::DataType type, double factor) {
  if (factor != 1.0 && count > 0) coll::scale(data, count, type, factor);
}

// `contributors` >= 1. Floating types fold the division into one multiply;
// integer types divide exactly (truncating), then apply the postscale.
inline void finish_reduction(void* data, std::size_t count, coll::DataType type, coll::ReduceOp op,
                             int contributors, double postscale) {
  if (count == 0) return;
  if (op != coll::ReduceOp::average) {
    if (postscale != 1.0) coll::scale(data, count, type, postscale);
    return;
  }
  if (coll::is_floating_point(type)) {
    const double factor = postscale / contributors;
    if (factor != 1.0) coll::scale(data, count, type, factor);
    return;
  }
  if (contributors != 1) coll::divide(data, count, type, contributors);
  if (postscale != 1.0) coll::scale(data, count, type, postscale);
}

}  // namespace ringtail::core::detail
