#include "torchscript_compat.h"

#include <torch/csrc/jit/api/module.h>
#include <torch/version.h>

namespace ringtail::pets::serve {

torch::jit::Module prepare_for_inference(torch::jit::Module module, bool optimize) {
  module.eval();
  if (!optimize) return module;
  torch::jit::Module frozen = torch::jit::freeze(module);
  return torch::jit::optimize_for_inference(frozen);
}

}  // namespace ringtail::pets::serve
