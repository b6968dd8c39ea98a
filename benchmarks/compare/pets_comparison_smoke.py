#!/usr/bin/python3
"""ctest benchmarks.compare.pets: the pet comparison end to end, tiny.

Writes a 37-class synthetic set (4 images per class, 32 px, with the planted
bad files), runs compare_training.py --workload pets for one epoch with two
ringtail configurations and the DDP peer, and checks what it writes: the
table has a row per configuration with a throughput and an accuracy, the
charts are PNG files, and both stacks read the same data set (the same
numbers of training and evaluation images after skipping the bad files).
Timing decides nothing. The work folder is removed unless --keep.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = ["ringtail native", "ringtail native no-fusion", "pytorch ddp"]


def check(condition, what):
    if not condition:
        sys.exit(f"pets_comparison_smoke: FAILED: {what}")
    print(f"ok: {what}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--pets", required=True)
    p.add_argument("--run", required=True)
    p.add_argument("--python", default=sys.executable)
    p.add_argument("--keep", action="store_true", help="keep the work folder")
    a = p.parse_args()
    work = tempfile.mkdtemp(prefix="ringtail-pets-compare-")
    try:
        data, out = os.path.join(work, "data"), os.path.join(work, "out")
        subprocess.run([a.pets, "synth", "--out", data, "--classes", "37", "--per-class", "4", "--size", "32",
                        "--seed", "3"], check=True, stdout=subprocess.DEVNULL, timeout=120)
        cmd = [a.python, os.path.join(HERE, "compare_training.py"), "--workload", "pets", "--data", data,
               "--out", out, "--pets", a.pets, "--run", a.run, "--python", a.python, "--np", "2",
               "--only", ",".join(CONFIGS), "--arch", "small_cnn", "--image-size", "32", "--batch-size", "8",
               "--epochs", "1", "--workers", "1", "--timeout", "240"]
        print("+", " ".join(cmd), flush=True)
        p = subprocess.run(cmd, timeout=280)
        check(p.returncode == 0, f"compare_training.py --workload pets exits 0 (got {p.returncode})")
        for name in ("results.md", "results.json", "throughput.png", "accuracy_vs_time.png"):
            path = os.path.join(out, name)
            check(os.path.isfile(path) and os.path.getsize(path) > 0, f"{name} written")
        for name in ("throughput.png", "accuracy_vs_time.png"):
            with open(os.path.join(out, name), "rb") as f:
                check(f.read(8) == b"\x89PNG\r\n\x1a\n", f"{name} is a PNG file")
        with open(os.path.join(out, "results.md")) as f:
            rows = [l for l in f if l.startswith("| ") and not l.startswith("| configuration")]
        for name in CONFIGS:
            row = [r for r in rows if r.startswith(f"| {name} |")]
            check(len(row) == 1, f"one table row for '{name}'")
            cells = [c.strip() for c in row[0].strip().strip("|").split("|")]
            check(not cells[1].startswith("not run"), f"'{name}' ran ({cells[1]})")
            check(float(cells[1]) > 0, f"'{name}' has a throughput ({cells[1]} img/s)")
            check(cells[4].endswith("%") and 0 <= float(cells[4][:-1]) <= 100,
                  f"'{name}' has an accuracy ({cells[4]})")
        with open(os.path.join(out, "results.json")) as f:
            runs = json.load(f)
        check(sorted(r["configuration"] for r in runs) == sorted(CONFIGS), "results.json holds every run")
        seen = {(r["train_images"], r["eval_images"]) for r in runs}
        check(len(seen) == 1, f"both stacks read the same images (train, eval): {sorted(seen)}")
        check(all(r["ranks_agree"] for r in runs), "every run's ranks ended with the same weights")
        check(all(r["curve"] and r["curve"][-1]["accuracy"] is not None for r in runs),
              "every run has an accuracy-against-time point")
    finally:
        if a.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
