// Gloo as a peer, called directly through libgloo: its allreduce algorithms
// (ring, ring-chunked, halving-doubling, bcube), ring allgather, one-to-all
// broadcast, halving-doubling reduce-scatter and alltoall, on a Gloo context of
// its own (TCP, file-store rendezvous in the run's scratch directory).
#include <gloo/allgather_ring.h>
#include <gloo/allreduce_bcube.h>
#include <gloo/allreduce_halving_doubling.h>
#include <gloo/allreduce_ring.h>
#include <gloo/allreduce_ring_chunked.h>
#include <gloo/alltoall.h>
#include <gloo/broadcast_one_to_all.h>
#include <gloo/reduce_scatter.h>
#include <gloo/rendezvous/context.h>
#include <gloo/rendezvous/file_store.h>
#include <gloo/rendezvous/prefix_store.h>
#include <gloo/transport/tcp/device.h>

#include <climits>
#include <cstring>
#include <cstdint>
#include <filesystem>
#include <functional>

#include "contenders.h"

namespace ringtail::bench {
namespace {

// One context per collective swept (a few milliseconds to connect), keyed in
// the store by the collective's name so contexts never see each other's keys.
std::shared_ptr<gloo::Context> make_context(Environment& env, Collective op) {
  const std::string store_dir = env.scratch_dir() + "/gloo-peer-store";
  if (env.rank() == 0) std::filesystem::create_directories(store_dir);
  env.barrier();
  gloo::transport::tcp::attr attr;
  if (env.options().gloo_interface.empty()) {
    attr.hostname = "127.0.0.1";
  } else {
    attr.iface = env.options().gloo_interface;
  }
  auto device = gloo::transport::tcp::CreateDevice(attr);
  gloo::rendezvous::FileStore file_store(store_dir);
  gloo::rendezvous::PrefixStore store("peer-" + std::string(to_string(op)), file_store);
  auto context = std::make_shared<gloo::rendezvous::Context>(env.rank(), env.size());
  context->setTimeout(std::chrono::seconds(600));
  context->connectFullMesh(store, device);
  return context;
}

// Gloo's reduction functions by dtype and op; nullptr when Gloo has none.
template <typename T>
const gloo::ReductionFunction<T>* gloo_function(coll::ReduceOp op) {
  switch (op) {
    case coll::ReduceOp::sum: return gloo::ReductionFunction<T>::sum;
    case coll::ReduceOp::product: return gloo::ReductionFunction<T>::product;
    case coll::ReduceOp::min: return gloo::ReductionFunction<T>::min;
    case coll::ReduceOp::max: return gloo::ReductionFunction<T>::max;
    default: return nullptr;
  }
}

// Calls make(T*) with a null pointer of the C++ type Gloo runs `type` as;
// nullptr for the types the Gloo rows do not run (16-bit floats).
template <typename Make>
std::unique_ptr<gloo::Algorithm> with_gloo_type(coll::DataType type, Make&& make) {
  switch (type) {
    case coll::DataType::f32: return make(static_cast<float*>(nullptr));
    case coll::DataType::f64: return make(static_cast<double*>(nullptr));
    case coll::DataType::i32: return make(static_cast<std::int32_t*>(nullptr));
    case coll::DataType::i64: return make(static_cast<std::int64_t*>(nullptr));
    case coll::DataType::i8: return make(static_cast<std::int8_t*>(nullptr));
    case coll::DataType::u8: return make(static_cast<std::uint8_t*>(nullptr));
    default: return nullptr;
  }
}

// Builds the Gloo algorithm object for the call's dtype (T) and buffers.
using Builder = std::function<std::unique_ptr<gloo::Algorithm>(const Call&)>;

template <template <typename> class Algorithm>
Builder allreduce_builder(std::shared_ptr<gloo::Context> context) {
  return [context](const Call& c) -> std::unique_ptr<gloo::Algorithm> {
    const Shape& s = *c.shape;
    const int n = static_cast<int>(s.count);
    auto make = [&](auto* typed) -> std::unique_ptr<gloo::Algorithm> {
      using T = std::remove_pointer_t<decltype(typed)>;
      return std::make_unique<Algorithm<T>>(context, std::vector<T*>{static_cast<T*>(c.recv)}, n,
                                            gloo_function<T>(s.reduce));
    };
    return with_gloo_type(s.type, make);
  };
}

class GlooRow final : public Contender {
 public:
  GlooRow(std::string name, Collective op, Builder build, bool power_of_two_only = false)
      : name_(std::move(name)), op_(op), build_(std::move(build)), power_of_two_only_(power_of_two_only) {}
  std::string name() const override { return name_; }
  bool is_ringtail() const override { return false; }
  Collective op() const override { return op_; }
  // Gloo's allreduce and broadcast work on the buffer in place.
  bool in_place() const override {
    return op_ == Collective::allreduce || op_ == Collective::broadcast;
  }
  std::string unsupported(const Shape& s) const override {
    switch (s.type) {
      case coll::DataType::f16:
      case coll::DataType::bf16: return "not run with Gloo's float16";
      default: break;
    }
    if (s.reduce == coll::ReduceOp::average &&
        (op_ == Collective::allreduce || op_ == Collective::reducescatter)) {
      return "Gloo has no average";
    }
    if (s.send_elems > INT_MAX || s.recv_elems > INT_MAX) return "count beyond Gloo's int";
    // Gloo's bcube with base 2 gives wrong sums on other sizes (seen on 3 ranks).
    if (power_of_two_only_ && (s.ranks & (s.ranks - 1)) != 0) return "needs a power-of-two number of ranks";
    return {};
  }
  void prepare(const Call& c) override { algorithm_ = build_(c); }
  void run(const Call&) override { algorithm_->run(); }
  void release() override { algorithm_.reset(); }

