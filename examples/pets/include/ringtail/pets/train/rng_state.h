#pragma once
// The state of the default random generators a rank's training draws from
// (dropout, random initialisation): the CPU generator, and the device's when
// it is a GPU. Saved per rank in checkpoints so a resumed run draws the same
// numbers an uninterrupted one would have. (The data order and augmentation
// have their own seeds: (seed, epoch, example).)

#include <torch/types.h>

namespace ringtail::pets::train {

// uint8 [n]: the CPU generator's state, then the device generator's (if CUDA).
::torch::Tensor generator_state(const ::torch::Device& device);
// Restores the CPU part, and the CUDA part when `device` is CUDA and the state
// has one (--device may change on resume: a missing or unneeded CUDA part is
// left alone). Throws ringtail::Error for a state of no size either gives.
void set_generator_state(const ::torch::Device& device, const ::torch::Tensor& state);

}  // namespace ringtail::pets::train
