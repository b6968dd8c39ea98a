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
  // The CPU state, then the CUDA state of a run on a GPU. --device may change
  // on resume: a CPU run's state leaves the GPU generator as seeded, a GPU
  // run's CUDA part is not needed on the CPU.
  const std::int64_t extra = state.numel() - cpu_size;
  if (state.scalar_type() != ::torch::kUInt8 || extra < 0 ||
      (device_size > 0 && extra != 0 && extra != device_size)) {
    throw Error(ErrorKind::invalid_argument,
                "random generator state of " + std::to_string(state.numel()) + " bytes, expected " +
                    std::to_string(cpu_size) + (device_size > 0 ? " or " + std::to_string(cpu_size + device_size) : "") +
                    " (saved by another LibTorch?)");
  }
  const ::torch::Tensor flat = state.contiguous().cpu();
  {
    std::lock_guard<std::mutex> lock(cpu.mutex());
    cpu.set_state(flat.narrow(0, 0, cpu_size).clone());
  }
  if (device_size > 0 && extra == device_size) {
    at::Generator gpu = device_generator(device);
    std::lock_guard<std::mutex> lock(gpu.mutex());
    gpu.set_state(flat.narrow(0, cpu_size, device_size).clone());
  }
}

}  // namespace ringtail::pets::train
