#pragma once
// The MPI datatype and MPI_Op for every (DataType, ReduceOp). MPI has no bf16
// and Open MPI's f16 (MPIX_C_FLOAT16) is optional, so both travel as 2-byte
// contiguous types and reduce through user-defined ops backed by ringtail's
// kernels (computing in float).

#include <mpi.h>

#include "ringtail/collectives/data_type.h"

namespace ringtail::coll::mpi {

MPI_Datatype datatype(DataType type);
MPI_Op reduce_op(DataType type, ReduceOp op);

}  // namespace ringtail::coll::mpi
