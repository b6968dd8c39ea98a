// The "nccl" backend: NCCL collectives on CUDA device buffers. Every call is
// enqueued on the communicator's stream and waited for before returning, so the
// backend has the same blocking contract as the host backends.
//
// Waiting polls the stream and NCCL's asynchronous error state instead of
// blocking in cudaStreamSynchronize: a peer that died leaves NCCL kernels
// spinning forever, and the only way out is to notice the error (or the
// timeout) from the host and abort the communicator (as c10d's watchdog does).

#include <cuda_runtime_api.h>
#include <nccl.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <numeric>
#include <thread>
#include <vector>

#include "cuda_device.h"
#include "ringtail/collectives/error.h"
#include "ringtail/collectives/registry.h"
#include "ringtail/collectives/topology.h"

namespace ringtail::coll {
namespace {

void check_nccl(ncclResult_t result, const char* what) {
  if (result == ncclSuccess) return;
  throw Error(ErrorKind::backend, std::string("nccl: ") + what + " failed: " +
                                      ncclGetErrorString(result));
}

ncclDataType_t nccl_type(DataType type) {
  switch (type) {
    case DataType::f16: return ncclFloat16;
    case DataType::bf16: return ncclBfloat16;
    case DataType::f32: return ncclFloat32;
    case DataType::f64: return ncclFloat64;
    case DataType::i8: return ncclInt8;
    case DataType::u8: return ncclUint8;
    case DataType::i32: return ncclInt32;
    case DataType::i64: return ncclInt64;
  }
  return ncclFloat32;
}

ncclRedOp_t nccl_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::sum: return ncclSum;
    case ReduceOp::average: return ncclAvg;
    case ReduceOp::min: return ncclMin;
    case ReduceOp::max: return ncclMax;
    case ReduceOp::product: return ncclProd;
  }
  return ncclSum;
}

// RAII for ncclGroupStart/End so an exception between them cannot leave a group open.
class Group {
 public:
  Group() { check_nccl(ncclGroupStart(), "ncclGroupStart"); }
  ~Group() {
    if (!ended_) ncclGroupEnd();
  }
  void end() {
    ended_ = true;
    check_nccl(ncclGroupEnd(), "ncclGroupEnd");
  }

 private:
  bool ended_ = false;
};

class NcclCommunicator final : public Communicator {
 public:
  NcclCommunicator(ncclComm_t comm, int device, std::chrono::milliseconds timeout)
      : Communicator(rank_of(comm), size_of(comm)), comm_(comm), device_(device), timeout_(timeout) {
    cuda::check(cudaSetDevice(device_), "cudaSetDevice");
    cuda::check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
    cuda::check(cudaMalloc(&scratch_, sizeof(float)), "cudaMalloc");
  }

  ~NcclCommunicator() override {
    cudaSetDevice(device_);
    if (scratch_) cudaFree(scratch_);
    if (stream_) cudaStreamDestroy(stream_);
    if (comm_) {
      if (aborted_) {
        ncclCommAbort(comm_);
      } else {
        ncclCommDestroy(comm_);
      }
    }
  }

  std::string_view backend() const noexcept override { return "nccl"; }
  MemoryKind memory() const noexcept override { return MemoryKind::cuda; }

 protected:
  bool native_average() const noexcept override { return true; }

  void do_allreduce(const void* send, void* recv, std::size_t count, DataType type,
                    ReduceOp op) override {
    enter();
    check_nccl(ncclAllReduce(send, recv, count, nccl_type(type), nccl_op(op), comm_, stream_),
               "ncclAllReduce");
    wait("allreduce");
  }

