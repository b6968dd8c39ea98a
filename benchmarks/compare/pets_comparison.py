#!/usr/bin/python3
"""The workshop's comparison on the pet workload: ringtail vs PyTorch DDP, speed and accuracy.

Trains the same classifier on the same Oxford-IIIT Pet folder with
`ringtail-run -np N -- ringtail-pets train` under each ringtail configuration
(allreduce algorithm native, ring, shm, hierarchical; tensor fusion off; fp16
gradient compression) and with the PyTorch DDP peer
(benchmarks/peers/ddp_pets.py), all with the same recipe. Every configuration
runs once per round, rounds interleaved, so a noisy neighbour hurts all alike.
Writes into --out:

  results.md            the table: img/s, ratio to DDP, final accuracy, time to train, commands
  results.json          every run: command, wall time, and the rank-0 metrics of every epoch
  not_run.json          the configurations that could not run, and why
  throughput.png        training img/s per configuration (median of rounds, min-max bar)
  accuracy_vs_time.png  evaluation accuracy after each epoch against seconds since training began
  runs/<config>/round<k>/{metrics.jsonl,train.log}   what each run wrote

  ringtail-pets synth --out /tmp/pets --classes 37 --per-class 40 --size 80 --seed 1
  /usr/bin/python3 benchmarks/compare/compare_training.py --workload pets --data /tmp/pets \\
      --out /tmp/cmp-pets --pets build/examples/pets/ringtail-pets --run build/launcher/ringtail-run

Run with /usr/bin/python3 (Debian's python3-torch, -torchvision, -matplotlib).
"""
import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PEER = os.path.normpath(os.path.join(HERE, "..", "peers", "ddp_pets.py"))
DDP = "pytorch ddp"
FP16 = "ringtail native fp16"
# Set per configuration below; a value inherited from the caller's shell would
# silently change the configurations that do not set it.
TUNING_VARIABLES = ("RINGTAIL_ALLREDUCE", "RINGTAIL_FUSION_THRESHOLD", "RINGTAIL_AUTOTUNE")


def configurations():
    """name -> (stack, extra environment, extra train flags)."""
    return {
        "ringtail native": ("ringtail", {"RINGTAIL_ALLREDUCE": "native"}, []),
        "ringtail ring": ("ringtail", {"RINGTAIL_ALLREDUCE": "ring"}, []),
        "ringtail shm": ("ringtail", {"RINGTAIL_ALLREDUCE": "shm"}, []),
        "ringtail hierarchical": ("ringtail", {"RINGTAIL_ALLREDUCE": "hierarchical"}, []),
        "ringtail native no-fusion": ("ringtail", {"RINGTAIL_ALLREDUCE": "native",
                                                   "RINGTAIL_FUSION_THRESHOLD": "0"}, []),
        FP16: ("ringtail", {"RINGTAIL_ALLREDUCE": "native"}, ["--compression", "fp16"]),
        DDP: ("pytorch", {}, []),
    }


def recipe_flags(a):
    """The training flags both stacks take, with the same meaning."""
    return ["--data", a.data, "--arch", a.arch, "--image-size", str(a.image_size),
            "--crop-scale", str(a.crop_scale), "--batch-size", str(a.batch_size), "--lr", str(a.lr),
            "--epochs", str(a.epochs), "--warmup-epochs", str(a.warmup_epochs),
            "--weight-decay", str(a.weight_decay), "--label-smoothing", str(a.label_smoothing),
            "--seed", str(a.seed), "--threads", str(a.threads), "--workers", str(a.workers)]


# What results.md's header describes; saved with every run so --report-only
# describes the runs, not this invocation's defaults.
SETTINGS = ("data", "arch", "image_size", "crop_scale", "batch_size", "lr", "epochs", "warmup_epochs",
            "weight_decay", "label_smoothing", "seed", "threads", "workers", "np")


def command_of(a, stack, flags, run_dir):
    metrics = os.path.join(run_dir, "metrics.jsonl")
    if stack == "pytorch":
        return [a.python, PEER, "--world", str(a.np)] + recipe_flags(a) + ["--metrics", metrics]
    return ([a.run, "-np", str(a.np), "--", a.pets, "train"] + recipe_flags(a) + flags +
            ["--output", run_dir, "--overwrite", "--progress", "lines", "--metrics", metrics])


def shown(env, cmd):
    return " ".join(f"{k}={v}" for k, v in env.items()) + (" " if env else "") + shlex.join(cmd)


def train_supports(a, option):
    """Whether `ringtail-pets train --help` lists `option` (fp16 compression is not there yet)."""
    p = subprocess.run([a.pets, "train", "--help"], capture_output=True, text=True, timeout=60)
    return option in p.stdout


