// Multi-rank tests of the LibTorch adapter (frameworks.torch.<backend>.np<N>).
// The central one is data-parallel equivalence: training on N ranks, each on
// its shard of a fixed batch, must end with the parameters one process gets on
// the whole batch. Models run in float64 so the comparison can be tight enough
// to catch gradients that are not averaged, averaged twice or applied late.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <functional>
#include <thread>

#include "ringtail/torch/ringtail.h"
#include "ringtail_test/ranks.h"
#include "torch_test_context.h"

// Outside namespace ringtail so that `torch::` (in LibTorch's own macros) means
// LibTorch, not ringtail::torch.
namespace ringtail_torch_test {
namespace {

using namespace ringtail::torch;
namespace coll = ringtail::coll;
namespace core = ringtail::core;
using ringtail::Error;
using ringtail::ErrorKind;
using ringtail::test::run_on_ranks;

struct NetImpl : ::torch::nn::Module {
  NetImpl() {
    fc1 = register_module("fc1", ::torch::nn::Linear(6, 12));
    fc2 = register_module("fc2", ::torch::nn::Linear(12, 3));
    unused = register_module("unused", ::torch::nn::Linear(3, 3));
  }
  at::Tensor forward(const at::Tensor& x) { return fc2(::torch::tanh(fc1(x))); }
  ::torch::nn::Linear fc1{nullptr}, fc2{nullptr}, unused{nullptr};
};
TORCH_MODULE(Net);

Net make_net(std::uint64_t seed) {
  ::torch::manual_seed(seed);
  Net net;
  net->to(at::kDouble);
  return net;
}

// A fixed batch of 24 samples (divisible by 1, 2, 3 and 4 ranks).
std::pair<at::Tensor, at::Tensor> fixed_batch() {
  ::torch::manual_seed(1234);
  at::Tensor x = ::torch::randn({24, 6}, at::kDouble);
  at::Tensor y = ::torch::randn({24, 3}, at::kDouble);
  return {x, y};
}

at::Tensor shard(const at::Tensor& t, int rank, int size) {
  const std::int64_t per = t.size(0) / size;
  return t.narrow(0, rank * per, per);
}

enum class Kind { sgd_momentum, adam };

std::shared_ptr<::torch::optim::Optimizer> make_optimizer(Net& net, Kind kind) {
  if (kind == Kind::sgd_momentum) {
    return std::make_shared<::torch::optim::SGD>(net->parameters(),
                                                 ::torch::optim::SGDOptions(0.1).momentum(0.9));
  }
  return std::make_shared<::torch::optim::Adam>(net->parameters(), ::torch::optim::AdamOptions(0.05));
}

// One process trained on the whole batch: the reference.
std::vector<at::Tensor> train_reference(Kind kind, int steps) {
  Net net = make_net(7);
  auto opt = make_optimizer(net, kind);
  auto [x, y] = fixed_batch();
  for (int s = 0; s < steps; ++s) {
    opt->zero_grad();
    ::torch::mse_loss(net->forward(x), y).backward();
    opt->step();
  }
  std::vector<at::Tensor> out;
  for (auto& p : net->parameters()) out.push_back(p.detach().clone());
  return out;
}

void expect_params_near(const std::vector<at::Tensor>& got, const std::vector<at::Tensor>& want,
                        double tolerance) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double diff = (got[i] - want[i]).abs().max().item<double>();
    EXPECT_LE(diff, tolerance) << "parameter " << i << " differs from the reference by " << diff;
  }
}

class Equivalence : public ::testing::TestWithParam<Kind> {};

TEST_P(Equivalence, ShardedTrainingMatchesOneProcessOnTheWholeBatch) {
  const Kind kind = GetParam();
  run_on_ranks([kind](coll::Communicator& world) {
    auto ctx = make_context(world);
    const int steps = 5;
    const std::vector<at::Tensor> reference = train_reference(kind, steps);

    Net net = make_net(7);
    auto opt = make_optimizer(net, kind);
    DistributedOptimizer dist(*ctx, opt, net->named_parameters());
    auto [x, y] = fixed_batch();
    const at::Tensor xs = shard(x, ctx->rank(), ctx->size());
    const at::Tensor ys = shard(y, ctx->rank(), ctx->size());
    for (int s = 0; s < steps; ++s) {
      dist.zero_grad();
      ::torch::mse_loss(net->forward(xs), ys).backward();
      dist.step();
    }
    std::vector<at::Tensor> params;
    for (auto& p : net->parameters()) params.push_back(p.detach().clone());
    expect_params_near(params, reference, 1e-9);

    // After step() the ranks hold bitwise identical parameters.
    for (const auto& item : net->named_parameters()) {
      const at::Tensor all = allgather(*ctx, item.value().detach().unsqueeze(0), "check." + item.key());
      for (int r = 1; r < ctx->size(); ++r) {
        EXPECT_TRUE(::torch::equal(all[r], all[0])) << item.key() << " differs on rank " << r;
      }
    }
  });
}

