// Unit tests of the negotiation pieces that need no communicator: message
// encoding, validation messages, the coordinator's table and the response
// cache.

#include <gtest/gtest.h>

#include "coordinator.h"
#include "message.h"
#include "response_cache.h"
#include "ringtail/collectives/error.h"
#include "validation.h"

namespace ringtail::core::detail {
namespace {

Signature allreduce_sig(Shape shape, coll::DataType type = coll::DataType::f32) {
  Signature s;
  s.op = OpType::allreduce;
  s.dtype = type;
  s.shape = std::move(shape);
  s.reduce_op = coll::ReduceOp::average;
  return s;
}

Request request(const std::string& name, Signature sig) { return Request{name, std::move(sig), ""}; }

TEST(Message, RequestsRoundTrip) {
  std::vector<Request> in;
  in.push_back(request("a", allreduce_sig({2, 3})));
  Signature b = allreduce_sig({}, coll::DataType::bf16);
  b.op = OpType::broadcast;
  b.root = 3;
  b.device = Device{coll::MemoryKind::cuda, 1};
  b.prescale = 0.25;
  b.postscale = -2.5;
  in.push_back(Request{"b with spaces", b, "why"});
  std::vector<std::uint8_t> bytes;
  encode(in, bytes);
  const std::vector<Request> out = decode_requests(bytes.data(), bytes.size());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].name, "a");
  EXPECT_EQ(out[0].signature.shape, (Shape{2, 3}));
  EXPECT_EQ(out[1].name, "b with spaces");
  EXPECT_EQ(out[1].detail, "why");
  EXPECT_TRUE(compatible(out[1].signature, b));
  EXPECT_EQ(out[1].signature.device, (Device{coll::MemoryKind::cuda, 1}));
}

TEST(Message, ResponsesRoundTrip) {
  Response p;
  p.kind = ResponseKind::error;
  p.name = "x";
  p.signature = allreduce_sig({7});
  p.contributors = 3;
  p.message = "boom";
  std::vector<std::uint8_t> bytes;
  encode(std::vector<Response>{p}, bytes);
  const auto out = decode_responses(bytes.data(), bytes.size());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, ResponseKind::error);
  EXPECT_EQ(out[0].contributors, 3);
  EXPECT_EQ(out[0].message, "boom");
}

TEST(Message, TruncatedOrCorruptInputIsAnError) {
  std::vector<std::uint8_t> bytes;
  encode(std::vector<Request>{request("name", allreduce_sig({1, 2}))}, bytes);
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_THROW(decode_requests(bytes.data(), cut), Error) << "cut at " << cut;
  }
  bytes.push_back(0);
  EXPECT_THROW(decode_requests(bytes.data(), bytes.size()), Error);
}

TEST(Signature, AllgatherIgnoresTheFirstDimension) {
  Signature a = allreduce_sig({4, 3});
  Signature b = allreduce_sig({5, 3});
  EXPECT_FALSE(compatible(a, b));
  a.op = b.op = OpType::allgather;
  EXPECT_TRUE(compatible(a, b));
  b.shape = {5, 4};
  EXPECT_FALSE(compatible(a, b));
}

TEST(Validation, NamesTheFieldAndTheRanks) {
  const Request r0 = request("w", allreduce_sig({4}));
  const Request r1 = request("w", allreduce_sig({5}));
  const Request r2 = request("w", allreduce_sig({4}));
  auto msg = find_disagreement("w", {&r0, &r1, &r2});
  ASSERT_TRUE(msg);
  EXPECT_EQ(*msg, "allreduce 'w': ranks disagree on shape: [4] on ranks 0, 2; [5] on rank 1");
}

TEST(Validation, ReportsEveryDifferingField) {
  Request r0 = request("w", allreduce_sig({4}));
  Request r1 = request("w", allreduce_sig({4}, coll::DataType::f64));
  r1.signature.reduce_op = coll::ReduceOp::max;
  auto msg = find_disagreement("w", {&r0, &r1});
  ASSERT_TRUE(msg);
  EXPECT_NE(msg->find("dtype: f32 on rank 0; f64 on rank 1"), std::string::npos) << *msg;
  EXPECT_NE(msg->find("reduce op: average on rank 0; max on rank 1"), std::string::npos) << *msg;
}

TEST(Validation, DifferentOperationsAreNamedAlone) {
  Request r0 = request("w", allreduce_sig({4}));
  Request r1 = request("w", allreduce_sig({4}));
  r1.signature.op = OpType::broadcast;
  auto msg = find_disagreement("w", {&r0, &r1});
  ASSERT_TRUE(msg);
  EXPECT_EQ(*msg, "'w': ranks disagree on the operation: allreduce on rank 0; broadcast on rank 1");
}

TEST(Validation, AgreementAndAbsentRanks) {
  const Request r0 = request("w", allreduce_sig({4}));
  EXPECT_FALSE(find_disagreement("w", {&r0, nullptr, &r0}));
  Signature g0 = allreduce_sig({2, 8});
  Signature g1 = allreduce_sig({9, 8});
  g0.op = g1.op = OpType::allgather;
  const Request a = request("g", g0), b = request("g", g1);
  EXPECT_FALSE(find_disagreement("g", {&a, &b}));
}

