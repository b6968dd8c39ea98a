// Tests of the "nccl" backend on CUDA device buffers. Run as one process
// (collectives.nccl.np1) or under mpirun with one GPU per rank; without a GPU
// (or with fewer GPUs than local ranks) every test skips and says why.

#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <numeric>

#include "reference.h"
#include "ringtail/collectives/error.h"
#include "ringtail/collectives/registry.h"
#include "ringtail/core/config.h"

namespace ringtail::test {
namespace {

using coll::DataType;
using coll::ReduceOp;

// Device memory freed on scope exit.
struct DeviceBuffer {
  explicit DeviceBuffer(std::size_t bytes) {
    if (cudaMalloc(&ptr, bytes ? bytes : 1) != cudaSuccess) throw std::runtime_error("cudaMalloc failed");
  }
  ~DeviceBuffer() { cudaFree(ptr); }
  void* ptr = nullptr;
};

void to_device(void* dst, const std::vector<char>& src) {
  ASSERT_EQ(cudaMemcpy(dst, src.data(), src.size() - 1, cudaMemcpyHostToDevice), cudaSuccess);
}

std::vector<char> to_host(const void* src, std::size_t bytes) {
  std::vector<char> out(bytes + 1);
  EXPECT_EQ(cudaMemcpy(out.data(), src, bytes, cudaMemcpyDeviceToHost), cudaSuccess);
  return out;
}

class NcclTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    int count = 0;
    const cudaError_t status = cudaGetDeviceCount(&count);
    if (status != cudaSuccess || count == 0) {
      skip_reason_ = "no CUDA device here (cudaGetDeviceCount returned " +
                     std::to_string(int(status)) + ": " + cudaGetErrorString(status) + ")";
      return;
    }
    core::Config config = core::Config::from_environment();
    config.world.backend = "nccl";
    if (config.world.size < 0) config.world.size = 1;
    try {
      world_ = coll::create_world(config.world).release();
    } catch (const Error& e) {
      skip_reason_ = std::string("could not build an NCCL world: ") + e.what();
    }
  }
  static void TearDownTestSuite() {
    delete world_;
    world_ = nullptr;
  }
  void SetUp() override {
    if (!world_) GTEST_SKIP() << skip_reason_;
  }

  static coll::Communicator* world_;
  static std::string skip_reason_;
};

coll::Communicator* NcclTest::world_ = nullptr;
std::string NcclTest::skip_reason_;

TEST_F(NcclTest, AllreduceEveryDtypeAndOpMatchesReference) {
  auto& world = *world_;
  for (DataType type : coll::kAllDataTypes) {
    for (ReduceOp op : coll::kAllReduceOps) {
      for (std::size_t count : {std::size_t{0}, std::size_t{1}, std::size_t{1023}, std::size_t{1000003}}) {
        const std::vector<char> host = filled(world.rank(), count, type, op);
        DeviceBuffer device(count * size_of(type));
        to_device(device.ptr, host);
        world.allreduce(device.ptr, count, type, op);
        const std::vector<char> result = to_host(device.ptr, count * size_of(type));
        for (std::size_t i = 0; i < count; ++i) {
          const double expected = expected_reduction(world.size(), i, type, op);
          ASSERT_NEAR(load(result.data(), i, type), expected,
                      tolerance(type, std::abs(expected), world.size()))
              << to_string(type) << " " << to_string(op) << " count " << count << " element " << i;
        }
      }
    }
  }
}

TEST_F(NcclTest, AllgathervBroadcastAndReducescatterWithUnevenCounts) {
  auto& world = *world_;
  const int n = world.size();
  std::vector<std::size_t> counts(n);
  for (int r = 0; r < n; ++r) counts[r] = static_cast<std::size_t>(3 + r);
  const std::size_t total = std::accumulate(counts.begin(), counts.end(), std::size_t{0});
  const DataType type = DataType::f32;

  const std::vector<char> mine = filled(world.rank(), counts[world.rank()], type, ReduceOp::sum);
  DeviceBuffer send(mine.size());
  DeviceBuffer recv(total * sizeof(float));
  to_device(send.ptr, mine);
  world.allgatherv(send.ptr, recv.ptr, counts, type);
  std::vector<char> gathered = to_host(recv.ptr, total * sizeof(float));
  std::size_t offset = 0;
  for (int r = 0; r < n; ++r) {
    const std::vector<char> theirs = filled(r, counts[r], type, ReduceOp::sum);
    for (std::size_t i = 0; i < counts[r]; ++i) {
      EXPECT_EQ(load(gathered.data(), offset + i, type), load(theirs.data(), i, type));
    }
    offset += counts[r];
  }

  const std::vector<char> full = filled(world.rank(), total, type, ReduceOp::sum);
  DeviceBuffer rs_send(full.size());
  DeviceBuffer rs_recv(counts[world.rank()] * sizeof(float));
  to_device(rs_send.ptr, full);
  world.reducescatter(rs_send.ptr, rs_recv.ptr, counts, type, ReduceOp::sum);
  const std::vector<char> block = to_host(rs_recv.ptr, counts[world.rank()] * sizeof(float));
  const std::size_t start = std::accumulate(counts.begin(), counts.begin() + world.rank(), std::size_t{0});
  for (std::size_t i = 0; i < counts[world.rank()]; ++i) {
    EXPECT_NEAR(load(block.data(), i, type), expected_reduction(n, start + i, type, ReduceOp::sum), 1e-4);
  }

  world.broadcast(send.ptr, counts[0], type, 0);
  const std::vector<char> root = filled(0, counts[0], type, ReduceOp::sum);
  const std::vector<char> got = to_host(send.ptr, counts[0] * sizeof(float));
  for (std::size_t i = 0; i < counts[0]; ++i) EXPECT_EQ(load(got.data(), i, type), load(root.data(), i, type));
  world.barrier();
}

TEST_F(NcclTest, SplitGivesAWorkingSubCommunicator) {
  auto& world = *world_;
  auto half = world.split(world.rank() % 2, world.rank());
  ASSERT_NE(half, nullptr);
  DeviceBuffer one(sizeof(std::int64_t));
  std::vector<char> host(sizeof(std::int64_t) + 1);
  const std::int64_t value = 1;
  std::memcpy(host.data(), &value, sizeof value);
  to_device(one.ptr, host);
  half->allreduce(one.ptr, 1, DataType::i64, ReduceOp::sum);
  const std::vector<char> out = to_host(one.ptr, sizeof(std::int64_t));
  std::int64_t result = 0;
  std::memcpy(&result, out.data(), sizeof result);
  EXPECT_EQ(result, half->size());
}

TEST(NcclWithoutDevice, BuildingAWorldWithoutAGpuIsAClearError) {
  int count = 0;
  if (cudaGetDeviceCount(&count) == cudaSuccess && count > 0) GTEST_SKIP() << "a GPU is present";
  coll::WorldOptions options;
  options.backend = "nccl";
  options.size = 1;
  try {
    coll::create_world(options);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::unsupported);
    EXPECT_NE(std::string(e.what()).find("no CUDA device"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ringtail::test
