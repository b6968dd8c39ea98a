// Precompiled header of the LibTorch targets: <torch/torch.h> costs about 20 s
// per translation unit on these machines, once with a PCH.
#pragma once
#include <torch/torch.h>
