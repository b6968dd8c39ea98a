#include "ringtail/pets/train/evaluation.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include <torch/nn/functional/loss.h>
#include <torch/nn/module.h>

#include "atomic_file.h"
#include "ringtail/collectives/error.h"
#include "ringtail/pets/batch_tensor.h"
#include "ringtail/torch/ops.h"

namespace ringtail::pets::train {

std::vector<double> EvalResult::per_class_accuracy() const {
  std::vector<double> out;
  const ::torch::Tensor c = confusion.to(::torch::kInt64).contiguous();
  const std::int64_t n = c.size(0);
  const auto* data = c.data_ptr<std::int64_t>();
  for (std::int64_t i = 0; i < n; ++i) {
    std::int64_t row = 0;
    for (std::int64_t j = 0; j < n; ++j) row += data[i * n + j];
    out.push_back(row ? static_cast<double>(data[i * n + i]) / static_cast<double>(row)
                      : std::nan(""));
  }
  return out;
}

Evaluator::Evaluator(ringtail::torch::Context* context, std::shared_ptr<const ExampleSource> source,
                     std::int64_t num_classes, const LoaderOptions& loader)
    : context_(context), source_(source), num_classes_(num_classes), loader_(source, loader) {
  const std::size_t rank = context_ ? static_cast<std::size_t>(context_->rank()) : 0;
  const std::size_t ranks = context_ ? static_cast<std::size_t>(context_->size()) : 1;
  for (std::size_t i = rank; i < source_->size(); i += ranks) shard_.push_back(i);
}

EvalResult Evaluator::run(ClassifierImpl& model, const ::torch::Device& device, Precision precision) {
  ::torch::NoGradGuard no_grad;
  model.eval();
  const std::int64_t c = num_classes_;
  const std::int64_t k = std::min<std::int64_t>(5, c);
  // Sums in float64: loss, correct, top-k correct, then the confusion matrix
  // (counts are exact in float64 far beyond any data set's size).
  ::torch::Tensor sums = ::torch::zeros({3 + c * c}, ::torch::kFloat64);
  ::torch::Tensor confusion = sums.narrow(0, 3, c * c).view({c, c});
  loader_.start_epoch(shard_, 0);
  while (auto batch = loader_.next()) {
    BatchTensors t = to_tensors(std::move(*batch));
    ::torch::Tensor logits;
    {
      AutocastGuard autocast(precision, device);
      logits = model.forward(t.images.to(device));
    }
    logits = logits.to(::torch::kFloat32).cpu();
    if (logits.size(1) != c) {
      throw Error(ErrorKind::invalid_argument, "evaluation: the model has " +
                                                   std::to_string(logits.size(1)) +
                                                   " outputs, the data set " + std::to_string(c) +
                                                   " classes");
    }
    const ::torch::Tensor labels = t.labels;
    sums[0] += ::torch::nn::functional::cross_entropy(
                   logits, labels, ::torch::nn::functional::CrossEntropyFuncOptions().reduction(::torch::kSum))
                   .item<double>();
    const ::torch::Tensor top = std::get<1>(logits.topk(k, 1));
    const ::torch::Tensor predicted = top.select(1, 0);
    sums[1] += predicted.eq(labels).sum().item<double>();
    sums[2] += top.eq(labels.unsqueeze(1)).any(1).sum().item<double>();
    confusion.view({-1}).index_add_(0, labels * c + predicted,
                                    ::torch::ones({labels.size(0)}, ::torch::kFloat64));
  }
  if (context_ && context_->size() > 1) {
    sums = ringtail::torch::allreduce(*context_, sums, "pets.eval.sums", coll::ReduceOp::sum);
  }
  EvalResult result;
  result.confusion = sums.narrow(0, 3, c * c).view({c, c}).round().to(::torch::kInt64);
  result.count = result.confusion.sum().item<std::int64_t>();
  const double n = std::max<double>(1.0, static_cast<double>(result.count));
  result.loss = sums[0].item<double>() / n;
  result.accuracy = sums[1].item<double>() / n;
  result.top5 = sums[2].item<double>() / n;
  return result;
}

void average_buffers(ringtail::torch::Context& context, ::torch::nn::Module& model) {
  if (context.size() == 1) return;
  std::vector<::torch::Tensor> tensors;
  std::vector<std::string> names;
  for (const auto& item : model.named_buffers()) {
    if (!item.value().is_floating_point()) continue;  // num_batches_tracked agrees already
    tensors.push_back(item.value());
    names.push_back("pets.buffer." + item.key());
  }
  if (tensors.empty()) return;
  const std::vector<::torch::Tensor> averaged = ringtail::torch::grouped_allreduce(context, tensors, names);
  ::torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < tensors.size(); ++i) tensors[i].copy_(averaged[i]);
}

void write_confusion_csv(const std::filesystem::path& file, const ::torch::Tensor& confusion,
                         const std::vector<std::string>& class_names) {
  const ::torch::Tensor c = confusion.to(::torch::kInt64).contiguous();
  const auto n = static_cast<std::size_t>(c.size(0));
  if (class_names.size() != n) {
    throw Error(ErrorKind::invalid_argument, "confusion matrix of " + std::to_string(n) +
                                                 " classes with " + std::to_string(class_names.size()) +
                                                 " names");
  }
  // Breed names have no commas or quotes; quoting keeps any other name intact.
  auto cell = [](const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char ch : s) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    return q + "\"";
  };
  std::string text = "true \\ predicted";
  for (const auto& name : class_names) text += "," + cell(name);
  text += "\n";
  const auto* data = c.data_ptr<std::int64_t>();
  for (std::size_t i = 0; i < n; ++i) {
    text += cell(class_names[i]);
    for (std::size_t j = 0; j < n; ++j) text += "," + std::to_string(data[i * n + j]);
    text += "\n";
  }
  write_file_atomically(file, {text}, "confusion matrix");
}

std::string per_class_table(const EvalResult& result, const std::vector<std::string>& class_names) {
  const std::vector<double> accuracy = result.per_class_accuracy();
  const ::torch::Tensor c = result.confusion.to(::torch::kInt64).contiguous();
  const std::int64_t n = c.size(0);
  std::vector<std::size_t> order(accuracy.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const double x = std::isnan(accuracy[a]) ? 2.0 : accuracy[a];
    const double y = std::isnan(accuracy[b]) ? 2.0 : accuracy[b];
    return x < y;
  });
  std::string out;
  const auto* data = c.data_ptr<std::int64_t>();
  for (std::size_t i : order) {
    std::int64_t row = 0;
    for (std::int64_t j = 0; j < n; ++j) row += data[static_cast<std::int64_t>(i) * n + j];
    char line[256];
    if (row == 0) {
      std::snprintf(line, sizeof line, "     -   %s (no examples)\n", class_names.at(i).c_str());
    } else {
      std::snprintf(line, sizeof line, "  %5.1f%%  %s (%lld/%lld)\n", 100.0 * accuracy[i],
                    class_names.at(i).c_str(),
                    static_cast<long long>(data[static_cast<std::int64_t>(i) * (n + 1)]),
                    static_cast<long long>(row));
    }
    out += line;
  }
  return out;
}

}  // namespace ringtail::pets::train
