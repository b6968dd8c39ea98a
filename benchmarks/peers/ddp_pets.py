#!/usr/bin/python3
"""The PyTorch DistributedDataParallel peer of `ringtail-pets train`.

Trains the same classifier on the same Oxford-IIIT Pet folder with the same
recipe and writes the same metrics JSON lines, so the two stacks can be
charted side by side (benchmarks/compare/compare_training.py --workload pets):

- data: ROOT/annotations/{trainval,test}.txt and ROOT/images/*.jpg, read as
  ringtail-pets does (docs/pets.md): missing, empty, truncated and unknown
  files are skipped, GIF too (Debian's OpenCV cannot decode it, so ringtail
  skips it), PNG/CMYK/grayscale/alpha images become RGB; the val split is the
  same seeded stratified draw from trainval (the same images as ringtail's);
- transforms: RandomResizedCrop (area --crop-scale..1, ratio 3/4..4/3) and a
  horizontal flip for training; shorter side to round(size / 0.875) and a
  centre crop for evaluation; ImageNet normalization;
- model: small_cnn (ringtail's, layer for layer) or torchvision's ResNets;
- optimisation: SGD with momentum (or AdamW), weight decay on conv and linear
  weights only, lr scaled by the number of ranks, linear warm-up from 10% of
  the peak over --warmup-epochs, then a cosine to --final-lr-fraction, per
  step; label smoothing; batch per rank; DistributedSampler (seed + epoch);
  whole batches only; at the end of each epoch batch-norm running statistics
  are averaged over the ranks and the eval split is scored by all ranks
  together (rank r takes images r, r + n, ...).

What differs, by construction: the random numbers (initial weights,
shuffling, augmentation) come from PyTorch, and the loader runs --workers
processes (torch.utils.data.DataLoader) where ringtail runs threads.

  /usr/bin/python3 benchmarks/peers/ddp_pets.py --world 2 --data /tmp/pets \\
      --arch small_cnn --image-size 64 --batch-size 32 --lr 0.05 --epochs 3 \\
      --metrics /tmp/ddp.jsonl

Needs Debian's python3-torch, python3-torchvision and python3-pil; run it with
/usr/bin/python3. Ranks start with torch.multiprocessing (torchrun is broken
on Debian 12's Python 3.11) and meet over gloo on 127.0.0.1.
"""
import argparse
import json
import math
import os
import socket
import sys
import time
import zlib

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
import torchvision.transforms as T
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ddp_train import make_model  # noqa: E402  (small_cnn and the ResNets, shared with the synthetic peer)

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
TAIL_BYTES = 4096
# A rank started by torch.multiprocessing's spawn would spawn its loader
# processes too (re-importing torch: seconds each); fork, the Linux default a
# rank started by torchrun or a shell gets, starts them in milliseconds.
LOADER_START = "fork"
MASK = (1 << 64) - 1


# --- the data set, read as ringtail-pets reads it ---------------------------

def read_annotations(path):
    """[(image, class_id, where)] from an Oxford annotation file."""
    rows = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            fields = text.split()
            if len(fields) != 4:
                raise SystemExit(f"ddp_pets.py: {path}:{number}: expected 'Image CLASS-ID SPECIES BREED-ID' "
                                 f"(line: '{text}')")
            rows.append((fields[0], int(fields[1]), f"{os.path.basename(path)}:{number}"))
    return rows


def why_unusable(path):
    """None when ringtail-pets would load the file, else why it skips it."""
    try:
        size = os.path.getsize(path)
    except OSError:
        return "file is missing"
    if size == 0:
        return "file is empty"
    with open(path, "rb") as f:
        head = f.read(16)
        f.seek(max(0, size - TAIL_BYTES))
        tail = f.read()
    if head.startswith(b"\xff\xd8\xff"):
        return None if b"\xff\xd9" in tail else "JPEG data is truncated"
    if head.startswith(b"\x89PNG"):
        return None if b"IEND" in tail else "PNG data is truncated"
    if head.startswith(b"GIF8"):
        return "GIF data (ringtail's OpenCV has no GIF decoder, so both stacks skip it)"
    try:
        with Image.open(path) as im:
            im.size  # noqa: B018  a header PIL understands
    except Exception:  # PIL raises many kinds for data it does not know
        return "not image data of a known format"
    return None