def error_line(log_text):
    """The line that says why a run failed: the last one naming an error, else the last one."""
    lines = [l.strip() for l in log_text.splitlines() if l.strip()]
    for line in reversed(lines):
        if "error" in line.lower():
            return line[:300]
    return lines[-1][:300] if lines else "no output"


def read_metrics(path):
    """Rank 0's start, epoch and final records."""
    start, epochs, final = None, [], None
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            if r.get("rank") != 0:
                continue
            if r["event"] == "start":
                start = r
            elif r["event"] == "epoch":
                epochs.append(r)
            elif r["event"] == "final":
                final = r
    if start is None or not epochs or final is None:
        raise RuntimeError(f"{path}: no complete run (start, epochs and final records of rank 0)")
    return start, sorted(epochs, key=lambda r: r["epoch"]), final


def summarise(start, epochs, final):
    """One run's numbers. Epoch 1 carries start-up (loader processes, first allocations, warm
    caches), so throughput is the median over the later epochs when there are any."""
    steady = epochs[1:] or epochs
    curve = [{"epoch": e["epoch"], "elapsed_s": e["time"] - start["time"],
              "accuracy": (e.get("eval") or {}).get("accuracy"),
              "images_per_second": e["images_per_second"]} for e in epochs]
    return {
        "img_per_s": statistics.median(e["images_per_second"] for e in steady),
        "train_images": start["train_images"], "eval_images": start["eval_images"],
        "steps_per_epoch": start["steps_per_epoch"], "global_batch": start["global_batch"],
        "train_s": curve[-1]["elapsed_s"],
        "final_accuracy": final["eval"]["accuracy"], "final_top5": final["eval"]["top5"],
        "ranks_agree": final.get("ranks_agree"), "curve": curve,
    }


def run_dir_of(a, name, rnd):
    return os.path.join(a.out, "runs", name.replace(" ", "-"), f"round{rnd + 1}")


def run_one(a, name, stack, env_extra, flags, rnd):
    run_dir = run_dir_of(a, name, rnd)
    shutil.rmtree(run_dir, ignore_errors=True)  # metrics files are appended to
    os.makedirs(run_dir)
    cmd = command_of(a, stack, flags, run_dir)
    env = {k: v for k, v in os.environ.items() if k not in TUNING_VARIABLES}
    env.update(env_extra)
    log = os.path.join(run_dir, "train.log")
    began = time.perf_counter()
    with open(log, "w") as out:
        try:
            p = subprocess.run(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=a.timeout)
            code = p.returncode
        except subprocess.TimeoutExpired:
            code = None
    wall = time.perf_counter() - began
    with open(log) as f:
        text = f.read()
    if code != 0:
        why = f"timed out after {a.timeout:.0f} s" if code is None else error_line(text)
        raise RuntimeError(f"{why} (log: {log})")
    r = summarise(*read_metrics(os.path.join(run_dir, "metrics.jsonl")))
    # The checkpoint is the ringtail run's by-product; only the metrics are compared.
    ckpt = os.path.join(run_dir, "checkpoint.rtc")
    if os.path.exists(ckpt):
        os.remove(ckpt)
    r.update(configuration=name, round=rnd, stack=stack, wall_s=wall, command=shown(env_extra, cmd),
             settings={k: getattr(a, k) for k in SETTINGS})
    return r


def ratio_median(rounds, num, den, key="img_per_s"):
    vals = [r[num][key] / r[den][key] for r in rounds if num in r and den in r and r[den][key]]
    return (statistics.median(vals), vals) if vals else (None, [])