INSTANTIATE_TEST_SUITE_P(Optimizers, Equivalence, ::testing::Values(Kind::sgd_momentum, Kind::adam),
                         [](const auto& info) {
                           return info.param == Kind::adam ? std::string("adam") : std::string("sgd_momentum");
                         });

TEST(DistributedOptimizer, SummingInsteadOfAveragingDoesNotMatchTheReference) {
  // Guards the equivalence test itself: with op=sum the gradients are N times
  // too large, and the comparison must notice.
  run_on_ranks([](coll::Communicator& world) {
    if (world.size() == 1) return;
    auto ctx = make_context(world);
    const std::vector<at::Tensor> reference = train_reference(Kind::sgd_momentum, 2);
    Net net = make_net(7);
    auto opt = make_optimizer(net, Kind::sgd_momentum);
    DistributedOptimizerOptions options;
    options.op = coll::ReduceOp::sum;
    DistributedOptimizer dist(*ctx, opt, net->named_parameters(), options);
    auto [x, y] = fixed_batch();
    for (int s = 0; s < 2; ++s) {
      dist.zero_grad();
      ::torch::mse_loss(net->forward(shard(x, ctx->rank(), ctx->size())), shard(y, ctx->rank(), ctx->size())).backward();
      dist.step();
    }
    double worst = 0;
    const auto params = net->parameters();
    for (std::size_t i = 0; i < params.size(); ++i) {
      worst = std::max(worst, (params[i].detach() - reference[i]).abs().max().item<double>());
    }
    EXPECT_GT(worst, 1e-3);
  });
}

TEST(DistributedOptimizer, BackwardPassesPerStepMatchesOneLargerBatch) {
  run_on_ranks([](coll::Communicator& world) {
    auto ctx = make_context(world);
    const std::vector<at::Tensor> reference = train_reference(Kind::sgd_momentum, 3);
    Net net = make_net(7);
    auto opt = make_optimizer(net, Kind::sgd_momentum);
    DistributedOptimizerOptions options;
    options.backward_passes_per_step = 2;
    DistributedOptimizer dist(*ctx, opt, net->named_parameters(), options);
    auto [x, y] = fixed_batch();
    const at::Tensor xs = shard(x, ctx->rank(), ctx->size());
    const at::Tensor ys = shard(y, ctx->rank(), ctx->size());
    for (int s = 0; s < 3; ++s) {
      dist.zero_grad();
      for (int pass = 0; pass < 2; ++pass) {
        ::torch::mse_loss(net->forward(shard(xs, pass, 2)), shard(ys, pass, 2)).backward();
      }
      dist.step();
    }
    std::vector<at::Tensor> params;
    for (auto& p : net->parameters()) params.push_back(p.detach().clone());
    expect_params_near(params, reference, 1e-9);
  });
}

TEST(DistributedOptimizer, CompressionStaysWithinTheDtypesError) {
  for (Compression c : {Compression::fp16, Compression::bf16}) {
    run_on_ranks([c](coll::Communicator& world) {
      auto ctx = make_context(world);
      const std::vector<at::Tensor> reference = train_reference(Kind::sgd_momentum, 1);
      Net net = make_net(7);
      auto opt = make_optimizer(net, Kind::sgd_momentum);
      DistributedOptimizerOptions options;
      options.compression = c;
      DistributedOptimizer dist(*ctx, opt, net->named_parameters(), options);
      auto [x, y] = fixed_batch();
      dist.zero_grad();
      ::torch::mse_loss(net->forward(shard(x, ctx->rank(), ctx->size())), shard(y, ctx->rank(), ctx->size())).backward();
      dist.step();
      std::vector<at::Tensor> params;
      for (auto& p : net->parameters()) params.push_back(p.detach().clone());
      // lr 0.1 times a gradient of order 1, rounded to 11 (fp16) or 8 (bf16) bits.
      expect_params_near(params, reference, c == Compression::fp16 ? 2e-3 : 1.5e-2);
    });
  }
}