 private:
  std::string name_;
  Collective op_;
  Builder build_;
  bool power_of_two_only_;
  std::unique_ptr<gloo::Algorithm> algorithm_;
};

// Collectives with other constructor shapes, one builder each.
Builder allgather_builder(std::shared_ptr<gloo::Context> context) {
  return [context](const Call& c) -> std::unique_ptr<gloo::Algorithm> {
    const Shape& s = *c.shape;
    const int n = static_cast<int>(s.count);
    auto make = [&](auto* typed) -> std::unique_ptr<gloo::Algorithm> {
      using T = std::remove_pointer_t<decltype(typed)>;
      return std::make_unique<gloo::AllgatherRing<T>>(
          context, std::vector<const T*>{static_cast<const T*>(c.send)}, static_cast<T*>(c.recv), n);
    };
    return with_gloo_type(s.type, make);
  };
}

Builder broadcast_builder(std::shared_ptr<gloo::Context> context) {
  return [context](const Call& c) -> std::unique_ptr<gloo::Algorithm> {
    const Shape& s = *c.shape;
    auto make = [&](auto* typed) -> std::unique_ptr<gloo::Algorithm> {
      using T = std::remove_pointer_t<decltype(typed)>;
      return std::make_unique<gloo::BroadcastOneToAll<T>>(
          context, std::vector<T*>{static_cast<T*>(c.recv)}, s.count, 0, 0);
    };
    return with_gloo_type(s.type, make);
  };
}

// Gloo's reduce-scatter reduces in place over the whole buffer and leaves this
// rank's block at the start of it; the row copies it out so #wrong checks the
// same output as everyone else's.
class GlooReduceScatterRow final : public Contender {
 public:
  explicit GlooReduceScatterRow(std::shared_ptr<gloo::Context> context) : context_(std::move(context)) {}
  std::string name() const override { return "gloo/reduce-scatter-halving-doubling"; }
  bool is_ringtail() const override { return false; }
  Collective op() const override { return Collective::reducescatter; }
  std::string unsupported(const Shape& s) const override {
    if (s.type != coll::DataType::f32) return "run for f32 only";
    if (s.reduce == coll::ReduceOp::average) return "Gloo has no average";
    if (s.send_elems > INT_MAX) return "count beyond Gloo's int";
    return {};
  }
  void prepare(const Call& c) override {
    const Shape& s = *c.shape;
    work_.assign(s.send_elems, 0.0f);
    algorithm_ = std::make_unique<gloo::ReduceScatterHalvingDoubling<float>>(
        context_, std::vector<float*>{work_.data()}, static_cast<int>(s.send_elems),
        std::vector<int>(static_cast<std::size_t>(s.ranks), static_cast<int>(s.count)),
        gloo_function<float>(s.reduce));
  }
  void run(const Call& c) override {
    const Shape& s = *c.shape;
    std::memcpy(work_.data(), c.send, s.send_elems * sizeof(float));
    algorithm_->run();
    std::memcpy(c.recv, work_.data(), s.count * sizeof(float));
  }
  void release() override {
    algorithm_.reset();
    work_ = {};
  }

 private:
  std::shared_ptr<gloo::Context> context_;
  std::vector<float> work_;
  std::unique_ptr<gloo::Algorithm> algorithm_;
};

class GlooAlltoallRow final : public Contender {
 public:
  explicit GlooAlltoallRow(std::shared_ptr<gloo::Context> context) : context_(std::move(context)) {}
  std::string name() const override { return "gloo/alltoall"; }
  bool is_ringtail() const override { return false; }
  Collective op() const override { return Collective::alltoall; }
  void run(const Call& c) override {
    const Shape& s = *c.shape;
    const std::size_t bytes = s.send_elems * coll::size_of(s.type);
    gloo::AlltoallOptions opts(context_);
    opts.setInput(static_cast<std::uint8_t*>(c.send), bytes);
    opts.setOutput(static_cast<std::uint8_t*>(c.recv), bytes);
    gloo::alltoall(opts);
  }

 private:
  std::shared_ptr<gloo::Context> context_;
};

}  // namespace

void add_gloo_contenders(Collective op, Environment& env, Contenders& out) {
  auto context = make_context(env, op);
  switch (op) {
    case Collective::allreduce:
      out.push_back(std::make_unique<GlooRow>("gloo/ring", op, allreduce_builder<gloo::AllreduceRing>(context)));
      out.push_back(std::make_unique<GlooRow>("gloo/ring-chunked", op,
                                              allreduce_builder<gloo::AllreduceRingChunked>(context)));
      out.push_back(std::make_unique<GlooRow>("gloo/halving-doubling", op,
                                              allreduce_builder<gloo::AllreduceHalvingDoubling>(context)));
      out.push_back(std::make_unique<GlooRow>("gloo/bcube", op, allreduce_builder<gloo::AllreduceBcube>(context), true));
      break;
    case Collective::allgather:
      out.push_back(std::make_unique<GlooRow>("gloo/allgather-ring", op, allgather_builder(context)));
      break;
    case Collective::broadcast:
      out.push_back(std::make_unique<GlooRow>("gloo/broadcast-one-to-all", op, broadcast_builder(context)));
      break;
    case Collective::reducescatter:
      out.push_back(std::make_unique<GlooReduceScatterRow>(context));
      break;
    case Collective::alltoall:
      out.push_back(std::make_unique<GlooAlltoallRow>(context));
      break;
  }
}

}  // namespace ringtail::bench
