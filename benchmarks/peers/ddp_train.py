#!/usr/bin/python3
"""The PyTorch DistributedDataParallel peer of `ringtail-bench train`.

Same workload, same flags, same JSON keys, so the two can be compared side by
side on one machine (benchmarks/compare/compare_training.py does that):
one fixed random batch per rank, SGD (momentum 0.9), cross entropy, the
torchvision ResNets (ringtail's pets models share their layers and names) or
a copy of ringtail's small_cnn.

Needs Debian's python3-torch and python3-torchvision; run it with
/usr/bin/python3 (a pyenv python3 on PATH has no torch). Ranks start with
torch.multiprocessing.spawn, because torchrun is broken on Debian 12's Python
3.11, and meet over gloo on 127.0.0.1. --world 1 runs one plain process
without DDP: the single-process baseline.

  /usr/bin/python3 benchmarks/peers/ddp_train.py --world 2 --model resnet18 \
      --image-size 128 --classes 37 --batch-size 16 --threads 1 --steps 20 --json

DDP reduces gradients inside backward (bucketed allreduces, then a wait at
the end of backward), so its communication wait is part of backward_ms and
comm_wait_ms is null.
"""
import argparse
import json
import socket
import statistics
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
import torchvision


def small_cnn(classes):
    """ringtail's small_cnn (examples/pets/src/models/small_cnn.cc), layer for layer."""
    def block(i, o):
        return [nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True)]
    return nn.Sequential(
        *block(3, 32), *block(32, 32), nn.MaxPool2d(2),
        *block(32, 64), *block(64, 64), nn.MaxPool2d(2),
        *block(64, 128),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.25), nn.Linear(128, classes))


def make_model(name, classes):
    if name == "small_cnn":
        return small_cnn(classes)
    if name in ("resnet18", "resnet34", "resnet50"):
        return getattr(torchvision.models, name)(num_classes=classes)
    sys.exit(f"ddp_train.py: --model '{name}': expected resnet18, resnet34, resnet50 or small_cnn")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rank_main(rank, args, port, results):
    torch.set_num_threads(args.threads)
    torch.manual_seed(rank)
    distributed = args.world > 1
    if distributed:
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}",
                                rank=rank, world_size=args.world)
    model = make_model(args.model, args.classes)
    model.train()
    if distributed:
        model = nn.parallel.DistributedDataParallel(model, bucket_cap_mb=args.bucket_mb)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    images = torch.randn(args.batch_size, 3, args.image_size, args.image_size)
    labels = torch.randint(0, args.classes, (args.batch_size,))
    phases = {"forward": 0.0, "backward": 0.0, "optimizer": 0.0}

    def step(record):
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(images), labels)
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        opt.step()
        t3 = time.perf_counter()
        if record:
            phases["forward"] += t1 - t0
            phases["backward"] += t2 - t1
            phases["optimizer"] += t3 - t2

    for _ in range(args.warmup_steps):
        step(False)
    if distributed:
        dist.barrier()
    start = time.perf_counter()
    for _ in range(args.steps):
        step(True)
    if distributed:
        dist.barrier()
    seconds = time.perf_counter() - start
    results.put((rank, seconds, {k: 1000 * v / args.steps for k, v in phases.items()}))
    if distributed:
        dist.destroy_process_group()


def report(args, rows):
    rows.sort()
    per_rank = [args.batch_size * args.steps / seconds for _, seconds, _ in rows]
    mean = lambda key: statistics.fmean(p[key] for _, _, p in rows)
    step_ms = statistics.fmean(1000 * seconds / args.steps for _, seconds, _ in rows)
    return {
        "stack": "pytorch-ddp" if args.world > 1 else "pytorch",
        "world": args.world, "model": args.model, "image_size": args.image_size,
        "classes": args.classes, "batch_size": args.batch_size, "threads": args.threads,
        "warmup_steps": args.warmup_steps, "steps": args.steps,
        "bucket_mb": args.bucket_mb if args.world > 1 else None,
        "torch": torch.__version__,
        "img_per_s": sum(per_rank), "img_per_s_per_rank": per_rank,
        "step_ms": step_ms, "forward_ms": mean("forward"), "backward_ms": mean("backward"),
        "comm_wait_ms": None, "optimizer_ms": mean("optimizer"),
    }


def print_table(r):
    print(f"{r['stack']}: {r['model']}, {r['classes']} classes, input 3x{r['image_size']}x{r['image_size']}, "
          f"batch {r['batch_size']} per rank, {r['threads']} thread(s) per rank, {r['world']} rank(s), "
          f"torch {r['torch']}")
    print(f"  warm-up {r['warmup_steps']} steps, timed {r['steps']} steps")
    for i, v in enumerate(r["img_per_s_per_rank"]):
        print(f"  rank {i}: {v:.2f} img/s")
    print(f"  total {r['img_per_s']:.2f} img/s; step {r['step_ms']:.1f} ms = forward {r['forward_ms']:.1f} "
          f"+ backward (with DDP's allreduce) {r['backward_ms']:.1f} + optimizer {r['optimizer_ms']:.1f}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--world", type=int, default=2, help="number of ranks (1: no DDP)")
    p.add_argument("--model", default="resnet18")
    p.add_argument("--image-size", type=int, default=128)
    p.add_argument("--classes", type=int, default=37)
    p.add_argument("--batch-size", type=int, default=16, help="per rank")
    p.add_argument("--threads", type=int, default=1, help="intra-op threads per rank")
    p.add_argument("--warmup-steps", type=int, default=3)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--bucket-mb", type=float, default=25.0, help="DDP bucket size (its default)")
    p.add_argument("--json", action="store_true", help="one JSON line instead of the table")
    args = p.parse_args()
    for name in ("world", "image_size", "classes", "batch_size", "threads", "steps"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.warmup_steps < 0:
        p.error("--warmup-steps must not be negative")

    ctx = mp.get_context("spawn")
    results = ctx.SimpleQueue()
    if args.world == 1:
        rank_main(0, args, 0, results)
    else:
        mp.start_processes(rank_main, args=(args, free_port(), results), nprocs=args.world,
                           join=True, start_method="spawn")
    rows = [results.get() for _ in range(args.world)]
    r = report(args, rows)
    if args.json:
        print(json.dumps(r), flush=True)
    else:
        print_table(r)


if __name__ == "__main__":
    main()
