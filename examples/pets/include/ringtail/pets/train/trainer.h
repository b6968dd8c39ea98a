#pragma once
// `ringtail-pets train`: data-parallel training of a pets (or Fashion-MNIST)
// classifier with ringtail. Every rank runs this; ringtail::torch::init()
// finds the others (launched by ringtail-run or mpirun; alone it is a world
// of one).
//
// Per run: ranks start from rank 0's weights, buffers and optimizer state
// (broadcast); each epoch every rank trains on its shard of the data
// (DistributedSampler) with gradients averaged by DistributedOptimizer, the
// batch-norm statistics are averaged, the test split is evaluated over all
// ranks, and rank 0 writes a checkpoint atomically. --resume continues from
// it to the same final weights an uninterrupted run reaches.

#include <cstdint>
#include <ostream>
#include <string>

#include "ringtail/pets/train/evaluation.h"
#include "ringtail/pets/train/train_options.h"

namespace ringtail::pets::train {

struct TrainSummary {
  int epochs_done = 0;
  bool resumed = false;
  int first_epoch = 0;          // 0-based epoch this invocation started at
  EvalResult final_eval;        // the last evaluation
  double seconds = 0;           // wall time of this invocation's training loop
  std::string weights_digest;   // CRC-32 of the final parameters and buffers (hex)
};

// Runs on every rank; rank 0 writes progress and results to `out`. Throws
// ringtail::Error for bad options, data, checkpoints or a failed collective.
TrainSummary run_training(const TrainOptions& options, std::ostream& out);

// CRC-32 over the bytes of every parameter and buffer, in order, as 8 hex digits.
std::string weights_digest(const ::torch::nn::Module& model);

}  // namespace ringtail::pets::train
