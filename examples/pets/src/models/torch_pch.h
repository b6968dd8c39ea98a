// Precompiled header of every LibTorch target under examples/pets and
// tests/examples: parsing LibTorch's headers costs ~12 s per translation unit,
// the precompiled form ~3 s. Sources still include what they use.
#include <torch/torch.h>