def mix64(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def combine_seeds(a, b):
    return mix64(a ^ mix64((b + 0x632BE59BD9B4E019) & MASK))


class Xoshiro:
    """ringtail::pets::Rng (xoshiro256** seeded through SplitMix64), for the same val draw."""

    def __init__(self, seed):
        self.s = []
        for _ in range(4):
            seed = (seed + 0x9E3779B97F4A7C15) & MASK
            self.s.append(mix64(seed))

    @staticmethod
    def rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & MASK

    def next_u64(self):
        s = self.s
        result = (self.rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = self.rotl(s[3], 45)
        return result

    def below(self, n):
        limit = MASK - (MASK % n)
        x = self.next_u64()
        while x >= limit:
            x = self.next_u64()
        return x % n


def lround(x):
    return int(math.floor(x + 0.5)) if x >= 0 else -int(math.floor(-x + 0.5))


def stratified_draw(labels, fraction, seed):
    """Positions of trainval that form the val split: ringtail's stratified_draw, bit for bit."""
    by_label = {}
    for i, label in enumerate(labels):
        by_label.setdefault(label, []).append(i)
    drawn = []
    for label in sorted(by_label):
        positions = by_label[label]
        n = len(positions)
        k = lround(fraction * n)
        if fraction > 0 and n >= 2:
            k = min(max(k, 1), n - 1)
        if n < 2:
            k = 0
        rng = Xoshiro(combine_seeds(seed, label))
        for i in range(n, 1, -1):
            j = rng.below(i)
            positions[i - 1], positions[j] = positions[j], positions[i - 1]
        drawn.extend(positions[:k])
    return set(drawn)


def open_pets(root, val_fraction, seed):
    """{split: [(path, label)]}, the number of classes and the skipped files."""
    annotations = os.path.join(root, "annotations")
    images = os.path.join(root, "images")
    for folder in (root, annotations, images):
        if not os.path.isdir(folder):
            raise SystemExit(f"ddp_pets.py: --data: {folder} is not a directory "
                             "(expected ROOT/images/*.jpg and ROOT/annotations/{trainval,test}.txt)")
    splits, skipped, classes = {"trainval": [], "test": []}, [], 0
    for split in ("trainval", "test"):
        for image, class_id, where in read_annotations(os.path.join(annotations, split + ".txt")):
            classes = max(classes, class_id)
            path = os.path.join(images, image + ".jpg")
            why = why_unusable(path)
            if why:
                skipped.append(f"  skipped   {image} (annotations/{where}): {why}")
            else:
                splits[split].append((path, class_id - 1))
    val = stratified_draw([label for _, label in splits["trainval"]], val_fraction, seed)
    splits["val"] = [r for i, r in enumerate(splits["trainval"]) if i in val]
    splits["train"] = [r for i, r in enumerate(splits["trainval"]) if i not in val]
    return splits, classes, skipped


class PetImages(torch.utils.data.Dataset):
    def __init__(self, records, transform):
        self.records, self.transform = records, transform

    def __len__(self):
        return len(self.records)

    def __getitem__(self, i):
        path, label = self.records[i]
        with Image.open(path) as im:
            rgb = im.convert("RGB")  # CMYK, grayscale, palette and alpha images, as ringtail converts them
        return self.transform(rgb), label


def transforms(size, crop_scale, augment):
    normalize = [T.ToTensor(), T.Normalize(MEAN, STD)]
    evaluate = T.Compose([T.Resize(lround(size / 0.875)), T.CenterCrop(size)] + normalize)
    if not augment:
        return evaluate, evaluate
    train = T.Compose([T.RandomResizedCrop(size, scale=(crop_scale, 1.0), ratio=(3 / 4, 4 / 3)),
                       T.RandomHorizontalFlip()] + normalize)
    return train, evaluate


# --- the recipe --------------------------------------------------------------

def lr_at(step, peak, warmup_start, warmup_steps, total_steps, final_fraction):
    """ringtail-pets' LrSchedule: linear warm-up, then a cosine to final_fraction of the peak."""
    step = min(max(step, 0), max(total_steps - 1, 0))
    if step < warmup_steps:
        return warmup_start + (peak - warmup_start) * step / warmup_steps
    decay_steps = total_steps - warmup_steps
    if decay_steps <= 1:
        return peak
    t = (step - warmup_steps) / (decay_steps - 1)
    floor = peak * final_fraction
    return floor + (peak - floor) * 0.5 * (1.0 + math.cos(math.pi * t))


def make_optimizer(args, model):
    decay = [p for p in model.parameters() if p.requires_grad and p.dim() > 1]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.dim() <= 1]
    groups = [{"params": decay, "weight_decay": args.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    if args.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=args.lr, momentum=args.momentum, nesterov=args.nesterov)
    return torch.optim.AdamW(groups, lr=args.lr)


class MetricsLog:
    """ringtail-pets' --metrics: one JSON object per line, each in one write (O_APPEND)."""

    def __init__(self, pattern, rank):
        self.rank, self.fd = rank, None
        if pattern:
            path = pattern.replace("{rank}", str(rank))
            if os.path.dirname(path):
                os.makedirs(os.path.dirname(path), exist_ok=True)
            self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)

    def write(self, event, **fields):
        if self.fd is None:
            return
        record = {"event": event, "rank": self.rank, "time": time.time(), **fields}
        os.write(self.fd, (json.dumps(record) + "\n").encode())

    def close(self):
        if self.fd is not None:
            os.close(self.fd)


def allreduce_sum(values, world):
    t = torch.tensor(values, dtype=torch.float64)
    if world > 1:
        dist.all_reduce(t)
    return t


def evaluate(model, dataset, args, rank, world, classes):
    """Loss, top-1, top-5 and per-class accuracy over the whole split; every rank gets the same numbers."""
    shard = torch.utils.data.Subset(dataset, list(range(rank, len(dataset), world)))
    loader = torch.utils.data.DataLoader(shard, batch_size=args.batch_size, num_workers=args.workers,
                                         multiprocessing_context=LOADER_START if args.workers > 0 else None)
    model.eval()
    k = min(5, classes)
    sums = torch.zeros(3 + classes * classes, dtype=torch.float64)
    confusion = sums[3:].view(classes, classes)
    with torch.no_grad():
        for images, labels in loader:
            logits = model(images).float()
            sums[0] += nn.functional.cross_entropy(logits, labels, reduction="sum").item()
            top = logits.topk(k, 1).indices
            sums[1] += top[:, 0].eq(labels).sum().item()
            sums[2] += top.eq(labels.unsqueeze(1)).any(1).sum().item()
            confusion.view(-1).index_add_(0, labels * classes + top[:, 0],
                                          torch.ones(len(labels), dtype=torch.float64))
    if world > 1:
        dist.all_reduce(sums)
    confusion = sums[3:].view(classes, classes)
    count = int(confusion.sum().item())
    n = max(1, count)
    rows = confusion.sum(1)
    per_class = [None if rows[c] == 0 else (confusion[c, c] / rows[c]).item() for c in range(classes)]
    return {"accuracy": sums[1].item() / n, "top5": sums[2].item() / n, "loss": sums[0].item() / n,
            "count": count}, per_class


def average_buffers(model, world):
    """Each rank's batch-norm statistics come from its own batches; evaluate with their mean, as ringtail does."""
    if world == 1:
        return
    with torch.no_grad():
        for b in model.buffers():
            if b.is_floating_point():
                dist.all_reduce(b)
                b.div_(world)


def weights_digest(model):
    crc = 0
    for t in model.state_dict().values():
        crc = zlib.crc32(t.detach().contiguous().numpy().tobytes(), crc)
    return crc


def rank_main(rank, args, port):
    torch.set_num_threads(args.threads)
    world = args.world
    if world > 1:
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)
    lead = rank == 0
    splits, classes, skipped = open_pets(args.data, args.val_fraction, args.seed)
    if lead and skipped:
        print(f"Oxford-IIIT Pet: {len(skipped)} files skipped\n" + "\n".join(skipped), flush=True)
    train_tf, eval_tf = transforms(args.image_size, args.crop_scale, not args.no_augment)
    train_set = PetImages(splits[args.train_split], train_tf)
    eval_set = PetImages(splits[args.eval_split], eval_tf)

    torch.manual_seed(args.seed)
    model = make_model(args.arch, classes)
    optimizer = make_optimizer(args, model)
    net = nn.parallel.DistributedDataParallel(model, bucket_cap_mb=args.bucket_mb) if world > 1 else model

    sampler = torch.utils.data.distributed.DistributedSampler(train_set, num_replicas=world, rank=rank,
                                                              shuffle=True, seed=args.seed)
    steps_per_epoch = len(sampler) // args.batch_size
    if steps_per_epoch < 1:
        raise SystemExit(f"ddp_pets.py: the training split has {len(train_set)} images, fewer than one step "
                         f"needs (ranks x --batch-size = {world * args.batch_size})")
    loading = {"num_workers": args.workers}
    if args.workers > 0:
        loading.update(prefetch_factor=args.prefetch, persistent_workers=True, multiprocessing_context=LOADER_START)
    loader = torch.utils.data.DataLoader(train_set, batch_size=args.batch_size, sampler=sampler,
                                         drop_last=True, **loading)
    peak = args.lr * (1 if args.no_lr_scaling else world)
    warmup_steps = lround(args.warmup_epochs * steps_per_epoch)
    total_steps = steps_per_epoch * args.epochs
    schedule = lambda s: lr_at(s, peak, peak * 0.1, warmup_steps, total_steps, args.final_lr_fraction)
    if lead:
        print(f"ddp_pets.py: {args.arch} on {args.data}, {classes} classes; {len(train_set)} training images "
              f"({args.train_split}), {len(eval_set)} evaluation images ({args.eval_split})\n"
              f"  {world} rank(s) x batch {args.batch_size} = global batch {world * args.batch_size}; "
              f"{args.optimizer} lr {args.lr} -> {peak:g}; torch {torch.__version__}", flush=True)

    metrics = MetricsLog(args.metrics, rank)
    metrics.write("start", stack="pytorch-ddp" if world > 1 else "pytorch", ranks=world, arch=args.arch,
                  dataset="pets", epochs=args.epochs, first_epoch=1, steps_per_epoch=steps_per_epoch,
                  global_batch=world * args.batch_size, peak_lr=peak, resumed=False,
                  train_images=len(train_set), eval_images=len(eval_set))
    smoothing = args.label_smoothing
    run_start = time.perf_counter()
    steps_done = 0
    last_eval, per_class = None, []
    for epoch in range(args.epochs):
        epoch_start = time.perf_counter()
        sampler.set_epoch(epoch)
        net.train()
        loss_sum = correct = count = 0.0
        lr = schedule(steps_done)
        batches = iter(loader)
        for _ in range(steps_per_epoch):
            images, labels = next(batches)
            lr = schedule(steps_done)
            for group in optimizer.param_groups:
                group["lr"] = lr
            logits = net(images)
            loss = nn.functional.cross_entropy(logits, labels, label_smoothing=smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            steps_done += 1
            n = len(labels)
            loss_sum += loss.item() * n
            correct += logits.argmax(1).eq(labels).sum().item()
            count += n
        del batches
        train_seconds = time.perf_counter() - epoch_start
        s = allreduce_sum([loss_sum, correct, count], world)
        average_buffers(model, world)
        last = epoch + 1 == args.epochs
        evaluated = last or (epoch + 1) % args.eval_every == 0
        if evaluated:
            last_eval, per_class = evaluate(model, eval_set, args, rank, world, classes)
        epoch_seconds = time.perf_counter() - epoch_start
        record = {"epoch": epoch + 1, "epochs": args.epochs, "steps": steps_done, "lr": lr,
                  "train_loss": s[0].item() / s[2].item(), "train_accuracy": s[1].item() / s[2].item(),
                  "images_per_second": s[2].item() / train_seconds, "epoch_seconds": epoch_seconds}
        if evaluated:
            record["eval"] = last_eval
        metrics.write("epoch", **record)
        if lead:
            line = (f"epoch {epoch + 1}/{args.epochs}  train loss {record['train_loss']:.4f} "
                    f"acc {100 * record['train_accuracy']:.1f}%")
            if evaluated:
                line += (f"  {args.eval_split} loss {last_eval['loss']:.4f} acc {100 * last_eval['accuracy']:.2f}% "
                         f"top-5 {100 * last_eval['top5']:.1f}%")
            print(line + f"  lr {lr:.4g}  {record['images_per_second']:.1f} img/s  {epoch_seconds:.1f} s", flush=True)

    digest = weights_digest(model)
    agree = True
    if world > 1:
        digests = [None] * world
        dist.all_gather_object(digests, digest)
        agree = all(d == digest for d in digests)
    metrics.write("final", epochs=args.epochs, seconds=time.perf_counter() - run_start, eval=last_eval,
                  per_class_accuracy=per_class, weights_digest=f"{digest:08x}", ranks_agree=agree)
    metrics.close()
    if lead:
        print(f"final {args.eval_split} accuracy {100 * last_eval['accuracy']:.2f}% (top-5 "
              f"{100 * last_eval['top5']:.2f}%, loss {last_eval['loss']:.4f}) on {last_eval['count']} images "
              f"after {args.epochs} epochs", flush=True)
    if world > 1:
        # DDP's reducer must go before the process group: destroyed last, at
        # interpreter exit, it joins gloo threads that wait for the GIL it holds
        # (a hang seen with torch 1.13).
        del net
        dist.barrier()
        dist.destroy_process_group()
    if not agree:
        raise SystemExit("ddp_pets.py: the ranks ended with different weights")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--world", type=int, default=2, help="number of ranks (1: one process, no DDP)")
    p.add_argument("--data", required=True, help="the folder with images/ and annotations/")
    p.add_argument("--train-split", default="trainval", choices=["trainval", "train"])
    p.add_argument("--eval-split", default="test", choices=["test", "val"])
    p.add_argument("--val-fraction", type=float, default=0.1)
    p.add_argument("--image-size", type=int, default=224)
    p.add_argument("--crop-scale", type=float, default=0.08)
    p.add_argument("--no-augment", action="store_true")
    p.add_argument("--arch", default="resnet18", choices=["resnet18", "resnet34", "resnet50", "small_cnn"])
    p.add_argument("--optimizer", default="sgd", choices=["sgd", "adamw"])
    p.add_argument("--lr", type=float, default=0.1, help="for one batch of --batch-size; times the ranks")
    p.add_argument("--no-lr-scaling", action="store_true")
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--nesterov", action="store_true")
    p.add_argument("--weight-decay", type=float, default=1e-4)
    p.add_argument("--label-smoothing", type=float, default=0.0)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--warmup-epochs", type=float, default=1.0)
    p.add_argument("--final-lr-fraction", type=float, default=0.0)
    p.add_argument("--batch-size", type=int, default=32, help="per rank")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="intra-op threads per rank")
    p.add_argument("--workers", type=int, default=1, help="loader processes per rank")
    p.add_argument("--prefetch", type=int, default=4, help="batches loaded ahead per loader process")
    p.add_argument("--eval-every", type=int, default=1)
    p.add_argument("--metrics", default="", help="append JSON lines here ({rank}: one file per rank)")
    p.add_argument("--bucket-mb", type=float, default=25.0, help="DDP bucket size (its default)")
    a = p.parse_args(argv)
    for name in ("world", "image_size", "batch_size", "epochs", "threads", "prefetch", "eval_every"):
        if getattr(a, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    if a.workers < 0:
        p.error("--workers must not be negative")
    if not (0 < a.crop_scale <= 1):
        p.error("--crop-scale must be in (0, 1]")
    if not (0 <= a.val_fraction < 1):
        p.error("--val-fraction must be in [0, 1)")
    if not (a.lr > 0):
        p.error("--lr must be positive")
    if not (0 <= a.warmup_epochs < a.epochs):
        p.error("--warmup-epochs must be at least 0 and less than --epochs")
    return a


def main():
    args = parse_args()
    if args.world == 1:
        rank_main(0, args, 0)
    else:
        mp.start_processes(rank_main, args=(args, free_port()), nprocs=args.world, join=True,
                           start_method="spawn")


if __name__ == "__main__":
    main()
