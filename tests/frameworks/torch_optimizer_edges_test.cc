// Multi-rank tests of DistributedOptimizer and broadcast_parameters in the
// situations an existing LibTorch training loop brings along: synchronize()
// before step() (gradient clipping), channels-last (non-contiguous) weights,
// weights tied between modules, zero_grad() in unusual places, parameters the
// DistributedOptimizer was not told about, and parameters frozen after it was
// built. Gradients are small integers so every expected value is exact, in
// fp16 and bf16 too.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "ringtail/torch/ringtail.h"
#include "ringtail_test/ranks.h"
#include "torch_test_context.h"

namespace ringtail_torch_test {
namespace {

using namespace ringtail::torch;
namespace coll = ringtail::coll;
namespace core = ringtail::core;
using ringtail::Error;
using ringtail::ErrorKind;
using ringtail::test::run_on_ranks;

// The gradient rank r contributes: an integer matrix that differs per rank.
at::Tensor contribution(int rank, std::int64_t rows, std::int64_t cols) {
  return (at::arange(rows * cols, at::kDouble).reshape({rows, cols}) + 1) * (rank + 1);
}

// The average of every rank's contribution.
at::Tensor average_contribution(int size, std::int64_t rows, std::int64_t cols) {
  at::Tensor sum = at::zeros({rows, cols}, at::kDouble);
  for (int r = 0; r < size; ++r) sum += contribution(r, rows, cols);
  return sum / size;
}

// loss = sum(w * c): its gradient with respect to w is c, whatever w's layout.
void backward_with(const at::Tensor& w, const at::Tensor& c) { (w * c.to(w.scalar_type())).sum().backward(); }

std::shared_ptr<::torch::optim::SGD> plain_sgd(const std::vector<at::Tensor>& params, double lr = 1.0) {
  return std::make_shared<::torch::optim::SGD>(params, ::torch::optim::SGDOptions(lr));
}

void expect_equal(const at::Tensor& got, const at::Tensor& want, const std::string& what) {
  const double diff = (got.detach().to(at::kDouble) - want).abs().max().item<double>();
  EXPECT_EQ(diff, 0.0) << what << ": got\n" << got << "\nwant\n" << want;
}

TEST(DistributedOptimizerEdges, SynchronizeThenStepReducesGradientsOnce) {
  // Gradient clipping between synchronize() and step() is the reason
  // synchronize() exists; step() must not reduce the gradients a second time
  // (that multiplies sums by the rank count and divides accumulated
  // gradients by backward_passes_per_step twice).
  for (const auto& [op, passes] : {std::pair{coll::ReduceOp::sum, 1}, std::pair{coll::ReduceOp::average, 2}}) {
    run_on_ranks([op = op, passes = passes](coll::Communicator& world) {
      auto ctx = make_context(world);
      const int n = ctx->size();
      at::Tensor w = at::zeros({2, 3}, at::kDouble).set_requires_grad(true);
      ::torch::OrderedDict<std::string, at::Tensor> named;
      named.insert("w", w);
      DistributedOptimizerOptions options;
      options.op = op;
      options.backward_passes_per_step = passes;
      DistributedOptimizer dist(*ctx, plain_sgd({w}), named, options);
      for (int p = 0; p < passes; ++p) backward_with(w, contribution(ctx->rank(), 2, 3));
      dist.synchronize();
      const at::Tensor want = op == coll::ReduceOp::sum ? average_contribution(n, 2, 3) * n
                                                        : average_contribution(n, 2, 3);
      expect_equal(w.grad(), want, "gradient after synchronize()");
      dist.step();
      expect_equal(w, -want, "parameter after synchronize() and step()");
    });
  }
}

// A weight in channels-last layout (as model->to(at::MemoryFormat::ChannelsLast)
// gives convolutions): autograd gives its gradient the same, non-contiguous, strides.
at::Tensor channels_last_weight(std::uint64_t seed) {
  ::torch::manual_seed(seed);
  return ::torch::randn({2, 3, 2, 2}, at::kDouble).contiguous(at::MemoryFormat::ChannelsLast).set_requires_grad(true);
}

TEST(DistributedOptimizerEdges, NonContiguousGradientsAreReduced) {
  for (Compression c : {Compression::none, Compression::fp16, Compression::bf16}) {
    run_on_ranks([c](coll::Communicator& world) {
      auto ctx = make_context(world);
      at::Tensor w = channels_last_weight(5);
      ASSERT_FALSE(w.is_contiguous());
      const at::Tensor start = w.detach().clone();
      ::torch::OrderedDict<std::string, at::Tensor> named;
      named.insert("conv.weight", w);
      DistributedOptimizerOptions options;
      options.compression = c;
      DistributedOptimizer dist(*ctx, plain_sgd({w}), named, options);
      const auto c_of = [](int rank) { return contribution(rank, 6, 4).reshape({2, 3, 2, 2}); };
      dist.zero_grad();
      backward_with(w, c_of(ctx->rank()));
      ASSERT_FALSE(w.grad().is_contiguous());
      dist.step();
      at::Tensor want = at::zeros({2, 3, 2, 2}, at::kDouble);
      for (int r = 0; r < ctx->size(); ++r) want += c_of(r);
      want /= ctx->size();
      expect_equal(w.grad(), want, "averaged gradient");
      expect_equal(w, start - want, "parameter");
    });
  }
}

TEST(DistributedOptimizerEdges, BroadcastParametersAcceptsChannelsLastTensors) {
  run_on_ranks([](coll::Communicator& world) {
    auto ctx = make_context(world);
    at::Tensor w = channels_last_weight(10 + static_cast<std::uint64_t>(ctx->rank()));
    ::torch::OrderedDict<std::string, at::Tensor> named;
    named.insert("conv.weight", w);
    broadcast_parameters(*ctx, named, 0);
    expect_equal(w, channels_last_weight(10).detach().to(at::kDouble), "broadcast weight");
    EXPECT_FALSE(w.is_contiguous()) << "the layout changed";
  });
}

// A weight shared by two submodules: LibTorch's named_parameters() lists it
// under both names (it does not remove duplicates as PyTorch does).
struct TiedImpl : ::torch::nn::Module {
  explicit TiedImpl(const at::Tensor& shared) { w = register_parameter("w", shared); }
  at::Tensor w;
};
TORCH_MODULE(Tied);

struct TwoHeadsImpl : ::torch::nn::Module {
  TwoHeadsImpl() {
    at::Tensor shared = at::zeros({2, 3}, at::kDouble);
    a = register_module("a", Tied(shared));
    b = register_module("b", Tied(a->w));
  }
  Tied a{nullptr}, b{nullptr};
};
TORCH_MODULE(TwoHeads);

TEST(DistributedOptimizerEdges, BroadcastParametersCarriesBoolBuffers) {
  run_on_ranks([](coll::Communicator& world) {
    auto ctx = make_context(world);
    // Root's mask alternates; the others start all true.
    at::Tensor mask = ctx->rank() == 0 ? at::arange(10).remainder(2).eq(0) : at::ones({10}, at::kBool);
    ::torch::OrderedDict<std::string, at::Tensor> named;
    named.insert("mask", mask);
    broadcast_parameters(*ctx, named, 0);
    ASSERT_EQ(mask.scalar_type(), at::kBool);
    for (std::int64_t i = 0; i < 10; ++i) EXPECT_EQ(mask[i].item<bool>(), i % 2 == 0) << "element " << i;
  });
}

TEST(DistributedOptimizerEdges, BroadcastOptimizerStateDropsStateRootDoesNotHave) {
  run_on_ranks([](coll::Communicator& world) {
    auto ctx = make_context(world);
    at::Tensor w = at::ones({3}, at::kDouble).set_requires_grad(true);
    ::torch::optim::SGD sgd({w}, ::torch::optim::SGDOptions(0.1).momentum(0.9));
    if (ctx->rank() != 0) {
      // A step only the other ranks took leaves them a momentum buffer.
      w.mutable_grad() = at::ones({3}, at::kDouble);
      sgd.step();
      ASSERT_EQ(sgd.state().size(), 1u);
    }
    broadcast_optimizer_state(*ctx, sgd, 0);
    EXPECT_EQ(sgd.state().size(), 0u) << "rank " << ctx->rank() << " kept state root does not have";
  });
}

TEST(DistributedOptimizerEdges, AWeightListedUnderTwoNamesIsReducedOnce) {
  // Without fusion the engine runs the two names' allreduces one after the
  // other on the same gradient, so a second reduction would show.
  run_on_ranks([](coll::Communicator& world) {
    auto ctx = make_context(world, 0);
    TwoHeads model;
    const auto named = model->named_parameters();
    ASSERT_EQ(named.size(), 2u);
    ASSERT_TRUE(named[0].value().is_same(named[1].value()));
    at::Tensor w = model->a->w;
    DistributedOptimizerOptions options;
    options.op = coll::ReduceOp::sum;
    options.backward_passes_per_step = 2;
    DistributedOptimizer dist(*ctx, plain_sgd({w}), named, options);
    for (int pass = 0; pass < 2; ++pass) backward_with(w, contribution(ctx->rank(), 2, 3));
    dist.step();
    // Sum over ranks of two passes' accumulation, divided by 2 passes.
    expect_equal(w, -average_contribution(ctx->size(), 2, 3) * ctx->size(), "parameter");
    // One allreduce, not one per name (a tied embedding is often the largest tensor).
    const auto timings = dist.last_timings();
    ASSERT_EQ(timings.size(), 1u);
    EXPECT_EQ(timings[0].name, "grad.a.w");
  });
}

TEST(DistributedOptimizerEdges, ZeroGradWhileAllreducesAreInFlightIsAnError) {
  run_on_ranks([](coll::Communicator& world) {
    auto ctx = make_context(world);
    at::Tensor w = at::zeros({2, 3}, at::kDouble).set_requires_grad(true);
    ::torch::OrderedDict<std::string, at::Tensor> named;
    named.insert("w", w);
    DistributedOptimizer dist(*ctx, plain_sgd({w}), named);
    backward_with(w, contribution(ctx->rank(), 2, 3));
    // The allreduce writes into the gradient zero_grad() would clear.
    try {
      dist.zero_grad();
      ADD_FAILURE() << "zero_grad() between backward() and step() was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::invalid_argument);
      EXPECT_NE(std::string(e.what()).find("zero_grad"), std::string::npos) << e.what();
    }
    dist.step();
    expect_equal(w, -average_contribution(ctx->size(), 2, 3), "parameter");
  });
}

TEST(DistributedOptimizerEdges, StepAfterItsContextEndedIsAnError) {
  // shutdown() ends the default context while the program may still hold an
  // optimizer built on it: a step must say so, not use the freed engine.
  run_on_ranks([](coll::Communicator& world) {
    auto ctx = make_context(world);
    at::Tensor w = at::zeros({2, 3}, at::kDouble).set_requires_grad(true);
    ::torch::OrderedDict<std::string, at::Tensor> named;
    named.insert("w", w);
    DistributedOptimizer dist(*ctx, plain_sgd({w}), named);
    ctx.reset();
    try {
      dist.step();
      ADD_FAILURE() << "step() after the context ended was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::shut_down);
      EXPECT_NE(std::string(e.what()).find("context"), std::string::npos) << e.what();
    }
  });
}

TEST(DistributedOptimizerEdges, ZeroGradDuringAccumulationStartsTheCountAgain) {
  // A loop that drops a micro-batch (say, a non-finite loss) with zero_grad()
  // must then accumulate backward_passes_per_step fresh passes.
  run_on_ranks([](coll::Communicator& world) {
    auto ctx = make_context(world);
    at::Tensor w = at::zeros({2, 3}, at::kDouble).set_requires_grad(true);
    ::torch::OrderedDict<std::string, at::Tensor> named;
    named.insert("w", w);
    DistributedOptimizerOptions options;
    options.backward_passes_per_step = 2;
    DistributedOptimizer dist(*ctx, plain_sgd({w}), named, options);
    backward_with(w, contribution(ctx->rank(), 2, 3) * 100);  // dropped
    dist.zero_grad();
    for (int pass = 0; pass < 2; ++pass) backward_with(w, contribution(ctx->rank(), 2, 3));
    dist.step();
    expect_equal(w, -average_contribution(ctx->size(), 2, 3), "parameter");
  });
}

TEST(DistributedOptimizerEdges, AnOptimizerParameterMissingFromNamedParametersIsAnError) {
  // Its gradient would never be reduced and the ranks would drift apart.
  run_on_ranks([](coll::Communicator& world) {
    auto ctx = make_context(world);
    at::Tensor named_w = at::zeros({2}, at::kDouble).set_requires_grad(true);
    at::Tensor extra = at::zeros({3}, at::kDouble).set_requires_grad(true);
    ::torch::OrderedDict<std::string, at::Tensor> named;
    named.insert("w", named_w);
    try {
      DistributedOptimizer dist(*ctx, plain_sgd({named_w, extra}), named);
      ADD_FAILURE() << "an unnamed parameter was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::invalid_argument);
      EXPECT_NE(std::string(e.what()).find("named_parameters"), std::string::npos) << e.what();
    }
    // A frozen parameter the optimizer holds needs no name: it has no gradient.
    at::Tensor frozen = at::zeros({4}, at::kDouble);
    EXPECT_NO_THROW(DistributedOptimizer(*ctx, plain_sgd({named_w, frozen}), named));
  });
}

TEST(DistributedOptimizerEdges, AParameterFrozenAfterConstructionStaysUnchanged) {
  // Single-process LibTorch skips a parameter without a gradient; reducing it
  // as zeros would let weight decay move a frozen weight.
  run_on_ranks([](coll::Communicator& world) {
    auto ctx = make_context(world);
    at::Tensor trained = at::zeros({2, 3}, at::kDouble).set_requires_grad(true);
    at::Tensor frozen = at::ones({4}, at::kDouble).set_requires_grad(true);
    ::torch::OrderedDict<std::string, at::Tensor> named;
    named.insert("trained", trained);
    named.insert("frozen", frozen);
    auto sgd = std::make_shared<::torch::optim::SGD>(std::vector<at::Tensor>{trained, frozen},
                                                     ::torch::optim::SGDOptions(1.0).weight_decay(0.5));
    DistributedOptimizer dist(*ctx, sgd, named);
    frozen.requires_grad_(false);
    dist.zero_grad();
    backward_with(trained, contribution(ctx->rank(), 2, 3));
    dist.step();
    expect_equal(frozen, at::ones({4}, at::kDouble), "frozen parameter");
    EXPECT_FALSE(frozen.grad().defined());
    expect_equal(trained, -average_contribution(ctx->size(), 2, 3), "trained parameter");
  });
}

TEST(DistributedOptimizerEdges, SparseEmbeddingGradientsAreReducedAsDense) {
  // nn::Embedding with sparse(true) produces a sparse gradient, which has no
  // contiguous memory to reduce; it is reduced as a dense one.
  run_on_ranks([](coll::Communicator& world) {
    auto ctx = make_context(world);
    ::torch::nn::Embedding embedding(::torch::nn::EmbeddingOptions(5, 2).sparse(true));
    embedding->to(at::kDouble);
    {
      ::torch::NoGradGuard no_grad;
      embedding->weight.zero_();
    }
    DistributedOptimizer dist(*ctx, plain_sgd(embedding->parameters()), embedding->named_parameters());
    // Rank r looks up row r once and weighs it by r + 1.
    const at::Tensor row = at::tensor({static_cast<std::int64_t>(ctx->rank())}, at::kLong);
    (embedding->forward(row) * (ctx->rank() + 1)).sum().backward();
    // The hook has already replaced the sparse gradient by a dense one.
    ASSERT_FALSE(embedding->weight.grad().is_sparse());
    dist.step();
    at::Tensor want = at::zeros({5, 2}, at::kDouble);
    for (int r = 0; r < ctx->size(); ++r) want[r].fill_(-static_cast<double>(r + 1) / ctx->size());
    expect_equal(embedding->weight, want, "embedding");
    // The tensor collectives name a sparse tensor instead of failing inside LibTorch.
    try {
      allreduce(*ctx, at::eye(3).to_sparse(), "sparse");
      ADD_FAILURE() << "a sparse tensor was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("'sparse' is sparse"), std::string::npos) << e.what();
    }
  });
}

TEST(DistributedOptimizerEdges, RanksWithDifferentParametersGetAnErrorNotAHang) {
  // Rank 0's model has a parameter the others lack: step() would wait for its
  // allreduce forever. The constructor compares the ranks' parameters.
  run_on_ranks([](coll::Communicator& world) {
    auto ctx = make_context(world);
    at::Tensor w = at::zeros({2, 3}, at::kDouble).set_requires_grad(true);
    at::Tensor extra = at::zeros({3}, at::kDouble).set_requires_grad(true);
    ::torch::OrderedDict<std::string, at::Tensor> named;
    named.insert("w", w);
    std::vector<at::Tensor> params{w};
    if (ctx->rank() == 0) {
      named.insert("extra", extra);
      params.push_back(extra);
    }
    try {
      DistributedOptimizer dist(*ctx, plain_sgd(params), named);
      backward_with(w, contribution(ctx->rank(), 2, 3));
      dist.step();
      ADD_FAILURE() << "different parameters on different ranks were accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::mismatch);
      EXPECT_NE(std::string(e.what()).find("rank 0 has 'grad.extra"), std::string::npos) << e.what();
    }
  });
}

}  // namespace
}  // namespace ringtail_torch_test
