// Open MPI as a peer, called directly (not through ringtail's backend): the
// collectives on a duplicate of the job's communicator, and for allreduce each
// algorithm of the "tuned" component forced in turn. The forced algorithm is
// the MPI_T control variable coll_tuned_allreduce_algorithm; the tuned module
// reads it when a communicator is created, so every forced choice gets its own
// MPI_Comm_dup in one run.
#include <cstdio>
#include <cstdlib>
#include <map>

#include "contenders.h"

namespace ringtail::bench {
namespace {

std::string tuned_name(int algorithm) {
  static const std::map<int, std::string> names = {
      {1, "basic_linear"}, {2, "nonoverlapping"}, {3, "recursive_doubling"},
      {4, "ring"},         {5, "segmented_ring"}, {6, "rabenseifner"}};
  auto it = names.find(algorithm);
  return it == names.end() ? std::to_string(algorithm) : it->second;
}

bool mpi_type(coll::DataType t, MPI_Datatype* out) {
  switch (t) {
    case coll::DataType::f32: *out = MPI_FLOAT; return true;
    case coll::DataType::f64: *out = MPI_DOUBLE; return true;
    case coll::DataType::i8: *out = MPI_INT8_T; return true;
    case coll::DataType::u8: *out = MPI_UINT8_T; return true;
    case coll::DataType::i32: *out = MPI_INT32_T; return true;
    case coll::DataType::i64: *out = MPI_INT64_T; return true;
    default: return false;  // no 16-bit floats in MPI
  }
}

bool mpi_op(coll::ReduceOp op, MPI_Op* out) {
  switch (op) {
    case coll::ReduceOp::sum: *out = MPI_SUM; return true;
    case coll::ReduceOp::product: *out = MPI_PROD; return true;
    case coll::ReduceOp::min: *out = MPI_MIN; return true;
    case coll::ReduceOp::max: *out = MPI_MAX; return true;
    default: return false;  // no average in MPI
  }
}

int checked(std::size_t n) { return static_cast<int>(n); }

class MpiRow final : public Contender {
 public:
  MpiRow(std::string name, Collective op, MPI_Comm comm) : name_(std::move(name)), op_(op), comm_(comm) {}
  ~MpiRow() override { MPI_Comm_free(&comm_); }
  std::string name() const override { return name_; }
  bool is_ringtail() const override { return false; }
  Collective op() const override { return op_; }
  bool in_place() const override { return op_ == Collective::broadcast; }

  std::string unsupported(const Shape& s) const override {
    MPI_Datatype t;
    MPI_Op o;
    if (!mpi_type(s.type, &t)) return "MPI has no " + std::string(coll::to_string(s.type));
    if ((op_ == Collective::allreduce || op_ == Collective::reducescatter) && !mpi_op(s.reduce, &o)) {
      return "MPI has no " + std::string(coll::to_string(s.reduce));
    }
    if (s.send_elems > 0x7fffffff || s.recv_elems > 0x7fffffff) return "count beyond MPI's int";
    return {};
  }

  void prepare(const Call& c) override {
    mpi_type(c.shape->type, &type_);
    mpi_op(c.shape->reduce, &reduce_);
  }

  void run(const Call& c) override {
    const Shape& s = *c.shape;
    switch (op_) {
      case Collective::allreduce:
        MPI_Allreduce(c.send, c.recv, checked(s.count), type_, reduce_, comm_);
        break;
      case Collective::allgather:
        MPI_Allgather(c.send, checked(s.count), type_, c.recv, checked(s.count), type_, comm_);
        break;
      case Collective::broadcast: MPI_Bcast(c.recv, checked(s.count), type_, 0, comm_); break;
      case Collective::reducescatter:
        MPI_Reduce_scatter_block(c.send, c.recv, checked(s.count), type_, reduce_, comm_);
        break;
      case Collective::alltoall:
        MPI_Alltoall(c.send, checked(s.count), type_, c.recv, checked(s.count), type_, comm_);
        break;
    }
  }

 private:
  std::string name_;
  Collective op_;
  MPI_Comm comm_;
  MPI_Datatype type_ = MPI_FLOAT;
  MPI_Op reduce_ = MPI_SUM;
};

const char* mpi_function(Collective op) {
  switch (op) {
    case Collective::allreduce: return "MPI_Allreduce";
    case Collective::allgather: return "MPI_Allgather";
    case Collective::broadcast: return "MPI_Bcast";
    case Collective::reducescatter: return "MPI_Reduce_scatter_block";
    case Collective::alltoall: return "MPI_Alltoall";
  }
  return "?";
}

// A duplicate of MPI_COMM_WORLD made while the tuned component is forced to
// `algorithm`; MPI_COMM_NULL (and a note on rank 0) when MPI_T cannot do it.
MPI_Comm forced_duplicate(int algorithm, int rank) {
  int provided = 0;
  MPI_T_init_thread(MPI_THREAD_MULTIPLE, &provided);
  int index = -1;
  MPI_Comm out = MPI_COMM_NULL;
  if (MPI_T_cvar_get_index("coll_tuned_allreduce_algorithm", &index) != MPI_SUCCESS) {
    if (rank == 0) std::fprintf(stderr, "# mpi-tuned: this Open MPI has no coll_tuned_allreduce_algorithm\n");
    MPI_T_finalize();
    return out;
  }
  MPI_T_cvar_handle handle;
  int elements = 0;
  MPI_T_cvar_handle_alloc(index, nullptr, &handle, &elements);
  int value = algorithm;
  const int rc = MPI_T_cvar_write(handle, &value);
  if (rc == MPI_SUCCESS) MPI_Comm_dup(MPI_COMM_WORLD, &out);
  value = 0;
  MPI_T_cvar_write(handle, &value);
  MPI_T_cvar_handle_free(&handle);
  MPI_T_finalize();
  if (rc != MPI_SUCCESS && rank == 0) {
    std::fprintf(stderr, "# mpi-tuned: cannot force algorithm %d (MPI_T write failed)\n", algorithm);
  }
  return out;
}

}  // namespace

void prepare_mpi_tuned_environment() {
  // Read by Open MPI at MPI_Init; without it forced algorithms are ignored.
  setenv("OMPI_MCA_coll_tuned_use_dynamic_rules", "1", 0);
}

void add_mpi_contenders(Collective op, Environment& env, bool tuned, Contenders& out) {
  if (!tuned) {
    MPI_Comm comm;
    MPI_Comm_dup(MPI_COMM_WORLD, &comm);
    out.push_back(std::make_unique<MpiRow>(std::string("mpi/") + mpi_function(op), op, comm));
    return;
  }
  if (op != Collective::allreduce) return;
  for (int algorithm : env.options().mpi_tuned) {
    MPI_Comm comm = forced_duplicate(algorithm, env.rank());
    if (comm == MPI_COMM_NULL) continue;
    out.push_back(std::make_unique<MpiRow>("mpi/tuned:" + tuned_name(algorithm), op, comm));
  }
}

}  // namespace ringtail::bench
