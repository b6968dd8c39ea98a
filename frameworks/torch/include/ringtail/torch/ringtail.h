#pragma once
// The one header a LibTorch program includes to use ringtail:
//
//   #include <ringtail/torch/ringtail.h>
//   namespace rt = ringtail::torch;
//
//   rt::init();
//   rt::broadcast_parameters(model->named_parameters());
//   rt::DistributedOptimizer optimizer(sgd, model->named_parameters());
//   ... loss.backward(); optimizer.step(); ...
//
// See docs/integration.md.

#include "ringtail/collectives/error.h"
#include "ringtail/torch/broadcast.h"
#include "ringtail/torch/context.h"
#include "ringtail/torch/distributed_optimizer.h"
#include "ringtail/torch/distributed_sampler.h"
#include "ringtail/torch/ops.h"