TEST(DistributedOptimizer, GradientPredivideFactorLeavesTheResultUnchanged) {
  // Divided by 3 before the allreduce, multiplied by 3 after: the same average.
  run_on_ranks([](coll::Communicator& world) {
    auto ctx = make_context(world);
    const std::vector<at::Tensor> reference = train_reference(Kind::sgd_momentum, 2);
    Net net = make_net(7);
    auto opt = make_optimizer(net, Kind::sgd_momentum);
    DistributedOptimizerOptions options;
    options.gradient_predivide_factor = 3.0;
    DistributedOptimizer dist(*ctx, opt, net->named_parameters(), options);
    auto [x, y] = fixed_batch();
    for (int s = 0; s < 2; ++s) {
      dist.zero_grad();
      ::torch::mse_loss(net->forward(shard(x, ctx->rank(), ctx->size())), shard(y, ctx->rank(), ctx->size())).backward();
      dist.step();
    }
    std::vector<at::Tensor> params;
    for (auto& p : net->parameters()) params.push_back(p.detach().clone());
    expect_params_near(params, reference, 1e-9);
  });
}

TEST(DistributedOptimizer, ParametersWithoutGradientsDoNotHang) {
  run_on_ranks([](coll::Communicator& world) {
    auto ctx = make_context(world);
    Net net = make_net(7);
    auto opt = make_optimizer(net, Kind::sgd_momentum);
    DistributedOptimizer dist(*ctx, opt, net->named_parameters());
    auto [x, y] = fixed_batch();
    for (int s = 0; s < 2; ++s) {
      dist.zero_grad();
      at::Tensor out = net->forward(shard(x, ctx->rank(), ctx->size()));
      // Only rank 0 uses the extra layer, so its gradients exist on rank 0 alone.
      if (ctx->rank() == 0) out = net->unused->forward(out);
      ::torch::mse_loss(out, shard(y, ctx->rank(), ctx->size())).backward();
      dist.step();
    }
    const at::Tensor w = net->unused->weight.detach().unsqueeze(0);
    const at::Tensor all = allgather(*ctx, w, "check.unused");
    for (int r = 1; r < ctx->size(); ++r) EXPECT_TRUE(::torch::equal(all[r], all[0]));
  });
}

TEST(DistributedOptimizer, AllreducesOfLastLayerGradientsOverlapBackward) {
  run_on_ranks([](coll::Communicator& world) {
    auto ctx = make_context(world);
    // A wide first layer makes the end of backward (its weight gradient, which
    // autograd computes last) much longer than a small allreduce.
    ::torch::manual_seed(3);
    auto first = ::torch::nn::Linear(512, 512);
    auto last = ::torch::nn::Linear(512, 4);
    ::torch::nn::Sequential model(first, ::torch::nn::Tanh(), last);
    auto opt = std::make_shared<::torch::optim::SGD>(model->parameters(), 0.01);
    DistributedOptimizer dist(*ctx, opt, model->named_parameters());
    const at::Tensor x = ::torch::randn({1024, 512});
    bool overlapped = false;
    for (int attempt = 0; attempt < 5 && !overlapped; ++attempt) {
      dist.zero_grad();
      model->forward(x).sum().backward();
      const auto backward_done = std::chrono::steady_clock::now();
      dist.step();
      int completed_during_backward = 0;
      for (const auto& t : dist.last_timings()) {
        if (t.completed < backward_done) ++completed_during_backward;
      }
      // Every rank must see it: agree on the attempt.
      overlapped = metric_average(*ctx, completed_during_backward > 0 ? 1.0 : 0.0,
                                  "overlap." + std::to_string(attempt)) == 1.0;
    }
    EXPECT_TRUE(overlapped) << "no gradient allreduce completed before backward returned";
    // The last layer's gradients are submitted first: hooks fire as backward
    // goes, not all at its end.
    const auto timings = dist.last_timings();
    const auto submitted = [&](const std::string& name) {
      for (const auto& t : timings) {
        if (t.name == name) return t.submitted;
      }
      ADD_FAILURE() << "no timing for " << name;
      return std::chrono::steady_clock::time_point{};
    };
    EXPECT_LT(submitted("grad.2.weight"), submitted("grad.0.weight"));
  });
}