  // NCCL has no allgatherv: equal counts use ncclAllGather, uneven ones a group
  // of broadcasts, one per rank, which NCCL fuses into one launch.
  void do_allgatherv(const void* send, void* recv, const std::vector<std::size_t>& recv_counts,
                     DataType type) override {
    enter();
    const std::size_t esize = coll::size_of(type);
    const bool equal = std::all_of(recv_counts.begin(), recv_counts.end(),
                                   [&](std::size_t c) { return c == recv_counts[0]; });
    if (equal) {
      check_nccl(ncclAllGather(send, recv, recv_counts[0], nccl_type(type), comm_, stream_),
                 "ncclAllGather");
    } else {
      Group group;
      std::size_t offset = 0;
      for (int r = 0; r < size(); ++r) {
        char* slot = static_cast<char*>(recv) + offset * esize;
        check_nccl(ncclBroadcast(r == rank() ? send : slot, slot, recv_counts[r], nccl_type(type),
                                 r, comm_, stream_),
                   "ncclBroadcast");
        offset += recv_counts[r];
      }
      group.end();
    }
    wait("allgatherv");
  }

  void do_broadcast(void* buffer, std::size_t count, DataType type, int root) override {
    enter();
    check_nccl(ncclBroadcast(buffer, buffer, count, nccl_type(type), root, comm_, stream_),
               "ncclBroadcast");
    wait("broadcast");
  }

  void do_reducescatter(const void* send, void* recv, const std::vector<std::size_t>& recv_counts,
                        DataType type, ReduceOp op) override {
    enter();
    const std::size_t esize = coll::size_of(type);
    const bool equal = std::all_of(recv_counts.begin(), recv_counts.end(),
                                   [&](std::size_t c) { return c == recv_counts[0]; });
    if (equal) {
      check_nccl(ncclReduceScatter(send, recv, recv_counts[0], nccl_type(type), nccl_op(op), comm_,
                                   stream_),
                 "ncclReduceScatter");
    } else {
      Group group;
      std::size_t offset = 0;
      for (int r = 0; r < size(); ++r) {
        check_nccl(ncclReduce(static_cast<const char*>(send) + offset * esize, recv,
                              recv_counts[r], nccl_type(type), nccl_op(op), r, comm_, stream_),
                   "ncclReduce");
        offset += recv_counts[r];
      }
      group.end();
    }
    wait("reducescatter");
  }

  void do_alltoallv(const void* send, const std::vector<std::size_t>& send_counts, void* recv,
                    const std::vector<std::size_t>& recv_counts, DataType type) override {
    enter();
    const std::size_t esize = coll::size_of(type);
    Group group;
    std::size_t send_offset = 0;
    std::size_t recv_offset = 0;
    for (int r = 0; r < size(); ++r) {
      if (send_counts[r]) {
        check_nccl(ncclSend(static_cast<const char*>(send) + send_offset * esize, send_counts[r],
                            nccl_type(type), r, comm_, stream_),
                   "ncclSend");
      }
      if (recv_counts[r]) {
        check_nccl(ncclRecv(static_cast<char*>(recv) + recv_offset * esize, recv_counts[r],
                            nccl_type(type), r, comm_, stream_),
                   "ncclRecv");
      }
      send_offset += send_counts[r];
      recv_offset += recv_counts[r];
    }
    group.end();
    wait("alltoallv");
  }

  void do_barrier() override {
    enter();
    check_nccl(ncclAllReduce(scratch_, scratch_, 1, ncclFloat32, ncclSum, comm_, stream_),
               "ncclAllReduce (barrier)");
    wait("barrier");
  }

  // NCCL matches point-to-point messages between a pair in issue order; it has
  // no tags, so the tag only has to be consistent with that order.
  void do_send(const void* buffer, std::size_t bytes, int peer, std::uint32_t) override {
    enter();
    check_nccl(ncclSend(buffer, bytes, ncclUint8, peer, comm_, stream_), "ncclSend");
    wait("send");
  }

  void do_recv(void* buffer, std::size_t bytes, int peer, std::uint32_t) override {
    enter();
    check_nccl(ncclRecv(buffer, bytes, ncclUint8, peer, comm_, stream_), "ncclRecv");
    wait("recv");
  }

