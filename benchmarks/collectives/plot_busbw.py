#!/usr/bin/python3
"""Chart of bus bandwidth against message size from ringtail-bench CSV files.

    plot_busbw.py OUT.png RUN.csv [RUN.csv ...] [--title TEXT] [--op allreduce]

One panel per CSV (for example 2 ranks and 4 ranks), one line per contender:
ringtail's rows solid, peers dashed. Needs python3-matplotlib (Debian).
"""
import argparse
import csv
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402


def read_rows(path, op):
    series = defaultdict(list)
    ringtail = {}
    meta = None
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["op"] != op or row["skipped"]:
                continue
            if int(row["wrong"]) > 0:
                continue  # a wrong answer is not a bandwidth
            name = row["contender"]
            series[name].append((int(row["bytes"]), float(row["busbw_gbs"])))
            ringtail[name] = row["ringtail"] == "1"
            meta = (row["ranks"], row["hosts"], row["dtype"], row["redop"])
    return series, ringtail, meta


def human(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024:
            return f"{n:g} {unit}"
        n /= 1024
    return f"{n:g} TiB"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("csv", nargs="+")
    parser.add_argument("--op", default="allreduce")
    parser.add_argument("--title", default="")
    args = parser.parse_args()

    fig, axes = plt.subplots(1, len(args.csv), figsize=(7 * len(args.csv), 5), squeeze=False)
    for ax, path in zip(axes[0], args.csv):
        ax.set_prop_cycle(color=plt.cm.tab20.colors)
        series, ringtail, meta = read_rows(path, args.op)
        if not series:
            print(f"{path}: no {args.op} rows", file=sys.stderr)
            return 1
        for name in sorted(series, key=lambda n: (not ringtail[n], n)):
            points = sorted(series[name])
            ax.plot([p[0] for p in points], [p[1] for p in points],
                    linestyle="-" if ringtail[name] else "--",
                    linewidth=2.2 if ringtail[name] else 1.2,
                    marker="o" if ringtail[name] else ".", label=name)
        ranks, hosts, dtype, redop = meta
        ax.set_xscale("log", base=2)
        sizes = sorted({p[0] for s in series.values() for p in s})
        ax.set_xticks(sizes)
        ax.set_xticklabels([human(s) for s in sizes], rotation=45, ha="right")
        ax.set_xlabel("message size per rank")
        ax.set_ylabel("busbw (GB/s)")
        ax.set_title(f"{args.op}, {ranks} ranks on {hosts} host(s), {dtype} {redop}")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    if args.title:
        fig.suptitle(args.title)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    return 0


if __name__ == "__main__":
    sys.exit(main())
