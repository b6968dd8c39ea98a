// Multi-rank tests of ringtail's own algorithms (algorithms.<backend>.np<N>):
// ring, hierarchical, shared-memory and auto allreduce and allgather against float64 (or exact
// integer) references, for every dtype and op, for counts of 0, 1, fewer than
// the ranks, odd, and many segments (a tiny segment size forces the pipelined
// path), in and out of place, on fake host layouts including uneven hosts.

#include <gtest/gtest.h>

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <tuple>

#include "layouts.h"
#include "reference_check.h"
#include "ringtail/collectives/algorithms/allgather.h"
#include "ringtail/collectives/algorithms/allreduce.h"
#include "ringtail/collectives/error.h"
#include "ringtail_test/ranks.h"

namespace ringtail::test {
namespace {

using coll::AlgorithmOptions;
using coll::AllgatherKind;
using coll::AllreduceKind;
using coll::Communicator;
using coll::DataType;
using coll::HostLayout;
using coll::PhaseMethod;
using coll::ReduceOp;

// A segment of 64 bytes makes even small counts run many pipelined segments:
// 1023 elements on 4 ranks are 4 to 32 segments per block, whatever the dtype.
constexpr std::size_t kTinySegment = 64;
// Pipeline chunks of 256 bytes: 1023 elements of 4 bytes are 15 chunks of the
// hierarchical allreduce, 1023 of 8 bytes 31.
constexpr std::size_t kTinyChunk = 256;

std::vector<std::size_t> counts_for(int size) {
  return {0, 1, static_cast<std::size_t>(size - 1), 1023};
}

const std::vector<ReduceOp> kEveryOp(std::begin(coll::kAllReduceOps), std::end(coll::kAllReduceOps));

std::string describe(coll::AllreduceAlgorithm& a, DataType type, ReduceOp op, std::size_t count,
                     bool in_place, const std::string& extra = "") {
  return std::string(a.name()) + " allreduce " + std::string(to_string(type)) + " " +
         std::string(to_string(op)) + " count " + std::to_string(count) +
         (in_place ? " in place" : "") + extra;
}

// Runs `a` on every count and op in `ops`, in and out of place.
void exercise_allreduce(coll::AllreduceAlgorithm& a, Communicator& world, DataType type,
                        const std::string& extra, const std::vector<ReduceOp>& ops = kEveryOp) {
  for (ReduceOp op : ops) {
    for (std::size_t count : counts_for(world.size())) {
      for (bool in_place : {false, true}) {
        std::vector<char> send = filled(world.rank(), count, type, op);
        std::vector<char> recv(send.size(), 0x5a);
        void* out = in_place ? send.data() : recv.data();
        a.run(send.data(), out, count, type, op);
        check_reduced(out, count, type, op, world.size(), describe(a, type, op, count, in_place, extra));
        if (!in_place) {
          // The send buffer is input only.
          const std::vector<char> again = filled(world.rank(), count, type, op);
          EXPECT_EQ(std::memcmp(send.data(), again.data(), count * size_of(type)), 0)
              << describe(a, type, op, count, false, extra) << " changed its send buffer";
        }
      }
    }
  }
}

std::string param_name(const ::testing::TestParamInfo<DataType>& info) {
  return std::string(to_string(info.param));
}

// 64-byte segments (the ring's segment, shm's areas) make 1023 elements many
// pipelined steps, on every count and op; then default segments on a 9 MiB
// message: several segments or chunks per rank on up to 4 ranks.
void exercise_segmented(AllreduceKind kind, Communicator& world, DataType type,
                        const std::vector<ReduceOp>& large_ops) {
  AlgorithmOptions tiny;
  tiny.segment_bytes = kTinySegment;
  tiny.shm_area_bytes = kTinySegment;
  auto small = coll::make_allreduce(kind, world, nullptr, tiny);
  exercise_allreduce(*small, world, type, " (64-byte segments)");

  auto defaults = coll::make_allreduce(kind, world);
  const std::size_t count = (std::size_t{9} << 20) / size_of(type) + 7;
  for (ReduceOp op : large_ops) {
    std::vector<char> send = filled(world.rank(), count, type, op);
    std::vector<char> recv(send.size());
    defaults->run(send.data(), recv.data(), count, type, op);
    check_reduced(recv.data(), count, type, op, world.size(),
                  describe(*defaults, type, op, count, false, " (default segments)"));
  }
}

class RingAllreduceTest : public ::testing::TestWithParam<DataType> {};

TEST_P(RingAllreduceTest, MatchesReferenceForEveryOpAndCount) {
  const DataType type = GetParam();
  run_on_ranks([type](Communicator& world) {
    exercise_segmented(AllreduceKind::ring, world, type, {ReduceOp::sum});
  });
}

INSTANTIATE_TEST_SUITE_P(Dtypes, RingAllreduceTest, ::testing::ValuesIn(coll::kAllDataTypes),
                         param_name);

class ShmAllreduceTest : public ::testing::TestWithParam<DataType> {};

TEST_P(ShmAllreduceTest, MatchesReferenceForEveryOpAndCount) {
  const DataType type = GetParam();
  run_on_ranks([type](Communicator& world) {
    // A chunk is n areas, so the 9 MiB message is many chunks with a ragged
    // last one; average divides inside shm, so it runs large too.
    exercise_segmented(AllreduceKind::shm, world, type, {ReduceOp::sum, ReduceOp::average});
  });
}

INSTANTIATE_TEST_SUITE_P(Dtypes, ShmAllreduceTest, ::testing::ValuesIn(coll::kAllDataTypes),
                         param_name);

// Names in /dev/shm that a segment made by this process would carry.
std::size_t segments_named_for_this_process() {
  const std::string prefix = "ringtail-" + std::to_string(getpid()) + "-";
  std::size_t found = 0;
  if (DIR* dir = opendir("/dev/shm")) {
    while (const dirent* entry = readdir(dir)) found += std::string(entry->d_name).rfind(prefix, 0) == 0;
    closedir(dir);
  }
  return found;
}

// Runs `call`, which must throw ringtail::Error of `kind` with `needle` in its
// message (any message when `needle` is empty).
template <typename Call>
void expect_error(ErrorKind kind, const std::string& needle, const std::string& what, Call&& call) {
  try {
    call();
    ADD_FAILURE() << what << " was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind) << what << ": " << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << what << ": " << e.what();
  }
}

TEST(ShmAllreduceErrorsTest, DisagreementAndAMissingRankFailWithNamedErrors) {
  run_on_ranks([](Communicator& world) {
    auto shm = coll::make_allreduce(AllreduceKind::shm, world);
    // Rank 0 makes the segment under a name with its pid; the name is gone once
    // every rank has mapped it, so nothing outlives the processes.
    if (world.rank() == 0) {
      EXPECT_EQ(segments_named_for_this_process(), 0u);
    }
    if (world.size() < 2) GTEST_SKIP() << "needs two ranks";

    // Ranks that disagree on the count all fail, and the object stays usable.
    std::vector<float> data(64, 1.0f);
    const std::size_t count = world.rank() == 0 ? 10 : 11;
    expect_error(ErrorKind::mismatch, "10 x f32", "different counts",
                 [&] { shm->run(data.data(), count, DataType::f32, ReduceOp::sum); });
    std::vector<char> again = filled(world.rank(), 1000, DataType::f32, ReduceOp::sum);
    shm->run(again.data(), 1000, DataType::f32, ReduceOp::sum);
    check_reduced(again.data(), 1000, DataType::f32, ReduceOp::sum, world.size(), "shm after a mismatch");

    // A rank that never comes: the others fail with a timeout naming it, and the
    // object refuses further use instead of mixing steps.
    AlgorithmOptions short_wait;
    short_wait.peer_timeout = std::chrono::milliseconds(300);
    auto impatient = coll::make_allreduce(AllreduceKind::shm, world, nullptr, short_wait);
    if (world.rank() != 0) {
      auto run_without_rank_0 = [&] { impatient->run(again.data(), 1000, DataType::f32, ReduceOp::sum); };
      expect_error(ErrorKind::timeout, "rank 0 did not arrive", "an allreduce without rank 0",
                   run_without_rank_0);
      expect_error(ErrorKind::peer_lost, "", "a timed-out shm allreduce run again", run_without_rank_0);
    }
    world.barrier();

    // The hierarchical allreduce's shared-memory phase inside the host checks
    // its calls the same way: on one host it is all there is.
    auto one_host = HostLayout::create(world, "host-a");
    AlgorithmOptions shm_local;
    shm_local.local_method = PhaseMethod::shm;
    auto h = coll::make_allreduce(AllreduceKind::hierarchical, world, one_host, shm_local);
    expect_error(ErrorKind::mismatch, "10 x f32", "different counts in the shm phase",
                 [&] { h->run(data.data(), count, DataType::f32, ReduceOp::sum); });
    std::vector<char> fresh = filled(world.rank(), 1000, DataType::f32, ReduceOp::sum);
    h->run(fresh.data(), 1000, DataType::f32, ReduceOp::sum);
    check_reduced(fresh.data(), 1000, DataType::f32, ReduceOp::sum, world.size(),
                  "hierarchical (shm inside the host) after a mismatch");

    // Every other disagreement the phase can see fails every rank at once too,
    // never after the timeout (5 s here) and never with a wrong answer: average
    // against sum (both run as a sum inside the host), a count of 0 against
    // 10, and an allgather whose blocks add up to the same total but are cut
    // differently.
    AlgorithmOptions patient_shm = shm_local;
    patient_shm.peer_timeout = std::chrono::seconds(5);
    auto h5 = coll::make_allreduce(AllreduceKind::hierarchical, world, one_host, patient_shm);
    auto expect_mismatch = [](const char* what, auto&& call) { expect_error(ErrorKind::mismatch, "", what, call); };
    expect_mismatch("average against sum", [&] {
      h5->run(data.data(), 10, DataType::f32, world.rank() == 0 ? ReduceOp::average : ReduceOp::sum);
    });
    expect_mismatch("a count of 0 against 10", [&] {
      h5->run(data.data(), world.rank() == 0 ? 0 : 10, DataType::f32, ReduceOp::sum);
    });
    auto g = coll::make_allgather(AllgatherKind::hierarchical, world, one_host, patient_shm);
    const auto n = static_cast<std::size_t>(world.size());
    const auto me = static_cast<std::size_t>(world.rank());
    std::vector<std::size_t> cut(n, 4);  // every rank's total is 4 n, each cuts it its own way
    cut[me] = 6;
    cut[(me + 1) % n] = 2;
    std::vector<float> gathered(4 * n, 0.0f);
    std::vector<float> mine(cut[me], 1.0f);
    expect_mismatch("allgather blocks cut differently", [&] {
      g->run(mine.data(), gathered.data(), cut, DataType::f32);
    });
    fresh = filled(world.rank(), 1000, DataType::f32, ReduceOp::sum);
    h5->run(fresh.data(), 1000, DataType::f32, ReduceOp::sum);
    check_reduced(fresh.data(), 1000, DataType::f32, ReduceOp::sum, world.size(),
                  "hierarchical (shm inside the host) after three mismatches");
    std::vector<float> block(4, static_cast<float>(world.rank()));
    g->run(block.data(), gathered.data(), std::vector<std::size_t>(n, 4), DataType::f32);
    for (std::size_t i = 0; i < gathered.size(); ++i) {
      ASSERT_EQ(gathered[i], static_cast<float>(i / 4)) << "allgather after a mismatch, element " << i;
    }

    // Shared memory cannot carry the phase across hosts.
    AlgorithmOptions shm_cross;
    shm_cross.cross_method = PhaseMethod::shm;
    expect_error(ErrorKind::invalid_argument, "cross method shm", "a cross-host phase through shared memory",
                 [&] { coll::make_allreduce(AllreduceKind::hierarchical, world, one_host, shm_cross); });

    // A layout with several hosts is refused up front.
    auto two_hosts = HostLayout::create(world, world.rank() == 0 ? "host-a" : "host-b");
    expect_error(ErrorKind::invalid_argument, "one host", "shm across two hosts",
                 [&] { coll::make_allreduce(AllreduceKind::shm, world, two_hosts); });
  });
}

class HierarchicalAllreduceTest : public ::testing::TestWithParam<DataType> {};

TEST_P(HierarchicalAllreduceTest, MatchesReferenceOnEveryFakeLayout) {
  const DataType type = GetParam();
  run_on_ranks([type](Communicator& world) {
    for (const FakeLayout& layout : fake_layouts(world.size())) {
      auto hosts = HostLayout::create(world, fake_hostname(layout, world.rank()));
      const int distinct = *std::max_element(layout.host_of_rank.begin(), layout.host_of_rank.end()) + 1;
      ASSERT_EQ(hosts->num_hosts(), distinct) << "layout " << layout.name;
      // Inside hosts by ring with tiny segments, across by the backend; and the
      // other way round.
      AlgorithmOptions ring_local;
      ring_local.segment_bytes = kTinySegment;
      ring_local.local_method = PhaseMethod::ring;
      ring_local.cross_method = PhaseMethod::native;
      AlgorithmOptions native_local;
      native_local.local_method = PhaseMethod::native;
      native_local.cross_method = PhaseMethod::ring;
      native_local.segment_bytes = kTinySegment;
      ring_local.pipeline_chunk_bytes = kTinyChunk;
      // Every op through the first (pipelined in chunks, as large buffers run,
      // where the backend pipelines: gloo);
      // the others change only how the phases move data, so sum and average
      // (the one with its own code) suffice.
      auto h = coll::make_allreduce(AllreduceKind::hierarchical, world, hosts, ring_local);
      exercise_allreduce(*h, world, type, " on hosts " + layout.name + " (local ring, cross native, chunks)");
      auto h2 = coll::make_allreduce(AllreduceKind::hierarchical, world, hosts, native_local);
      exercise_allreduce(*h2, world, type, " on hosts " + layout.name + " (local native, cross ring)",
                         {ReduceOp::sum, ReduceOp::average});
      native_local.pipeline_chunk_bytes = kTinyChunk;
      auto h3 = coll::make_allreduce(AllreduceKind::hierarchical, world, hosts, native_local);
      exercise_allreduce(*h3, world, type, " on hosts " + layout.name + " (local native, cross ring, chunks)",
                         {ReduceOp::average});
      // Inside hosts through shared memory, with 64-byte areas so that a chunk
      // takes many steps: every op, since the reduction runs in its own code.
      AlgorithmOptions shm_local = ring_local;
      shm_local.local_method = PhaseMethod::shm;
      shm_local.cross_method = PhaseMethod::ring;
      auto h4 = coll::make_allreduce(AllreduceKind::hierarchical, world, hosts, shm_local);
      exercise_allreduce(*h4, world, type, " on hosts " + layout.name + " (local shm, cross ring, chunks)");
    }
  });
}

INSTANTIATE_TEST_SUITE_P(Dtypes, HierarchicalAllreduceTest,
                         ::testing::ValuesIn(coll::kAllDataTypes), param_name);

TEST(AutomaticAllreduceTest, ChoosesAndComputesCorrectlyAcrossSizes) {
  run_on_ranks([](Communicator& world) {
    for (const FakeLayout& layout : fake_layouts(world.size())) {
      auto hosts = HostLayout::create(world, fake_hostname(layout, world.rank()));
      auto a = coll::make_allreduce(AllreduceKind::automatic, world, hosts);
      // Sizes on both sides of every threshold in selection.h.
      for (std::size_t count : {std::size_t{0}, std::size_t{3}, std::size_t{1000},
                                std::size_t{100003}, std::size_t{700001}}) {
        for (ReduceOp op : {ReduceOp::sum, ReduceOp::average, ReduceOp::max}) {
          std::vector<char> send = filled(world.rank(), count, DataType::f32, op);
          a->run(send.data(), count, DataType::f32, op);
          check_reduced(send.data(), count, DataType::f32, op, world.size(),
                        describe(*a, DataType::f32, op, count, true, " on hosts " + layout.name));
        }
      }
    }
    // Without a layout, auto still works (flat choices only).
    auto flat = coll::make_allreduce(AllreduceKind::automatic, world);
    std::vector<char> send = filled(world.rank(), 300001, DataType::i32, ReduceOp::sum);
    flat->run(send.data(), 300001, DataType::i32, ReduceOp::sum);
    check_reduced(send.data(), 300001, DataType::i32, ReduceOp::sum, world.size(), "auto without layout");
  });
}

// Uneven per-rank counts: rank r contributes base + r * step elements.
void exercise_allgather(coll::AllgatherAlgorithm& a, Communicator& world, DataType type,
                        const std::string& extra) {
  const int n = world.size();
  for (std::size_t base : {std::size_t{0}, std::size_t{1}, std::size_t{1001}}) {
    for (std::size_t step : {std::size_t{0}, std::size_t{3}}) {
      std::vector<std::size_t> counts(static_cast<std::size_t>(n));
      for (int r = 0; r < n; ++r) counts[r] = base + step * static_cast<std::size_t>(r);
      const std::size_t total = std::accumulate(counts.begin(), counts.end(), std::size_t{0});
      for (bool in_place : {false, true}) {
        std::vector<char> recv(total * size_of(type) + 1, 0x5a);
        const std::size_t my_offset =
            std::accumulate(counts.begin(), counts.begin() + world.rank(), std::size_t{0});
        std::vector<char> send = filled(world.rank(), counts[world.rank()], type, ReduceOp::sum);
        const void* in = send.data();
        if (in_place) {
          std::memcpy(recv.data() + my_offset * size_of(type), send.data(),
                      counts[world.rank()] * size_of(type));
          in = recv.data() + my_offset * size_of(type);
        }
        a.run(in, recv.data(), counts, type);
        std::size_t wrong = 0;
        std::size_t at = 0;
        for (int r = 0; r < n; ++r) {
          const std::vector<char> expected = filled(r, counts[r], type, ReduceOp::sum);
          for (std::size_t i = 0; i < counts[r]; ++i, ++at) {
            if (load(recv.data(), at, type) != load(expected.data(), i, type) && wrong++ < 3) {
              ADD_FAILURE() << a.name() << " allgather" << extra << ": block " << r
                            << " element " << i << " is " << load(recv.data(), at, type);
            }
          }
        }
        EXPECT_EQ(wrong, 0u) << a.name() << " allgather " << to_string(type) << extra
                             << " base " << base << " step " << step
                             << (in_place ? " in place" : "");
      }
    }
  }
}

class AllgatherAlgorithmsTest : public ::testing::TestWithParam<DataType> {};

TEST_P(AllgatherAlgorithmsTest, EveryKindGathersUnevenBlocksInRankOrder) {
  const DataType type = GetParam();
  run_on_ranks([type](Communicator& world) {
    auto ring = coll::make_allgather(AllgatherKind::ring, world);
    exercise_allgather(*ring, world, type, "");
    for (const FakeLayout& layout : fake_layouts(world.size())) {
      auto hosts = HostLayout::create(world, fake_hostname(layout, world.rank()));
      AlgorithmOptions native_local;
      native_local.local_method = PhaseMethod::native;
      native_local.cross_method = PhaseMethod::native;
      AlgorithmOptions ring_local;
      ring_local.local_method = PhaseMethod::ring;
      AlgorithmOptions tiny_shm_local;
      tiny_shm_local.shm_area_bytes = kTinySegment;
      for (const AlgorithmOptions& options : {AlgorithmOptions{}, native_local, ring_local, tiny_shm_local}) {
        auto h = coll::make_allgather(AllgatherKind::hierarchical, world, hosts, options);
        exercise_allgather(*h, world, type, " on hosts " + layout.name);
      }
      auto a = coll::make_allgather(AllgatherKind::automatic, world, hosts);
      exercise_allgather(*a, world, type, " (auto) on hosts " + layout.name);
    }
  });
}

INSTANTIATE_TEST_SUITE_P(Dtypes, AllgatherAlgorithmsTest,
                         ::testing::Values(DataType::f32, DataType::f16, DataType::u8,
                                           DataType::i64),
                         param_name);

TEST(AlgorithmErrorsTest, BadArgumentsAreNamedAndNothingHangs) {
  run_on_ranks([](Communicator& world) {
    auto ring = coll::make_allreduce(AllreduceKind::ring, world);
    try {
      ring->run(nullptr, nullptr, 5, DataType::f32, ReduceOp::sum);
      ADD_FAILURE() << "null buffers were accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::invalid_argument);
      EXPECT_NE(std::string(e.what()).find("send buffer is null"), std::string::npos) << e.what();
    }
    try {
      coll::make_allreduce(AllreduceKind::hierarchical, world, nullptr);
      ADD_FAILURE() << "hierarchical without a layout was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::invalid_argument);
      EXPECT_NE(std::string(e.what()).find("HostLayout"), std::string::npos) << e.what();
    }
    auto gather = coll::make_allgather(AllgatherKind::ring, world);
    std::vector<float> out(4);
    try {
      gather->run(out.data(), out.data(), std::vector<std::size_t>{1}, DataType::f32);
      if (world.size() != 1) ADD_FAILURE() << "wrong number of counts was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::invalid_argument);
      EXPECT_NE(std::string(e.what()).find("recv_counts has 1 entries"), std::string::npos) << e.what();
    }
    // The world is still usable after the refused calls.
    std::int32_t one = 1;
    ring->run(&one, 1, DataType::i32, ReduceOp::sum);
    EXPECT_EQ(one, world.size());
  });
}

// A communicator that forwards to another but keeps Communicator's default
// sendrecv, to test that default on a real transport (what a backend without
// its own sendrecv gets).
class DefaultSendrecvComm final : public Communicator {
 public:
  explicit DefaultSendrecvComm(Communicator& inner)
      : Communicator(inner.rank(), inner.size()), inner_(inner) {}
  std::string_view backend() const noexcept override { return "default-sendrecv"; }

