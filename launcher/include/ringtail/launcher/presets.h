#pragma once
// AWS GPU instance types ringtail-run knows: how many GPUs (the default slots),
// how many vCPUs (whether ranks share cores), and what the network can do (EFA,
// GPUDirect RDMA), which decides the environment NCCL and libfabric get.

#include <string>
#include <string_view>
#include <vector>

namespace ringtail::launcher {

struct InstancePreset {
  std::string_view name;
  int gpus;
  std::string_view gpu_model;
  int vcpus;
  std::string_view bandwidth;  // as AWS states it
  bool efa;                    // Elastic Fabric Adapter: libfabric's "efa" provider
  int efa_interfaces;
  bool gpudirect_rdma;         // EFA writes straight into GPU memory
};

const std::vector<InstancePreset>& presets();
// nullptr when the name is not one of presets().
const InstancePreset* find_preset(std::string_view name);
// "p3.2xlarge, p3.8xlarge, ..." for messages.
std::string preset_names();
// A table of the presets, for --list-instances.
std::string describe_presets();

}  // namespace ringtail::launcher