def write_markdown(a, configs, results, rounds, commands, failed):
    fmt = lambda v, p=1: "-" if v is None else f"{v:.{p}f}"
    pct = lambda v: "-" if v is None else f"{100 * v:.1f}%"
    any_run = next((runs[0] for runs in results.values() if runs), None)
    L = ["# The pet workload: ringtail vs PyTorch DDP\n"]
    data = (f"{any_run['train_images']} training and {any_run['eval_images']} evaluation images, "
            f"{any_run['steps_per_epoch']} steps of global batch {any_run['global_batch']} per epoch"
            if any_run else "no run finished")
    L.append(f"{a.arch} on `{a.data}` ({data}); {a.image_size} x {a.image_size}, batch {a.batch_size} per rank, "
             f"{a.np} ranks, {a.threads} intra-op thread(s) and {a.workers} loader worker(s) per rank; "
             f"lr {a.lr} per batch (x ranks), {a.epochs} epochs, warm-up {a.warmup_epochs}, crop scale "
             f"{a.crop_scale}, weight decay {a.weight_decay}, label smoothing {a.label_smoothing}, seed {a.seed}. "
             f"{a.runs} interleaved round(s); medians of rounds. Machine: {os.cpu_count()} CPUs, "
             f"load average {os.getloadavg()[0]:.1f} at the end. {time.strftime('%Y-%m-%d %H:%M %Z')}.\n")
    L.append("img/s: training images of all ranks per second of an epoch's training pass (evaluation "
             "excluded), median over epochs 2.. (epoch 1 carries start-up). Time to train: from the "
             "first metrics record (data opened, model built) to the last epoch's evaluation. "
             "Accuracy: the evaluation split after the last epoch.\n")
    L.append("| configuration | img/s | min..max | vs DDP | final accuracy | top-5 | time to train s | wall s |")
    L.append("|---|---|---|---|---|---|---|---|")
    for name in configs:
        runs = results.get(name, [])
        if not runs:
            continue
        ips = [r["img_per_s"] for r in runs]
        vs, _ = ratio_median(rounds, name, DDP)
        med = lambda key: statistics.median(r[key] for r in runs)
        L.append(f"| {name} | {statistics.median(ips):.1f} | {min(ips):.1f}..{max(ips):.1f} | {fmt(vs, 2)} | "
                 f"{pct(med('final_accuracy'))} | {pct(med('final_top5'))} | {med('train_s'):.1f} | "
                 f"{med('wall_s'):.1f} |")
    for name, why in failed.items():
        L.append(f"| {name} | not run: {why} | | | | | | |")
    L.append("")
    lines = []
    for name in configs:
        if name == DDP or not results.get(name):
            continue
        vs, vals = ratio_median(rounds, name, DDP)
        if vs is not None:
            lines.append(f"- {name} / PyTorch DDP, img/s: **{vs:.3f}**; rounds: "
                         f"{', '.join(f'{v:.3f}' for v in vals)}")
    if lines:
        L.append("Ratios taken inside each round (median, then the rounds' values):\n")
        L += lines + [""]
    L.append("Commands (round 1):\n\n```")
    L += [commands[n] for n in configs if n in commands]
    L.append("```\n")
    L.append("![throughput](throughput.png)\n\n![accuracy against time](accuracy_vs_time.png)\n")
    with open(os.path.join(a.out, "results.md"), "w") as f:
        f.write("\n".join(L))


def plot(a, configs, results):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n in configs if results.get(n)]
    fig, ax = plt.subplots(figsize=(9, 0.6 * len(names) + 1.8))
    if names:
        med = [statistics.median(r["img_per_s"] for r in results[n]) for n in names]
        lo = [m - min(r["img_per_s"] for r in results[n]) for n, m in zip(names, med)]
        hi = [max(r["img_per_s"] for r in results[n]) - m for n, m in zip(names, med)]
        colors = ["tab:blue" if configs[n][0] == "ringtail" else "tab:orange" for n in names]
        ax.barh(names, med, xerr=[lo, hi], color=colors)
        ax.invert_yaxis()
        for y, m in enumerate(med):
            ax.text(m, y, f" {m:.1f}", va="center")
    ax.set_xlabel(f"training images per second, {a.np} ranks (median of rounds, min-max)")
    ax.set_title(f"{a.arch} on the pet workload: ringtail (blue) vs PyTorch DDP (orange)")
    fig.tight_layout()
    fig.savefig(os.path.join(a.out, "throughput.png"), dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(9, 5))
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, name in enumerate(names):
        color = "black" if name == DDP else cycle[i % len(cycle)]
        for k, r in enumerate(results[name]):
            pts = [(c["elapsed_s"], 100 * c["accuracy"]) for c in r["curve"] if c["accuracy"] is not None]
            if pts:
                xs, ys = zip(*pts)
                ax.plot(xs, ys, marker="o", ms=3, color=color, alpha=1.0 if k == 0 else 0.4,
                        ls="--" if name == DDP else "-", label=name if k == 0 else None)
    ax.set_xlabel("seconds since training began (rank 0)")
    ax.set_ylabel("evaluation accuracy after the epoch, %")
    ax.set_title("accuracy against time (solid: round 1; faded: later rounds)")
    ax.grid(alpha=0.3)
    if names:
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(a.out, "accuracy_vs_time.png"), dpi=110)
    plt.close(fig)


