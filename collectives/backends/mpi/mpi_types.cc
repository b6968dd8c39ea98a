#include "mpi_types.h"

#include <array>
#include <mutex>

#include "mpi_environment.h"
#include "ringtail/collectives/reduce_kernels.h"

namespace ringtail::coll::mpi {
namespace {

constexpr std::size_t kOps = 5;

// MPI user functions receive no context, so the (dtype, op) pair is a template
// parameter: one function per 16-bit type and op.
template <DataType Type, ReduceOp Op>
void half_reduce(void* in, void* inout, int* len, MPI_Datatype*) {
  reduce_into(inout, in, static_cast<std::size_t>(*len), Type, Op);
}

struct HalfTypes {
  MPI_Datatype f16 = MPI_DATATYPE_NULL;
  MPI_Datatype bf16 = MPI_DATATYPE_NULL;
  std::array<MPI_Op, kOps> f16_ops{};
  std::array<MPI_Op, kOps> bf16_ops{};
};

template <DataType Type>
std::array<MPI_Op, kOps> make_ops() {
  std::array<MPI_Op, kOps> ops{};
  check(MPI_Op_create(half_reduce<Type, ReduceOp::sum>, 1, &ops[0]), "MPI_Op_create");
  ops[1] = ops[0];  // average reduces as sum
  check(MPI_Op_create(half_reduce<Type, ReduceOp::min>, 1, &ops[2]), "MPI_Op_create");
  check(MPI_Op_create(half_reduce<Type, ReduceOp::max>, 1, &ops[3]), "MPI_Op_create");
  check(MPI_Op_create(half_reduce<Type, ReduceOp::product>, 1, &ops[4]), "MPI_Op_create");
  return ops;
}

const HalfTypes& half_types() {
  static const HalfTypes types = [] {
    ensure_initialized();
    HalfTypes t;
    check(MPI_Type_contiguous(2, MPI_BYTE, &t.f16), "MPI_Type_contiguous");
    check(MPI_Type_commit(&t.f16), "MPI_Type_commit");
    check(MPI_Type_contiguous(2, MPI_BYTE, &t.bf16), "MPI_Type_contiguous");
    check(MPI_Type_commit(&t.bf16), "MPI_Type_commit");
    t.f16_ops = make_ops<DataType::f16>();
    t.bf16_ops = make_ops<DataType::bf16>();
    return t;
  }();
  return types;
}

}  // namespace

MPI_Datatype datatype(DataType type) {
  switch (type) {
    case DataType::f16: return half_types().f16;
    case DataType::bf16: return half_types().bf16;
    case DataType::f32: return MPI_FLOAT;
    case DataType::f64: return MPI_DOUBLE;
    case DataType::i8: return MPI_INT8_T;
    case DataType::u8: return MPI_UINT8_T;
    case DataType::i32: return MPI_INT32_T;
    case DataType::i64: return MPI_INT64_T;
  }
  return MPI_DATATYPE_NULL;
}

MPI_Op reduce_op(DataType type, ReduceOp op) {
  const auto index = static_cast<std::size_t>(op);
  if (type == DataType::f16) return half_types().f16_ops[index];
  if (type == DataType::bf16) return half_types().bf16_ops[index];
  switch (op) {
    case ReduceOp::sum:
    case ReduceOp::average: return MPI_SUM;
    case ReduceOp::min: return MPI_MIN;
    case ReduceOp::max: return MPI_MAX;
    case ReduceOp::product: return MPI_PROD;
  }
  return MPI_OP_NULL;
}

}  // namespace ringtail::coll::mpi