 protected:
  void do_allreduce(const void* s, void* r, std::size_t c, DataType t, ReduceOp o) override {
    inner_.allreduce(s, r, c, t, o);
  }
  void do_allgatherv(const void* s, void* r, const std::vector<std::size_t>& c, DataType t) override {
    inner_.allgatherv(s, r, c, t);
  }
  void do_broadcast(void* b, std::size_t c, DataType t, int root) override { inner_.broadcast(b, c, t, root); }
  void do_reducescatter(const void* s, void* r, const std::vector<std::size_t>& c, DataType t,
                        ReduceOp o) override {
    inner_.reducescatter(s, r, c, t, o);
  }
  void do_alltoallv(const void* s, const std::vector<std::size_t>& sc, void* r,
                    const std::vector<std::size_t>& rc, DataType t) override {
    inner_.alltoallv(s, sc, r, rc, t);
  }
  void do_barrier() override { inner_.barrier(); }
  void do_send(const void* b, std::size_t bytes, int peer, std::uint32_t tag) override {
    inner_.send(b, bytes, DataType::u8, peer, tag);
  }
  void do_recv(void* b, std::size_t bytes, int peer, std::uint32_t tag) override {
    inner_.recv(b, bytes, DataType::u8, peer, tag);
  }
  std::unique_ptr<Communicator> do_split(int, int) override {
    throw Error(ErrorKind::unsupported, "default-sendrecv: no split");
  }

