#include "ringtail/pets/model_weights.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include <torch/utils.h>

#include "ringtail/collectives/error.h"

namespace ringtail::pets {
namespace {

torch::Dtype to_torch(WeightDType dtype) {
  switch (dtype) {
    case WeightDType::f32: return torch::kFloat32;
    case WeightDType::f64: return torch::kFloat64;
    case WeightDType::f16: return torch::kFloat16;
    case WeightDType::bf16: return torch::kBFloat16;
    case WeightDType::i64: return torch::kInt64;
    case WeightDType::i32: return torch::kInt32;
    case WeightDType::u8: return torch::kUInt8;
    case WeightDType::i8: return torch::kInt8;
  }
  return torch::kFloat32;
}

WeightDType from_torch(torch::Dtype dtype, const std::string& name) {
  switch (dtype) {
    case torch::kFloat32: return WeightDType::f32;
    case torch::kFloat64: return WeightDType::f64;
    case torch::kFloat16: return WeightDType::f16;
    case torch::kBFloat16: return WeightDType::bf16;
    case torch::kInt64: return WeightDType::i64;
    case torch::kInt32: return WeightDType::i32;
    case torch::kUInt8: return WeightDType::u8;
    case torch::kInt8: return WeightDType::i8;
    default:
      throw Error(ErrorKind::unsupported, "tensor '" + name + "' has a dtype the weights format lacks");
  }
}

std::vector<std::int64_t> shape_of(const torch::Tensor& t) {
  return std::vector<std::int64_t>(t.sizes().begin(), t.sizes().end());
}

std::string first_names(const std::vector<std::string>& names) {
  std::string out;
  const std::size_t shown = std::min<std::size_t>(names.size(), 8);
  for (std::size_t i = 0; i < shown; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > shown) out += ", ... (" + std::to_string(names.size()) + " in all)";
  return out;
}

}  // namespace

std::vector<std::pair<std::string, torch::Tensor>> named_state(const torch::nn::Module& model) {
  std::vector<std::pair<std::string, torch::Tensor>> state;
  for (const auto& item : model.named_parameters(/*recurse=*/true)) state.emplace_back(item.key(), item.value());
  for (const auto& item : model.named_buffers(/*recurse=*/true)) state.emplace_back(item.key(), item.value());
  return state;
}

NamedArray to_named_array(const std::string& name, const torch::Tensor& tensor) {
  const torch::Tensor cpu = tensor.detach().to(torch::kCPU).contiguous();
  NamedArray array;
  array.name = name;
  array.dtype = from_torch(cpu.scalar_type(), name);
  array.shape = shape_of(cpu);
  const auto* bytes = static_cast<const std::uint8_t*>(cpu.data_ptr());
  array.data.assign(bytes, bytes + cpu.numel() * cpu.element_size());
  return array;
}

torch::Tensor to_tensor(const NamedArray& array) {
  torch::Tensor out = torch::empty(array.shape, torch::TensorOptions().dtype(to_torch(array.dtype)));
  if (!array.data.empty()) std::memcpy(out.data_ptr(), array.data.data(), array.data.size());
  return out;
}

void save_weights(const torch::nn::Module& model, const std::filesystem::path& file) {
  std::vector<NamedArray> arrays;
  for (const auto& [name, tensor] : named_state(model)) arrays.push_back(to_named_array(name, tensor));
  write_weights_file(file, arrays);
}

LoadWeightsReport load_weights(torch::nn::Module& model, const std::filesystem::path& file,
                               const LoadWeightsOptions& options) {
  return load_weights(model, read_weights_file(file), file.string(), options);
}

LoadWeightsReport load_weights(torch::nn::Module& model, const std::vector<NamedArray>& arrays,
                               const std::string& source, const LoadWeightsOptions& options) {
  std::unordered_map<std::string, const NamedArray*> by_name;
  for (const auto& array : arrays) by_name.emplace(array.name, &array);
  const auto state = named_state(model);

  // Check everything first: a failed load leaves the model untouched.
  LoadWeightsReport report;
  std::vector<std::string> missing, mismatched;
  std::vector<std::pair<torch::Tensor, const NamedArray*>> assignments;
  std::unordered_set<std::string> used;
  for (const auto& [name, tensor] : state) {
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      missing.push_back(name);
      continue;
    }
    used.insert(name);
    const NamedArray& array = *it->second;
    const bool same_shape = array.shape == shape_of(tensor);
    const bool same_dtype = to_torch(array.dtype) == tensor.scalar_type();
    if (same_shape && same_dtype) {
      assignments.emplace_back(tensor, &array);
      continue;
    }
    const std::string what = name + ": " + shape_string(array.shape) + " " +
                             std::string(to_string(array.dtype)) + " in the file, " +
                             shape_string(shape_of(tensor)) + " " +
                             std::string(to_string(from_torch(tensor.scalar_type(), name))) +
                             " in the model";
    if (options.replace_mismatched_head && name.rfind(options.head_prefix, 0) == 0) {
      report.skipped.push_back(what + " (head replaced)");
    } else {
      mismatched.push_back(what);
    }
  }
  std::vector<std::string> unexpected;
  for (const auto& array : arrays) {
    if (!used.count(array.name)) unexpected.push_back(array.name);
  }
  if (!missing.empty() || !mismatched.empty() || !unexpected.empty()) {
    std::string message = "weights " + source + " do not fit the model:";
    if (!missing.empty()) message += " missing from the file: " + first_names(missing) + ";";
    if (!unexpected.empty()) message += " not in the model: " + first_names(unexpected) + ";";
    if (!mismatched.empty()) {
      message += " different shape or dtype: " + first_names(mismatched) + ";";
      if (!options.replace_mismatched_head) {
        message += " (a pretrained file for another number of classes needs the head replaced)";
      }
    }
    throw Error(ErrorKind::invalid_argument, message);
  }

  torch::NoGradGuard no_grad;
  for (auto& [tensor, array] : assignments) {
    tensor.copy_(to_tensor(*array));
    ++report.loaded;
  }
  return report;
}

}  // namespace ringtail::pets
