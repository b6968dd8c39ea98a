#pragma once
// The one place that knows which TorchScript inference API this LibTorch has.
// Debian's 1.13 and LibTorch 2.x both have torch::jit::freeze and
// torch::jit::optimize_for_inference (torch/csrc/jit/api/module.h); a version
// that lacks or renames them needs a change here only.

#include <torch/script.h>

namespace ringtail::pets::serve {

// `module` in eval mode; returns it frozen (parameters folded into constants)
// and, when `optimize`, passed through optimize_for_inference (conv-bn folding,
// oneDNN layouts on CPU).
torch::jit::Module prepare_for_inference(torch::jit::Module module, bool optimize);

}  // namespace ringtail::pets::serve