// Every optimizer broadcast_optimizer_state promises, each with the options
// that give it the most per-parameter state.
std::vector<std::pair<std::string, std::function<std::shared_ptr<::torch::optim::Optimizer>(Net&)>>>
optimizers_with_state() {
  namespace optim = ::torch::optim;
  return {
      {"sgd", [](Net& n) { return std::make_shared<optim::SGD>(n->parameters(), optim::SGDOptions(0.1).momentum(0.9)); }},
      {"adam", [](Net& n) { return std::make_shared<optim::Adam>(n->parameters(), optim::AdamOptions(0.05).amsgrad(true)); }},
      {"adamw", [](Net& n) { return std::make_shared<optim::AdamW>(n->parameters(), optim::AdamWOptions(0.05)); }},
      {"rmsprop", [](Net& n) {
         return std::make_shared<optim::RMSprop>(n->parameters(),
                                                 optim::RMSpropOptions(0.01).momentum(0.9).centered(true));
       }},
      {"adagrad", [](Net& n) { return std::make_shared<optim::Adagrad>(n->parameters(), optim::AdagradOptions(0.1)); }},
  };
}

TEST(Broadcast, ParametersAndOptimizerStateFromDifferentSeedsBecomeIdentical) {
  for (const auto& [kind, make] : optimizers_with_state()) {
    SCOPED_TRACE(kind);
    run_on_ranks([&kind = kind, &make = make](coll::Communicator& world) {
      auto ctx = make_context(world);
      Net net = make_net(100 + static_cast<std::uint64_t>(ctx->rank()));
      auto opt = make(net);
      auto [x, y] = fixed_batch();
      // Only the root has optimizer state (and a different learning rate).
      if (ctx->rank() == 0) {
        ::torch::mse_loss(net->forward(x), y).backward();
        opt->step();
        opt->zero_grad();
        opt->param_groups()[0].options().set_lr(0.02);
      }
      broadcast_parameters(*ctx, net->named_parameters(), 0);
      broadcast_optimizer_state(*ctx, *opt, 0);
      EXPECT_DOUBLE_EQ(opt->param_groups()[0].options().get_lr(), 0.02) << kind;
      // Identical parameters, state and gradients give identical next steps;
      // a rank without root's state (momentum, moments, step count) diverges.
      opt->zero_grad();
      ::torch::mse_loss(net->forward(x), y).backward();
      opt->step();
      for (const auto& item : net->named_parameters()) {
        const at::Tensor all = allgather(*ctx, item.value().detach().unsqueeze(0), "bcheck." + item.key());
        for (int r = 1; r < ctx->size(); ++r) {
          EXPECT_TRUE(::torch::equal(all[r], all[0])) << kind << ": " << item.key() << " differs on rank " << r;
        }
      }
    });
  }
}

TEST(Broadcast, ObjectsAndMetricAverage) {
  run_on_ranks([](coll::Communicator& world) {
    auto ctx = make_context(world);
    const c10::IValue mine = ctx->rank() == 1 % ctx->size() ? c10::IValue(std::string("epoch 7")) : c10::IValue(0);
    const c10::IValue got = broadcast_object(*ctx, mine, 1 % ctx->size(), "epoch");
    ASSERT_TRUE(got.isString());
    EXPECT_EQ(got.toStringRef(), "epoch 7");
    const double avg = metric_average(*ctx, static_cast<double>(ctx->rank()), "rank");
    EXPECT_DOUBLE_EQ(avg, (ctx->size() - 1) / 2.0);
  });
}

