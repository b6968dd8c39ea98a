#pragma once
// The GoogleTest check of an allreduce result against the float64 reference
// (reference.h), shared by the backend and the algorithm tests.

#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <string>

#include "reference.h"

namespace ringtail::test {

// Every element of `result` against expected_reduction(); reports the first
// three wrong elements and returns how many were wrong.
inline std::size_t check_reduced(const void* result, std::size_t count, coll::DataType type,
                                 coll::ReduceOp op, int size, const std::string& what) {
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const double expected = expected_reduction(size, i, type, op);
    const double got = load(result, i, type);
    if (std::abs(got - expected) > tolerance(type, std::abs(expected), size)) {
      if (wrong++ < 3) {
        ADD_FAILURE() << what << ": element " << i << " is " << got << ", expected " << expected;
      }
    }
  }
  EXPECT_EQ(wrong, 0u) << what << ": " << wrong << " of " << count << " elements wrong";
  return wrong;
}

}  // namespace ringtail::test
