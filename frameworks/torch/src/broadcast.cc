#include "ringtail/torch/broadcast.h"

#include <torch/serialize.h>
#include <torch/torch.h>

#include <sstream>

#include "ringtail/collectives/error.h"
#include "ringtail/core/runtime.h"
#include "ringtail/torch/ops.h"
#include "tensor_view.h"
#include "wait_all.h"

namespace ringtail::torch {

void broadcast_parameters(Context& ctx, const ::torch::OrderedDict<std::string, at::Tensor>& tensors,
                          int root) {
  ::torch::NoGradGuard no_grad;
  // Submitted together so the engine fuses them into few broadcasts.
  std::vector<core::Operation> operations;
  // A tensor in another layout (a channels-last weight) is received into a
  // contiguous copy and copied back, keeping its layout.
  std::vector<std::pair<at::Tensor, at::Tensor>> copies;
  for (const auto& item : tensors) {
    const at::Tensor& t = item.value();
    if (!t.defined()) continue;
    at::Tensor buffer = t.contiguous();
    if (!buffer.is_same(t)) copies.emplace_back(t, buffer);
    // A bool buffer (a mask a module keeps) travels as the bytes it is made of.
    const at::Tensor wire = buffer.scalar_type() == at::kBool ? buffer.view(at::kByte) : buffer;
    core::Operation op;
    op.type = core::OpType::broadcast;
    op.name = "broadcast_parameters." + item.key();
    op.input = detail::view_of(wire, item.key());
    op.root = root;
    operations.push_back(std::move(op));
  }
  detail::wait_all(ctx.runtime().enqueue_group(std::move(operations)));
  for (auto& [target, buffer] : copies) target.copy_(buffer);
}

void broadcast_parameters(const ::torch::OrderedDict<std::string, at::Tensor>& tensors, int root) {
  broadcast_parameters(default_context(), tensors, root);
}

std::vector<char> broadcast_bytes(Context& ctx, const std::vector<char>& bytes, int root,
                                  const std::string& name) {
  at::Tensor length = at::tensor({static_cast<std::int64_t>(bytes.size())}, at::kLong);
  broadcast_(ctx, length, root, name + ".length");
  const auto n = length.item<std::int64_t>();
  at::Tensor data = at::empty({n}, at::kByte);
  if (ctx.rank() == root && n > 0) std::memcpy(data.data_ptr(), bytes.data(), bytes.size());
  if (n > 0) broadcast_(ctx, data, root, name + ".data");
  const char* begin = static_cast<const char*>(data.data_ptr());
  return std::vector<char>(begin, begin + n);
}

c10::IValue broadcast_object(Context& ctx, const c10::IValue& value, int root,
                             const std::string& name) {
  std::vector<char> bytes;
  if (ctx.rank() == root) bytes = ::torch::pickle_save(value);
  return ::torch::pickle_load(broadcast_bytes(ctx, bytes, root, "broadcast_object." + name));
}

c10::IValue broadcast_object(const c10::IValue& value, int root, const std::string& name) {
  return broadcast_object(default_context(), value, root, name);
}

// LibTorch's Optimizer::save/load carry the per-parameter state; in 1.13
// load() does not restore the param groups' options, so they travel beside it
// in sub-archives of their own.
void broadcast_optimizer_state(Context& ctx, ::torch::optim::Optimizer& optimizer, int root) {
  std::vector<char> bytes;
  if (ctx.rank() == root) {
    ::torch::serialize::OutputArchive archive;
    ::torch::serialize::OutputArchive state;
    optimizer.save(state);
    archive.write("state", state);
    for (std::size_t i = 0; i < optimizer.param_groups().size(); ++i) {
      ::torch::serialize::OutputArchive options;
      optimizer.param_groups()[i].options().serialize(options);
      archive.write("options/" + std::to_string(i), options);
    }
    std::ostringstream out;
    archive.save_to(out);
    const std::string s = out.str();
    bytes.assign(s.begin(), s.end());
  }
  bytes = broadcast_bytes(ctx, bytes, root, "broadcast_optimizer_state");
  if (ctx.rank() != root) {
    std::istringstream in(std::string(bytes.begin(), bytes.end()));
    ::torch::serialize::InputArchive archive;
    archive.load_from(in);
    ::torch::serialize::InputArchive state;
    archive.read("state", state);
    // load() replaces the state of the parameters root has state for and
    // keeps the rest: a momentum buffer only this rank had would survive and
    // the ranks would step differently.
    optimizer.state().clear();
    try {
      optimizer.load(state);
    } catch (const c10::Error& e) {
      throw Error(ErrorKind::mismatch,
                  std::string("broadcast_optimizer_state: this rank's optimizer does not match root's (the "
                              "same optimizer type over the same parameters is needed): ") +
                      e.what_without_backtrace());
    }
    for (std::size_t i = 0; i < optimizer.param_groups().size(); ++i) {
      ::torch::serialize::InputArchive options;
      archive.read("options/" + std::to_string(i), options);
      optimizer.param_groups()[i].options().serialize(options);
    }
  }
}

void broadcast_optimizer_state(::torch::optim::Optimizer& optimizer, int root) {
  broadcast_optimizer_state(default_context(), optimizer, root);
}

double metric_average(Context& ctx, double value, const std::string& name) {
  at::Tensor t = at::tensor({value}, at::kDouble);
  return allreduce(ctx, t, "metric_average." + name, coll::ReduceOp::average).item<double>();
}

double metric_average(double value, const std::string& name) {
  return metric_average(default_context(), value, name);
}

}  // namespace ringtail::torch
