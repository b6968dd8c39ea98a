#!/usr/bin/python3
"""The workshop's comparison of two distributed training stacks, on this machine.

Runs `ringtail-bench train` under ringtail-run with each allreduce algorithm
(native, ring, shm, hierarchical), with tensor fusion off, with fp16 gradient
compression, and on one rank; and the PyTorch peer
(benchmarks/peers/ddp_train.py) with DDP and as one plain process. Every
configuration runs once per round, rounds interleaved, so a noisy neighbour
hurts all of them alike; ratios are taken inside a round and the medians of
rounds are reported. Writes into the folder you name:

  results.md          the table (commands, medians, ratios to DDP, scaling)
  results.json        every run's JSON line
  throughput.png      total img/s per configuration (median, min-max bar)
  step_breakdown.png  where the step time goes (forward, backward, comm wait, optimizer)
  timeline.png        one step of ringtail (rank 0): phases and every allreduce

  /usr/bin/python3 benchmarks/compare/compare_training.py --out /tmp/cmp \
      --bin build/benchmarks/collectives/ringtail-bench --run build/launcher/ringtail-run

With --workload pets it runs the comparison on the pet workload instead: real
training (`ringtail-pets train` and benchmarks/peers/ddp_pets.py) on an
Oxford-IIIT Pet folder, with accuracy against time (pets_comparison.py;
`--workload pets --help` lists its flags).

Needs /usr/bin/python3 with Debian's python3-torch, python3-torchvision and
python3-matplotlib.
"""
import argparse
import csv
import json
import os
import shlex
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PEER = os.path.join(HERE, "..", "peers", "ddp_train.py")


# The rows the targets are read from, when present: the default
# configuration first, then the backend's own allreduce.
HEADLINES = ("ringtail default", "ringtail native")


def configurations(np_):
    """name -> (stack, ranks, extra environment, extra flags)."""
    return {
        # No RINGTAIL_ALLREDUCE: what a user gets (auto: shm on one host).
        "ringtail default": ("ringtail", np_, {}, []),
        "ringtail native": ("ringtail", np_, {"RINGTAIL_ALLREDUCE": "native"}, []),
        "ringtail ring": ("ringtail", np_, {"RINGTAIL_ALLREDUCE": "ring"}, []),
        "ringtail shm": ("ringtail", np_, {"RINGTAIL_ALLREDUCE": "shm"}, []),
        "ringtail hierarchical": ("ringtail", np_, {"RINGTAIL_ALLREDUCE": "hierarchical"}, []),
        "ringtail native no-fusion": ("ringtail", np_, {"RINGTAIL_ALLREDUCE": "native",
                                                          "RINGTAIL_FUSION_THRESHOLD": "0"}, []),
        "ringtail native fp16": ("ringtail", np_, {"RINGTAIL_ALLREDUCE": "native"},
                                  ["--compression", "fp16"]),
        "pytorch ddp": ("pytorch", np_, {}, []),
        "ringtail 1 rank": ("ringtail", 1, {"RINGTAIL_ALLREDUCE": "native"}, []),
        "pytorch 1 process": ("pytorch", 1, {}, []),
    }


def workload_flags(a):
    return ["--model", a.model, "--image-size", str(a.image_size), "--classes", str(a.classes),
            "--batch-size", str(a.batch_size), "--threads", str(a.threads),
            "--warmup-steps", str(a.warmup_steps), "--steps", str(a.steps)]


def command_of(a, stack, ranks, flags, trace=None):
    if stack == "pytorch":
        return [a.python, PEER, "--world", str(ranks)] + workload_flags(a) + ["--json"]
    cmd = [a.run, "-np", str(ranks), "--", a.bin, "train"] + workload_flags(a) + flags + ["--json"]
    return cmd + (["--trace", trace] if trace else [])