TEST(Ops, EveryDtypeAllreducesAndCollectivesReturnTheRightShapes) {
  run_on_ranks([](coll::Communicator& world) {
    auto ctx = make_context(world);
    const int n = ctx->size();
    const int me = ctx->rank();
    for (auto type : {at::kHalf, at::kBFloat16, at::kFloat, at::kDouble, at::kChar, at::kByte, at::kInt, at::kLong}) {
      const at::Tensor t = at::full({5, 3}, me + 1, at::TensorOptions().dtype(type));
      const at::Tensor sum = allreduce(*ctx, t, std::string("dtype.") + c10::toString(type), coll::ReduceOp::sum);
      EXPECT_TRUE(::torch::equal(sum, at::full({5, 3}, n * (n + 1) / 2, at::TensorOptions().dtype(type))))
          << c10::toString(type);
      EXPECT_TRUE(::torch::equal(t, at::full({5, 3}, me + 1, at::TensorOptions().dtype(type))))
          << "allreduce changed its input";
    }
    // Allgather with a different first dimension per rank.
    const at::Tensor mine = at::full({me + 1, 2}, static_cast<double>(me), at::kDouble);
    const at::Tensor gathered = allgather(*ctx, mine, "gather.uneven");
    EXPECT_EQ(gathered.size(0), n * (n + 1) / 2);
    EXPECT_EQ(gathered[gathered.size(0) - 1][0].item<double>(), n - 1);
    // Broadcast.
    const at::Tensor b = broadcast(*ctx, at::full({4}, static_cast<float>(me)), n - 1, "bcast");
    EXPECT_TRUE(::torch::equal(b, at::full({4}, static_cast<float>(n - 1))));
    // Alltoall: one row to every rank, carrying the sender's rank.
    const at::Tensor rows = at::full({n, 2}, static_cast<float>(me));
    std::vector<std::int64_t> received;
    const at::Tensor swapped = alltoall(*ctx, rows, "a2a", {}, &received);
    ASSERT_EQ(swapped.size(0), n);
    for (int r = 0; r < n; ++r) EXPECT_EQ(swapped[r][0].item<float>(), static_cast<float>(r));
    EXPECT_EQ(received, std::vector<std::int64_t>(n, 1));
    // Reducescatter: each rank gets its rows of the sum.
    const at::Tensor rs = reducescatter(*ctx, at::ones({2 * n, 3}), "rs", coll::ReduceOp::sum);
    EXPECT_EQ(rs.size(0), 2);
    EXPECT_EQ(rs[0][0].item<float>(), static_cast<float>(n));
    // Grouped allreduce and async handles.
    const auto grouped = grouped_allreduce(*ctx, {at::ones({3}), at::ones({7})}, {"g.a", "g.b"});
    EXPECT_TRUE(::torch::equal(grouped[1], at::ones({7})));
    Handle h = allreduce_async(*ctx, at::ones({2}), "async", coll::ReduceOp::sum);
    const at::Tensor r = synchronize(h);
    EXPECT_TRUE(poll(h));
    EXPECT_TRUE(::torch::equal(r, at::full({2}, static_cast<float>(n))));
    barrier(*ctx);
  });
}

TEST(Ops, ShapeMismatchSurfacesAsRingtailErrorAndTheNextOpWorks) {
  run_on_ranks([](coll::Communicator& world) {
    auto ctx = make_context(world);
    if (ctx->size() == 1) return;
    const at::Tensor t = at::ones({ctx->rank() == 0 ? 3 : 4});
    try {
      allreduce(*ctx, t, "mismatched");
      ADD_FAILURE() << "a shape mismatch was not reported";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::mismatch);
      EXPECT_NE(std::string(e.what()).find("mismatched"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(::torch::equal(allreduce(*ctx, at::ones({2}), "after", coll::ReduceOp::sum),
                               at::full({2}, static_cast<float>(ctx->size()))));
    EXPECT_THROW(allreduce(*ctx, at::ones({2}, at::kBool), "bool"), Error);
    // Out of place, a strided tensor is copied; in place it cannot be written.
    at::Tensor strided = at::ones({4, 4}).t();
    EXPECT_TRUE(::torch::equal(allreduce(*ctx, strided, "strided", coll::ReduceOp::sum),
                               at::full({4, 4}, static_cast<float>(ctx->size()))));
    EXPECT_THROW(allreduce_async_(*ctx, strided, "strided.in_place"), Error);
  });
}

TEST(Ops, JoinReturnsTheLastRankToJoin) {
  run_on_ranks([](coll::Communicator& world) {
    auto ctx = make_context(world);
    const int last = ctx->size() - 1;
    // Every rank but the last joins at once; the last allreduces twice first,
    // with the joined ranks standing in as zeros.
    if (ctx->rank() == last) {
      for (int i = 0; i < 2; ++i) {
        const at::Tensor r = allreduce(*ctx, at::ones({3}), "join.step" + std::to_string(i), coll::ReduceOp::sum);
        EXPECT_TRUE(::torch::equal(r, at::ones({3})));
      }
    }
    EXPECT_EQ(join(*ctx), last);
  });
}

}  // namespace
}  // namespace ringtail_torch_test