TEST(Coordinator, ReadyWhenEveryNonJoinedRankSubmitted) {
  Coordinator c(3);
  const auto now = Coordinator::Clock::now();
  c.add(0, request("x", allreduce_sig({2})), now);
  c.add(2, request("x", allreduce_sig({2})), now);
  EXPECT_TRUE(c.take_ready({false, false, false}).empty());
  const auto waiting = c.waiting({false, false, false});
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(waiting[0].missing, std::vector<int>{1});
  // Rank 1 joins: x runs with the two contributions.
  const auto ready = c.take_ready({false, true, false});
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].kind, ResponseKind::run);
  EXPECT_EQ(ready[0].contributors, 2);
  EXPECT_TRUE(c.empty());
}

TEST(Coordinator, KeepsArrivalOrderAndAnswersShutdownFirst) {
  Coordinator c(2);
  const auto now = Coordinator::Clock::now();
  for (const char* n : {"b", "a", "c"}) c.add(0, request(n, allreduce_sig({1})), now);
  for (const char* n : {"c", "a", "b"}) c.add(1, request(n, allreduce_sig({1})), now);
  Request stop = request("ringtail.shutdown", {});
  stop.signature.op = OpType::shutdown;
  stop.detail = "bye";
  c.add(1, stop, now);
  const auto ready = c.take_ready({false, false});
  ASSERT_EQ(ready.size(), 4u);
  EXPECT_EQ(ready[0].kind, ResponseKind::shutdown);
  EXPECT_EQ(ready[0].message, "bye");
  EXPECT_EQ(ready[1].name, "b");
  EXPECT_EQ(ready[2].name, "a");
  EXPECT_EQ(ready[3].name, "c");
}

TEST(Coordinator, BroadcastFromAJoinedRootIsAnError) {
  Coordinator c(2);
  Signature s = allreduce_sig({3});
  s.op = OpType::broadcast;
  s.root = 1;
  c.add(0, request("b", s), Coordinator::Clock::now());
  const auto ready = c.take_ready({false, true});
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].kind, ResponseKind::error);
  EXPECT_NE(ready[0].message.find("root rank 1 has joined"), std::string::npos);
}

Response response(const std::string& name, Shape shape = {4}) {
  Response p;
  p.name = name;
  p.signature = allreduce_sig(std::move(shape));
  return p;
}

TEST(ResponseCache, HitMissStaleAndLowestFreeSlot) {
  ResponseCache cache(8);
  EXPECT_EQ(cache.lookup("a", allreduce_sig({4})).result, ResponseCache::Lookup::miss);
  EXPECT_EQ(cache.put(response("a")).slot, 0u);
  EXPECT_EQ(cache.put(response("b")).slot, 1u);
  EXPECT_EQ(cache.put(response("c")).slot, 2u);
  EXPECT_EQ(cache.lookup("b", allreduce_sig({4})).result, ResponseCache::Lookup::hit);
  EXPECT_EQ(cache.lookup("b", allreduce_sig({4})).slot, 1u);
  EXPECT_EQ(cache.lookup("b", allreduce_sig({5})).result, ResponseCache::Lookup::stale);
  cache.erase(1);
  EXPECT_EQ(cache.slot_count(), 3u);
  EXPECT_EQ(cache.put(response("d")).slot, 1u);
  cache.erase(2);
  EXPECT_EQ(cache.slot_count(), 2u);  // trailing free slots trimmed: a shorter bit vector
}

TEST(ResponseCache, EvictsTheLeastRecentlyUsed) {
  ResponseCache cache(3);
  cache.put(response("a"));
  cache.put(response("b"));
  cache.put(response("c"));
  cache.touch(cache.lookup("a", allreduce_sig({4})).slot);
  const auto put = cache.put(response("d"));
  ASSERT_TRUE(put.evicted);
  EXPECT_EQ(*put.evicted, 1u);  // b
  EXPECT_EQ(put.slot, 1u);
  EXPECT_EQ(cache.lookup("b", allreduce_sig({4})).result, ResponseCache::Lookup::miss);
  EXPECT_EQ(cache.lookup("a", allreduce_sig({4})).result, ResponseCache::Lookup::hit);
  EXPECT_EQ(cache.size(), 3u);
}

TEST(ResponseCache, AutomaticCapacityGrowsInsteadOfThrashing) {
  ResponseCache cache(0);
  const std::size_t n = ResponseCache::kInitialCapacity + 100;
  // Two passes over a working set larger than the initial capacity.
  std::size_t evictions_second_pass = 0;
  for (int pass = 0; pass < 2; ++pass) {
    for (std::size_t i = 0; i < n; ++i) {
      const std::string name = "t" + std::to_string(i);
      if (cache.lookup(name, allreduce_sig({4})).result == ResponseCache::Lookup::hit) continue;
      if (cache.put(response(name)).evicted && pass == 1) ++evictions_second_pass;
    }
  }
  EXPECT_GE(cache.capacity(), n);
  EXPECT_LT(evictions_second_pass, 10u);
  for (std::size_t i = 0; i < n; ++i) {
    EXPECT_EQ(cache.lookup("t" + std::to_string(i), allreduce_sig({4})).result,
              ResponseCache::Lookup::hit);
  }
}

TEST(ResponseCache, FixedCapacityStaysFixed) {
  ResponseCache cache(4);
  for (int pass = 0; pass < 3; ++pass) {
    for (int i = 0; i < 6; ++i) cache.put(response("t" + std::to_string(i)));
  }
  EXPECT_EQ(cache.capacity(), 4u);
  EXPECT_EQ(cache.size(), 4u);
}

}  // namespace
}  // namespace ringtail::core::detail