def run_one(cmd, env_extra, timeout):
    env = dict(os.environ, **env_extra)
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    if p.returncode != 0 or not lines:
        raise RuntimeError(f"{shlex.join(cmd)} failed (exit {p.returncode}):\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
    return json.loads(lines[-1])


def shown(env, cmd):
    return " ".join(f"{k}={v}" for k, v in env.items()) + (" " if env else "") + shlex.join(cmd)


def median_of(runs, key):
    vals = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def ratio_median(rounds, num, den, f=lambda a, b: a / b):
    vals = [f(r[num]["img_per_s"], r[den]["img_per_s"]) for r in rounds if num in r and den in r]
    return (statistics.median(vals), vals) if vals else (None, [])


def first_error_line(text):
    for line in text.splitlines()[1:]:
        line = line.strip()
        if line and not line.startswith("-") and "mpirun" not in line:
            half = len(line) // 2  # two ranks' identical messages run together
            return line[:half] if line[:half] == line[half:] else line
    return text.splitlines()[0] if text else "failed"


def write_markdown(a, out, configs, results, rounds, commands, failed):
    np_ = a.np
    L = []
    L.append(f"# Training throughput: ringtail vs PyTorch DDP\n")
    L.append(f"{a.model}, {a.classes} classes, 3x{a.image_size}x{a.image_size}, batch {a.batch_size} per rank, "
             f"{a.threads} intra-op thread(s) per rank, {a.warmup_steps} warm-up + {a.steps} timed steps, "
             f"{a.runs} interleaved rounds, medians. Machine: {os.cpu_count()} CPUs. "
             f"{time.strftime('%Y-%m-%d %H:%M %Z')}.\n")
    ddp = "pytorch ddp"
    L.append("| configuration | ranks | img/s total (median) | min..max | vs DDP (median of rounds) | "
             "step ms | forward | backward | comm wait | optimizer | overlap |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for name in configs:
        runs = results.get(name, [])
        if not runs:
            continue
        ips = [r["img_per_s"] for r in runs]
        vs, _ = ratio_median(rounds, name, ddp) if configs[name][1] == np_ else (None, [])
        fmt = lambda v, p=1: "-" if v is None else f"{v:.{p}f}"
        ov = median_of(runs, "overlap")
        L.append(f"| {name} | {configs[name][1]} | {statistics.median(ips):.2f} | {min(ips):.2f}..{max(ips):.2f} | "
                 f"{fmt(vs, 2)} | {fmt(median_of(runs, 'step_ms'))} | {fmt(median_of(runs, 'forward_ms'))} | "
                 f"{fmt(median_of(runs, 'backward_ms'))} | {fmt(median_of(runs, 'comm_wait_ms'))} | "
                 f"{fmt(median_of(runs, 'optimizer_ms'))} | {'-' if ov is None else f'{100 * ov:.0f}%'} |")
    for name, why in failed.items():
        L.append(f"| {name} | {configs[name][1]} | not run: {why} | | | | | | | | |")
    L.append("")
    L.append("Ratios, each taken inside one round (median, then the rounds' values):\n")

    def line(text, value, vals, target=None):
        if value is None:
            return
        t = "" if target is None else f" (target {target})"
        L.append(f"- {text}: **{value:.3f}**{t}; rounds: {', '.join(f'{v:.3f}' for v in vals)}")

    eff = lambda a_, b_: a_ / (np_ * b_)
    for head in [h for h in HEADLINES if h in results]:
        line(f"{head} {np_} ranks / PyTorch DDP {np_} ranks", *ratio_median(rounds, head, ddp), ">= 1.15")
        line(f"{head}: scaling efficiency at {np_} ranks",
             *ratio_median(rounds, head, "ringtail 1 rank", eff), ">= 0.97")
        wait = [r["comm_wait_ms"] / r["step_ms"] for r in results.get(head, []) if r.get("step_ms")]
        if wait:
            L.append(f"- {head}: communication wait / step: **{100 * statistics.median(wait):.1f}%** "
                     f"(target < 5%); rounds: {', '.join(f'{100 * w:.1f}%' for w in wait)}")
    line("ringtail 1 rank / PyTorch 1 process", *ratio_median(rounds, "ringtail 1 rank", "pytorch 1 process"), ">= 1.0")
    line(f"PyTorch DDP scaling efficiency at {np_} ranks", *ratio_median(rounds, ddp, "pytorch 1 process", eff))
    L.append("\nCommands (one round):\n\n```")
    for name in configs:
        if name in commands:
            L.append(commands[name])
    L.append("```\n")
    L.append("![throughput](throughput.png)\n\n![step breakdown](step_breakdown.png)\n\n![timeline](timeline.png)\n")
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write("\n".join(L))


def plot(out, configs, results, trace):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n in configs if results.get(n)]
    med = [statistics.median(r["img_per_s"] for r in results[n]) for n in names]
    lo = [m - min(r["img_per_s"] for r in results[n]) for n, m in zip(names, med)]
    hi = [max(r["img_per_s"] for r in results[n]) - m for n, m in zip(names, med)]
    colors = ["tab:blue" if configs[n][0] == "ringtail" else "tab:orange" for n in names]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.barh(names, med, xerr=[lo, hi], color=colors)
    ax.invert_yaxis()
    ax.set_xlabel("images per second, all ranks (median, min-max)")
    ax.set_title("training throughput: ringtail (blue) vs PyTorch (orange)")
    for y, m in enumerate(med):
        ax.text(m, y, f" {m:.1f}", va="center")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "throughput.png"), dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(9, 4.5))
    left = [0.0] * len(names)
    for key, label, color in (("forward_ms", "forward", "tab:green"), ("backward_ms", "backward", "tab:blue"),
                              ("comm_wait_ms", "comm wait", "tab:red"), ("optimizer_ms", "optimizer", "tab:purple")):
        vals = [median_of(results[n], key) or 0.0 for n in names]
        ax.barh(names, vals, left=left, label=label, color=color)
        left = [l + v for l, v in zip(left, vals)]
    steps = [median_of(results[n], "step_ms") for n in names]
    ax.barh(names, [s - l for s, l in zip(steps, left)], left=left, label="rest of the step", color="lightgray")
    ax.invert_yaxis()
    ax.set_xlabel("ms per step (median); PyTorch DDP's allreduce wait is inside its backward")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "step_breakdown.png"), dpi=110)
    plt.close(fig)

    if trace and os.path.exists(trace):
        with open(trace) as f:
            rows = list(csv.DictReader(f))
        phases = [r for r in rows if r["kind"] == "phase"]
        ops = [r for r in rows if r["kind"] == "allreduce"]
        fig, ax = plt.subplots(figsize=(10, 4.5))
        pc = {"forward": "tab:green", "backward": "tab:blue", "comm wait": "tab:red", "optimizer": "tab:purple"}
        for r in phases:
            s, e = float(r["start_ms"]), float(r["end_ms"])
            ax.barh(0, e - s, left=s, color=pc.get(r["name"], "gray"), label=r["name"])
        for i, r in enumerate(ops):
            s, e = float(r["start_ms"]), float(r["end_ms"])
            ax.plot([s, e], [1 + i * 0.02 * 50 / max(len(ops), 1)] * 2, color="black", lw=1)
            ax.plot([s], [1 + i * 0.02 * 50 / max(len(ops), 1)], "|", color="tab:blue", ms=4)
        ax.set_yticks([0, 1.5])
        ax.set_yticklabels(["training thread", f"{len(ops)} gradient allreduces\n(submitted -> completed)"])
        ax.set_xlabel("ms from the start of the step (rank 0, last timed step)")
        ax.legend(loc="upper left", fontsize=8)
        ax.set_title("one ringtail step: gradients are reduced while backward still runs")
        fig.tight_layout()
        fig.savefig(os.path.join(out, "timeline.png"), dpi=110)
        plt.close(fig)