def parse_args(argv):
    p = argparse.ArgumentParser(prog="compare_training.py --workload pets", description=__doc__.split("\n")[0])
    p.add_argument("--workload", choices=["pets"], default="pets")
    p.add_argument("--out", required=True, help="folder for results.md, results.json, the charts and runs/")
    p.add_argument("--data", help="Oxford-IIIT Pet layout (real, or `ringtail-pets synth`); required unless "
                                  "--report-only")
    p.add_argument("--pets", default="ringtail-pets", help="the ringtail-pets binary")
    p.add_argument("--run", default="ringtail-run", help="the ringtail-run binary")
    p.add_argument("--python", default="/usr/bin/python3", help="a python3 with torch and torchvision")
    p.add_argument("--np", type=int, default=2, help="ranks of every configuration")
    p.add_argument("--runs", type=int, default=1, help="interleaved rounds")
    p.add_argument("--only", default="", help="comma-separated configuration names (default: all)")
    p.add_argument("--arch", default="small_cnn", help="resnet18, resnet34, resnet50 or small_cnn")
    p.add_argument("--image-size", type=int, default=64)
    p.add_argument("--crop-scale", type=float, default=0.35)
    p.add_argument("--batch-size", type=int, default=32, help="per rank")
    p.add_argument("--lr", type=float, default=0.05, help="for one batch of --batch-size (times the ranks)")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--warmup-epochs", type=float, default=None, help="default: 1, or 0 with one epoch")
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--label-smoothing", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="intra-op threads per rank")
    p.add_argument("--workers", type=int, default=1, help="loader workers per rank")
    p.add_argument("--timeout", type=float, default=3600, help="seconds for one training run")
    p.add_argument("--report-only", action="store_true",
                   help="run nothing: rewrite results.md and the charts from --out's results.json")
    a = p.parse_args(argv)
    if a.warmup_epochs is None:
        a.warmup_epochs = 1.0 if a.epochs > 1 else 0.0
    for name in ("np", "runs", "epochs", "batch_size", "image_size", "threads"):
        if getattr(a, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    configs = configurations()
    if a.only:
        wanted = [w.strip() for w in a.only.split(",") if w.strip()]
        unknown = [w for w in wanted if w not in configs]
        if unknown:
            p.error(f"--only: unknown {unknown}; known: {list(configs)}")
        configs = {k: v for k, v in configs.items() if k in wanted}
    if not a.report_only and not a.data:
        p.error("--data is required")
    if not a.report_only and not os.path.isdir(os.path.join(a.data, "annotations")):
        p.error(f"--data {a.data}: no annotations/ folder (write one with `ringtail-pets synth --out {a.data}`)")
    return a, configs


def main(argv):
    a, configs = parse_args(argv)
    a.out = os.path.abspath(a.out)
    os.makedirs(a.out, exist_ok=True)
    results, rounds, commands, failed = {}, [], {}, {}
    saved = os.path.join(a.out, "results.json")
    if a.report_only:
        with open(saved) as f:
            runs = json.load(f)
        if not runs:
            raise SystemExit(f"{saved}: no runs to report")
        for k, v in runs[0]["settings"].items():
            setattr(a, k, v)
        for r in runs:
            results.setdefault(r["configuration"], []).append(r)
            if r["round"] == 0:
                commands[r["configuration"]] = r["command"]
        a.runs = 1 + max(r["round"] for r in runs)
        rounds = [{r["configuration"]: r for r in runs if r["round"] == i} for i in range(a.runs)]
        not_run = os.path.join(a.out, "not_run.json")
        if os.path.exists(not_run):
            with open(not_run) as f:
                failed = {k: v for k, v in json.load(f).items() if k in configs}
        configs = {k: v for k, v in configs.items() if k in results or k in failed}
    elif FP16 in configs and not train_supports(a, "--compression"):
        failed[FP16] = "`ringtail-pets train` has no --compression option yet"
    for rnd in range(0 if a.report_only else a.runs):
        this_round = {}
        for name, (stack, env, flags) in configs.items():
            if name in failed:
                continue
            if rnd == 0:
                commands[name] = shown(env, command_of(a, stack, flags, run_dir_of(a, name, rnd)))
            try:
                r = run_one(a, name, stack, env, flags, rnd)
            except RuntimeError as e:
                # A configuration this build cannot run is reported; the others go on.
                failed[name] = str(e)
                print(f"round {rnd + 1}/{a.runs}  {name:28s} FAILED: {failed[name]}", flush=True)
                continue
            results.setdefault(name, []).append(r)
            this_round[name] = r
            print(f"round {rnd + 1}/{a.runs}  {name:28s} {r['img_per_s']:8.1f} img/s  accuracy "
                  f"{100 * r['final_accuracy']:5.1f}%  {r['train_s']:6.1f} s", flush=True)
        rounds.append(this_round)
        with open(saved, "w") as f:
            json.dump([r for runs in results.values() for r in runs], f, indent=1)
        with open(os.path.join(a.out, "not_run.json"), "w") as f:
            json.dump(failed, f, indent=1)
    write_markdown(a, configs, results, rounds, commands, failed)
    plot(a, configs, results)
    with open(os.path.join(a.out, "results.md")) as f:
        print(f.read())
    return 0 if results else 1
