#!/usr/bin/env python3
"""Runs `ringtail-bench collectives --predict` (the command after `--`) and checks
its tables: one per AWS instance (p3.16xlarge, p3dn.24xlarge, p4d.24xlarge),
each with the node counts 1, 2, 4, ..., 64, 8 GPUs a node, positive times, the
best column naming the smallest of the three predictions, and its busbw.
One number is worked out by hand: one node's ring of the default 100 MiB
gradient, 2(p-1) alpha + 2(p-1)/p N beta + (p-1)/p N gamma on NVLink.
"""

import math
import re
import subprocess
import sys

INSTANCES = {
    # name: (GPUs, NVLink GB/s per GPU, NVLink alpha us, reduce GB/s): cost_model.cc
    "p3.16xlarge": (8, 150, 5, 300),
    "p3dn.24xlarge": (8, 150, 5, 300),
    "p4d.24xlarge": (8, 300, 5, 500),
}
NODES = [1, 2, 4, 8, 16, 32, 64]
GRADIENT = 100 * 2**20  # --gradient default
ROUNDING_MS = 0.0051  # times are printed with 2 decimals


def main():
    command = sys.argv[1:]
    if command[:1] == ["--"]:
        command = command[1:]
    run = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    out = run.stdout
    failures = []

    def check(ok, message):
        if not ok:
            failures.append(message)

    check(run.returncode == 0, f"exit code {run.returncode}: {run.stderr}")
    check(f"{GRADIENT / 1e6:.1f} MB gradient" in out, "the header does not give the 100 MiB gradient")

    tables = {}
    current = None
    for line in out.splitlines():
        header = re.match(r"^# (\S+): (\d+) GPUs", line)
        if header:
            current = header.group(1)
            check(current not in tables, f"{current}: two tables")
            tables[current] = []
            continue
        if line.startswith("#") or not line.strip():
            continue
        check(current is not None, f"a row before any table: {line!r}")
        if current is not None:
            tables[current].append(line.split())

    check(sorted(tables) == sorted(INSTANCES), f"tables {sorted(tables)}, expected {sorted(INSTANCES)}")
    for name, rows in tables.items():
        if name not in INSTANCES:
            continue
        gpus, nvlink_gbytes, nvlink_alpha_us, reduce_gbytes = INSTANCES[name]
        check([int(r[0]) for r in rows] == NODES, f"{name}: node counts {[r[0] for r in rows]}, expected {NODES}")
        for r in rows:
            if len(r) != 7:
                check(False, f"{name}: row {r} has {len(r)} columns, expected 7")
                continue
            nodes, ranks = int(r[0]), int(r[1])
            ring, hd, hier, best, busbw = float(r[2]), float(r[3]), float(r[4]), r[5], float(r[6])
            where = f"{name} {nodes} nodes"
            check(ranks == nodes * gpus, f"{where}: {ranks} GPUs, expected {nodes * gpus}")
            check(all(t > 0 and math.isfinite(t) for t in (ring, hd, hier)), f"{where}: times {ring} {hd} {hier}")
            by_name = {"ring": ring, "H-D": hd, "hierarchical": hier}
            check(best in by_name, f"{where}: best {best!r} is not one of {list(by_name)}")
            if best in by_name:
                check(by_name[best] <= min(by_name.values()) + ROUNDING_MS,
                      f"{where}: best is {best} ({by_name[best]} ms) but the times are {by_name}")
                # busbw of the best: N / t * 2(p-1)/p, from the printed (rounded) time.
                expected = GRADIENT / (by_name[best] * 1e-3) * 2 * (ranks - 1) / ranks / 1e9
                check(math.isclose(busbw, expected, rel_tol=0.01, abs_tol=0.051),
                      f"{where}: busbw {busbw}, expected about {expected:.1f}")
            if nodes == 1:
                p, n = ranks, GRADIENT
                t = (2 * (p - 1) * nvlink_alpha_us * 1e-6 + 2 * (p - 1) / p * n / (nvlink_gbytes * 1e9)
                     + (p - 1) / p * n / (reduce_gbytes * 1e9))
                check(abs(ring - t * 1e3) <= ROUNDING_MS, f"{where}: ring {ring} ms, by hand {t * 1e3:.4f} ms")

    if failures:
        print(out)
        for message in failures:
            print("FAIL:", message)
        return 1
    print(f"ok: {len(tables)} instance tables of {len(NODES)} node counts each")
    return 0


if __name__ == "__main__":
    sys.exit(main())