def main():
    # --workload pets is its own tool (pets_comparison.py): other flags, other table.
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--workload", choices=["synthetic", "pets"], default="synthetic")
    known, _ = pre.parse_known_args()
    if known.workload == "pets":
        sys.path.insert(0, HERE)
        import pets_comparison
        sys.exit(pets_comparison.main(sys.argv[1:]))

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--workload", choices=["synthetic", "pets"], default="synthetic",
                   help="synthetic: ringtail-bench train (this page's flags); pets: real training on an "
                        "Oxford-IIIT Pet folder (see --workload pets --help)")
    p.add_argument("--out", required=True, help="folder for results.md, results.json and the PNG charts")
    p.add_argument("--bin", default="ringtail-bench", help="the ringtail-bench binary")
    p.add_argument("--run", default="ringtail-run", help="the ringtail-run binary")
    p.add_argument("--python", default="/usr/bin/python3", help="a python3 with torch and torchvision")
    p.add_argument("--np", type=int, default=2)
    p.add_argument("--runs", type=int, default=3, help="interleaved rounds")
    p.add_argument("--only", default="", help="comma-separated configuration names (default: all)")
    p.add_argument("--model", default="resnet18")
    p.add_argument("--image-size", type=int, default=128)
    p.add_argument("--classes", type=int, default=37)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--warmup-steps", type=int, default=3)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--timeout", type=float, default=600, help="seconds for one run")
    p.add_argument("--report-only", action="store_true",
                   help="run nothing: rewrite results.md and the charts from --out's results.json "
                        "(for example after an interrupted run)")
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)

    configs = configurations(a.np)
    if a.only:
        wanted = [w.strip() for w in a.only.split(",")]
        unknown = [w for w in wanted if w not in configs]
        if unknown:
            p.error(f"--only: unknown {unknown}; known: {list(configs)}")
        configs = {k: v for k, v in configs.items() if k in wanted}
    trace = os.path.join(a.out, "ringtail_step.csv")
    results, rounds, commands, failed = {}, [], {}, {}
    if a.report_only:
        with open(os.path.join(a.out, "results.json")) as f:
            saved = json.load(f)
        for r in saved:
            results.setdefault(r["configuration"], []).append(r)
        a.runs = 1 + max(r["round"] for r in saved)
        rounds = [{r["configuration"]: r for r in saved if r["round"] == i} for i in range(a.runs)]
        configs = {k: v for k, v in configs.items() if k in results}
        commands = {n: shown(env, command_of(a, st, rk, fl)) for n, (st, rk, env, fl) in configs.items()}
    for rnd in range(0 if a.report_only else a.runs):
        this_round = {}
        for name, (stack, ranks, env, flags) in configs.items():
            wants_trace = name == next((h for h in HEADLINES if h in configs), None) and rnd == a.runs - 1
            cmd = command_of(a, stack, ranks, flags, trace if wants_trace else None)
            commands[name] = shown(env, command_of(a, stack, ranks, flags))
            if name in failed:
                continue
            try:
                r = run_one(cmd, env, a.timeout)
            except (RuntimeError, subprocess.TimeoutExpired) as e:
                # A configuration this build cannot run (an algorithm not wired
                # into the engine yet) is reported, and the others go on.
                failed[name] = first_error_line(str(e))
                print(f"round {rnd + 1}/{a.runs}  {name:30s} FAILED: {failed[name]}", flush=True)
                continue
            r["configuration"], r["round"] = name, rnd
            results.setdefault(name, []).append(r)
            this_round[name] = r
            print(f"round {rnd + 1}/{a.runs}  {name:30s} {r['img_per_s']:8.2f} img/s", flush=True)
        rounds.append(this_round)
        with open(os.path.join(a.out, "results.json"), "w") as f:
            json.dump([r for runs in results.values() for r in runs], f, indent=1)
    write_markdown(a, a.out, configs, results, rounds, commands, failed)
    plot(a.out, configs, results, trace)
    print(open(os.path.join(a.out, "results.md")).read())


if __name__ == "__main__":
    main()
