#pragma once
// A loader Batch as LibTorch tensors, without copying: the tensors own the
// batch's buffers and free them when the last tensor goes.

#include <torch/types.h>

#include "ringtail/pets/loader.h"

namespace ringtail::pets {

struct BatchTensors {
  ::torch::Tensor images;  // N x C x H x W float32
  ::torch::Tensor labels;  // N int64
};

BatchTensors to_tensors(Batch batch);

}  // namespace ringtail::pets
