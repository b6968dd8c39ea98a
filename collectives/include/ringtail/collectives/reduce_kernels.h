#pragma once
// ringtail's own reduction kernels on host memory. Every place where ringtail
// reduces data itself (the MPI user ops, ring and hierarchical allreduce, the
// engine's averaging) goes through these, so there is one implementation per
// (dtype, op) and it is the one the benchmarks measure.
//
// The type-erased signature is on purpose (as in Gloo's ReductionFunction): the
// dtype is known only at run time, and dispatch happens once per call, outside
// the loop, so the inner loops are plain typed loops the compiler vectorizes.

#include <cstddef>

#include "ringtail/collectives/data_type.h"

namespace ringtail::coll {

// inout[i] = inout[i] (op) in[i] for i < count. `average` reduces as `sum`: the
// division happens once at the end (scale()). f16 and bf16 compute in float.
void reduce_into(void* inout, const void* in, std::size_t count, DataType type, ReduceOp op);

// out[i] = a[i] (op) b[i]; `out` may alias `a` or `b`.
void reduce(void* out, const void* a, const void* b, std::size_t count, DataType type, ReduceOp op);

// buf[i] *= factor, computed in double for f64, float otherwise; integer results
// truncate toward zero and saturate at the type's range (NaN gives 0).
void scale(void* buf, std::size_t count, DataType type, double factor);

// buf[i] /= divisor; for integers an exact truncating division (not a multiply by
// 1/divisor, which would round wrong), so an integer average is sum / n.
void divide(void* buf, std::size_t count, DataType type, int divisor);

// Whether `op` is defined for `type` (all are, today; kept as the one place to
// say otherwise).
bool supports(DataType type, ReduceOp op);

}  // namespace ringtail::coll
