#include "ringtail/launcher/presets.h"

#include <cstdio>

namespace ringtail::launcher {

const std::vector<InstancePreset>& presets() {
  // From the AWS instance type pages. p3dn has EFA without GPUDirect RDMA; the
  // p4 instances have four EFA interfaces and GPUDirect RDMA.
  static const std::vector<InstancePreset> table = {
      {"p3.2xlarge", 1, "V100 16 GB", 8, "up to 10 Gbps", false, 0, false},
      {"p3.8xlarge", 4, "V100 16 GB", 32, "10 Gbps", false, 0, false},
      {"p3.16xlarge", 8, "V100 16 GB", 64, "25 Gbps", false, 0, false},
      {"p3dn.24xlarge", 8, "V100 32 GB", 96, "100 Gbps", true, 1, false},
      {"p4d.24xlarge", 8, "A100 40 GB", 96, "400 Gbps", true, 4, true},
      {"p4de.24xlarge", 8, "A100 80 GB", 96, "400 Gbps", true, 4, true},
  };
  return table;
}

const InstancePreset* find_preset(std::string_view name) {
  for (const auto& p : presets()) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::string preset_names() {
  std::string out;
  for (const auto& p : presets()) out += (out.empty() ? "" : ", ") + std::string(p.name);
  return out;
}

std::string describe_presets() {
  std::string out = "instance        GPUs  GPU          vCPUs  network        EFA  GPUDirect RDMA\n";
  char line[160];
  for (const auto& p : presets()) {
    std::snprintf(line, sizeof line, "%-15s %4d  %-11s  %5d  %-13s  %-3s  %s\n", std::string(p.name).c_str(),
                  p.gpus, std::string(p.gpu_model).c_str(), p.vcpus, std::string(p.bandwidth).c_str(),
                  p.efa ? "yes" : "no", p.gpudirect_rdma ? "yes" : "no");
    out += line;
  }
  return out;
}

}  // namespace ringtail::launcher