  std::unique_ptr<Communicator> do_split(int color, int key) override {
    enter();
    ncclComm_t out = nullptr;
    check_nccl(ncclCommSplit(comm_, color < 0 ? NCCL_SPLIT_NOCOLOR : color, key, &out, nullptr),
               "ncclCommSplit");
    if (out == nullptr) return nullptr;
    return std::make_unique<NcclCommunicator>(out, device_, timeout_);
  }

 private:
  static int rank_of(ncclComm_t comm) {
    int r = 0;
    check_nccl(ncclCommUserRank(comm, &r), "ncclCommUserRank");
    return r;
  }
  static int size_of(ncclComm_t comm) {
    int n = 0;
    check_nccl(ncclCommCount(comm, &n), "ncclCommCount");
    return n;
  }

  void enter() {
    if (aborted_) {
      throw Error(ErrorKind::peer_lost, "nccl: the communicator was aborted after an earlier error");
    }
    cuda::check(cudaSetDevice(device_), "cudaSetDevice");
  }

  // Polls with a growing pause (a few microseconds up to 1 ms) so a long
  // collective does not burn a host core while the GPU works.
  void wait(const char* what) {
    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    auto pause = std::chrono::microseconds(1);
    for (;;) {
      const cudaError_t status = cudaStreamQuery(stream_);
      if (status == cudaSuccess) return;
      if (status != cudaErrorNotReady) cuda::check(status, what);
      ncclResult_t async_error = ncclSuccess;
      check_nccl(ncclCommGetAsyncError(comm_, &async_error), "ncclCommGetAsyncError");
      if (async_error != ncclSuccess) {
        aborted_ = true;
        throw Error(ErrorKind::peer_lost, std::string("nccl: ") + what + " failed: " +
                                              ncclGetErrorString(async_error));
      }
      if (std::chrono::steady_clock::now() > deadline) {
        aborted_ = true;
        throw Error(ErrorKind::timeout, std::string("nccl: ") + what + " did not finish within " +
                                            std::to_string(timeout_.count()) + " ms");
      }
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::microseconds(1000));
    }
  }

  ncclComm_t comm_ = nullptr;
  int device_ = 0;
  std::chrono::milliseconds timeout_;
  cudaStream_t stream_ = nullptr;
  void* scratch_ = nullptr;
  bool aborted_ = false;
};

// The NCCL id travels over a host communicator of the bootstrap backend; a
// single-rank world needs none.
std::unique_ptr<Communicator> create_nccl_world(const WorldOptions& options) {
  std::string why;
  if (cuda::device_count(&why) == 0) {
    throw Error(ErrorKind::unsupported, "nccl: no CUDA device available (" + why + ")");
  }
  ncclUniqueId id;
  int rank = 0;
  int size = 1;
  int local_rank = 0;
  std::unique_ptr<Communicator> bootstrap;
  if (options.size != 1) {
    if (options.nccl_bootstrap == "nccl") {
      throw Error(ErrorKind::invalid_argument, "nccl: the bootstrap backend cannot be nccl itself");
    }
    WorldOptions host = options;
    host.backend = options.nccl_bootstrap;
    bootstrap = create_world(host);
    rank = bootstrap->rank();
    size = bootstrap->size();
    local_rank = discover_topology(*bootstrap, options.hostname).local_rank;
  }
  if (rank == 0) check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
  if (bootstrap) bootstrap->broadcast(&id, sizeof id, DataType::u8, 0);

  const int device = options.cuda_device >= 0 ? options.cuda_device : local_rank;
  cuda::check(cudaSetDevice(device), "cudaSetDevice");
  ncclComm_t comm = nullptr;
  check_nccl(ncclCommInitRank(&comm, size, id, rank), "ncclCommInitRank");
  return std::make_unique<NcclCommunicator>(comm, device, options.timeout);
}

}  // namespace

void register_nccl_backend(BackendRegistry& registry) {
  registry.add("nccl", create_nccl_world);
}

}  // namespace ringtail::coll
