#include <iostream>

#include <boost/program_options.hpp>

#include "command.h"
#include "ringtail/pets/train/trainer.h"

namespace po = boost::program_options;

namespace ringtail::pets::cli {

int train_command(const std::vector<std::string>& args) {
  train::TrainOptions o;
  std::string data, pretrained, output = o.output.string(), metrics;
  bool no_scale_lr = false;
  bool no_augment = false;
  po::options_description data_options("Data");
  data_options.add_options()
      ("dataset", po::value(&o.dataset)->default_value(o.dataset), "pets (Oxford-IIIT Pet layout) or fashion-mnist")
      ("data", po::value(&data),
       "data folder (pets: required, the folder with images/ and annotations/; "
       "fashion-mnist: default /usr/share/datasets/fashion-mnist)")
      ("train-split", po::value(&o.train_split)->default_value(o.train_split),
       "split to train on (pets: trainval or train; fashion-mnist: train)")
      ("eval-split", po::value(&o.eval_split)->default_value(o.eval_split),
       "split evaluated after each epoch (pets: test or val; fashion-mnist: test)")
      ("val-fraction", po::value(&o.val_fraction)->default_value(o.val_fraction, "0.1"),
       "pets: fraction of each class of trainval drawn for the val split")
      ("image-size", po::value(&o.image_size)->default_value(o.image_size),
       "pets: training crop and evaluation centre crop in pixels")
      ("crop-scale", po::value(&o.crop_scale)->default_value(o.crop_scale, "0.08"),
       "pets: smallest area of the random resized crop, as a fraction of the image")
      ("no-augment", po::bool_switch(&no_augment),
       "train on the evaluation preprocessing (pets: no random crop or flip; fashion-mnist: no flip "
       "or shift): faster to fit in few epochs, less robust");
  po::options_description model_options("Model and optimisation");
  model_options.add_options()
      ("arch", po::value(&o.arch)->default_value(o.arch), "resnet18, resnet34, resnet50 or small_cnn")
      ("pretrained", po::value(&pretrained),
       "initial weights (.rtw, from tools/export_torchvision.py); a head of another size is replaced")
      ("optimizer", po::value(&o.optimizer)->default_value(o.optimizer), "sgd (with momentum) or adamw")
      ("lr", po::value(&o.lr)->default_value(o.lr, "0.1"),
       "learning rate for one batch of --batch-size; multiplied by ranks x --accumulate")
      ("no-lr-scaling", po::bool_switch(&no_scale_lr), "use --lr as given, whatever the global batch")
      ("momentum", po::value(&o.momentum)->default_value(o.momentum, "0.9"), "sgd momentum")
      ("nesterov", po::bool_switch(&o.nesterov), "sgd with Nesterov momentum")
      ("weight-decay", po::value(&o.weight_decay)->default_value(o.weight_decay, "0.0001"),
       "on convolution and linear weights (not biases or batch norm)")
      ("label-smoothing", po::value(&o.label_smoothing)->default_value(o.label_smoothing, "0"),
       "cross-entropy label smoothing")
      ("epochs", po::value(&o.epochs)->default_value(o.epochs), "epochs to train")
      ("warmup-epochs", po::value(&o.warmup_epochs)->default_value(o.warmup_epochs, "1"),
       "linear warm-up from 10% of the rate, then cosine decay")
      ("final-lr-fraction", po::value(&o.final_lr_fraction)->default_value(o.final_lr_fraction, "0"),
       "the cosine ends at this fraction of the peak rate")
      ("batch-size", po::value(&o.batch_size)->default_value(o.batch_size), "images per rank per backward pass")
      ("accumulate", po::value(&o.accumulate)->default_value(o.accumulate),
       "backward passes per optimizer step (gradient accumulation)")
      ("compression", po::value(&o.compression)->default_value(o.compression),
       "gradients cast for the allreduce: none, fp16 or bf16")
      ("precision", po::value(&o.precision)->default_value(o.precision),
       "fp32; bf16 (autocast, CPU or CUDA; slow on CPUs without bf16 instructions); "
       "fp16 (CUDA autocast with dynamic loss scaling)")
      ("device", po::value(&o.device)->default_value(o.device), "cpu or cuda (GPU local_rank)");
  po::options_description run_options("Run");
  run_options.add_options()
      ("help,h", "show this help")
      ("output", po::value(&output)->default_value(output), "folder of the checkpoint (checkpoint.rtc)")
      ("resume", po::bool_switch(&o.resume), "continue the run whose checkpoint is in --output")
      ("overwrite", po::bool_switch(&o.overwrite), "start over although --output has a checkpoint")
      ("seed", po::value(&o.seed)->default_value(o.seed), "seed of initialisation, data order and augmentation")
      ("threads", po::value(&o.threads)->default_value(o.threads), "LibTorch threads per rank")
      ("workers", po::value(&o.workers)->default_value(o.workers), "data loader threads per rank")
      ("prefetch", po::value(&o.prefetch)->default_value(o.prefetch), "batches loaded ahead per rank")
      ("eval-every", po::value(&o.eval_every)->default_value(o.eval_every),
       "evaluate every N epochs (and after the last)")
      ("metrics", po::value(&metrics),
       "append JSON lines of metrics to this file, from every rank ({rank} in the name: one file per rank)")
      ("progress", po::value(&o.progress)->default_value(o.progress),
       "auto (a bar on a terminal, else a line per epoch), bar, lines or none");
  po::options_description all;
  all.add(data_options).add(model_options).add(run_options);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(all).run(), vm);
  if (vm.count("help")) {
    std::cout << "Usage: ringtail-pets train --data DIR [options]\n"
                 "       ringtail-run -np N ringtail-pets train --data DIR [options]\n\n"
                 "Trains a classifier data-parallel with ringtail: every rank trains on its shard,\n"
                 "gradients are averaged across ranks, the evaluation split is scored after each\n"
                 "epoch over all ranks, and rank 0 writes a checkpoint every epoch (--resume\n"
                 "continues from it). Then: ringtail-pets evaluate / export --checkpoint.\n"
              << all << "\n";
    return 0;
  }
  po::notify(vm);
  o.data = data;
  o.pretrained = pretrained;
  o.output = output;
  o.metrics = metrics;
  o.scale_lr = !no_scale_lr;
  o.augment = !no_augment;
  train::run_training(o, std::cout);
  return 0;
}

}  // namespace ringtail::pets::cli
