#include "ringtail/pets/train/rng_state.h"

#include <ATen/Context.h>
#include <ATen/core/Generator.h>

#include <mutex>

#include "ringtail/collectives/error.h"

namespace ringtail::pets::train {
namespace {

at::Generator device_generator(const ::torch::Device& device) {
  return at::globalContext().defaultGenerator(device);
}

::torch::Tensor state_of(at::Generator generator) {
  std::lock_guard<std::mutex> lock(generator.mutex());
  return generator.get_state().clone();
}

}  // namespace

::torch::Tensor generator_state(const ::torch::Device& device) {
  std::vector<::torch::Tensor> parts{state_of(device_generator(::torch::kCPU))};
  if (device.is_cuda()) parts.push_back(state_of(device_generator(device)));
  return ::torch::cat(parts);
}

void set_generator_state(const ::torch::Device& device, const ::torch::Tensor& state) {
  at::Generator cpu = device_generator(::torch::kCPU);
  const std::int64_t cpu_size = state_of(cpu).numel();
  const std::int64_t device_size = device.is_cuda() ? state_of(device_generator(device)).numel() : 0;
  if (state.numel() != cpu_size + device_size || state.scalar_type() != ::torch::kUInt8) {
    throw Error(ErrorKind::invalid_argument,
                "random generator state of " + std::to_string(state.numel()) + " bytes, expected " +
                    std::to_string(cpu_size + device_size) + " (saved on another device kind?)");
  }
  const ::torch::Tensor flat = state.contiguous().cpu();
  {
    std::lock_guard<std::mutex> lock(cpu.mutex());
    cpu.set_state(flat.narrow(0, 0, cpu_size).clone());
  }
  if (device_size > 0) {
    at::Generator gpu = device_generator(device);
    std::lock_guard<std::mutex> lock(gpu.mutex());
    gpu.set_state(flat.narrow(0, cpu_size, device_size).clone());
  }
}

}  // namespace ringtail::pets::train