 private:
  Communicator& inner_;
};

TEST(DefaultSendrecvTest, RingShiftsAndPairwiseExchangesOfLargeMessagesDoNotDeadlock) {
  run_on_ranks([](Communicator& world) {
    DefaultSendrecvComm comm(world);
    const int n = comm.size();
    const int r = comm.rank();
    // 4 MiB messages: far past any eager limit, so a send really waits for its
    // receive.
    const std::size_t count = std::size_t{1} << 20;
    std::vector<std::int32_t> out(count);
    std::vector<std::int32_t> in(count);
    for (int shift = 1; shift < n; ++shift) {
      const int dest = (r + shift) % n;
      const int source = (r - shift + n) % n;
      for (std::size_t i = 0; i < count; ++i) out[i] = static_cast<std::int32_t>(r * 1000 + i % 997);
      comm.sendrecv(out.data(), count, dest, in.data(), count, source, DataType::i32, 7);
      std::size_t wrong = 0;
      for (std::size_t i = 0; i < count; ++i) {
        wrong += in[i] != static_cast<std::int32_t>(source * 1000 + i % 997);
      }
      EXPECT_EQ(wrong, 0u) << "shift " << shift << " from rank " << source;
    }
    // And a full ring allreduce on top of it.
    auto ring = coll::make_allreduce(AllreduceKind::ring, comm);
    std::vector<char> data = filled(r, 100003, DataType::f32, ReduceOp::sum);
    ring->run(data.data(), 100003, DataType::f32, ReduceOp::sum);
    check_reduced(data.data(), 100003, DataType::f32, ReduceOp::sum, n, "ring over default sendrecv");
  });
}

// Runs only inside the namespace cluster (tests/cluster), where each "host" is
// a network namespace with its own host name and the script says how many
// hosts to expect. Elsewhere it reports itself skipped.
TEST(ClusterHierarchicalTest, RealHostsGiveTheExpectedTopologyAndCorrectResults) {
  const char* expected = std::getenv("RTTEST_EXPECTED_HOSTS");
  if (expected == nullptr) GTEST_SKIP() << "not inside tests/cluster (RTTEST_EXPECTED_HOSTS unset)";
  run_on_ranks([expected](Communicator& world) {
    auto hosts = HostLayout::create(world, "");
    ASSERT_EQ(hosts->num_hosts(), std::atoi(expected)) << "host " << hosts->topology().hostname;
    for (AllreduceKind kind : {AllreduceKind::hierarchical, AllreduceKind::ring, AllreduceKind::automatic}) {
      for (AlgorithmOptions options : {AlgorithmOptions{}, AlgorithmOptions{kTinySegment, kTinySegment, PhaseMethod::native, PhaseMethod::native, kTinyChunk},
                                       AlgorithmOptions{kTinySegment, kTinySegment, PhaseMethod::ring, PhaseMethod::ring, kTinyChunk},
                                       AlgorithmOptions{kTinySegment, kTinySegment, PhaseMethod::shm, PhaseMethod::ring, kTinyChunk}}) {
        auto a = coll::make_allreduce(kind, world, hosts, options);
        for (DataType type : {DataType::f32, DataType::bf16, DataType::i64}) {
          exercise_allreduce(*a, world, type, " on real hosts");
        }
      }
    }
    auto g = coll::make_allgather(AllgatherKind::hierarchical, world, hosts);
    exercise_allgather(*g, world, DataType::f32, " on real hosts");
  });
}

}  // namespace
}  // namespace ringtail::test
