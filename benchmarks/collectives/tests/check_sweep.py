#!/usr/bin/env python3
"""Runs a `ringtail-bench collectives` sweep (the command after `--`) and checks
what it wrote: every op has rows from ringtail, each requested backend and each
peer; no row is wrong or skipped; time > 0; algbw = bytes / time and busbw =
algbw x the nccl-tests factor of the op; the model section holds positive
constants for the links the topology has, and every row the model has a
formula for carries a prediction. Timings never decide the outcome.

The JSON and CSV files are removed when the check passes and kept otherwise.
"""

import argparse
import csv
import json
import math
import os
import subprocess
import sys

RUN_TIMEOUT_S = 150
REL = 1e-9  # JSON holds full doubles
CSV_REL = 1e-4  # the CSV prints 6 significant digits


class Failures:
    def __init__(self):
        self.messages = []

    def check(self, ok, message):
        if not ok:
            self.messages.append(message)
        return ok


def close(a, b, rel):
    return math.isclose(a, b, rel_tol=rel, abs_tol=0.0)


def bus_factor(op, n):
    if op == "allreduce":
        return 2.0 * (n - 1) / n
    if op == "broadcast":
        return 1.0
    return (n - 1.0) / n  # allgather, reducescatter, alltoall


def expected_ringtail_rows(op, backends, hosts):
    """The ringtail contenders the sweep offers for `op` (ringtail_contenders.cc)."""
    if op == "allreduce":
        algorithms = ["native", "ring", "auto", "hierarchical" if hosts > 1 else "shm"]
    elif op == "allgather":
        algorithms = ["native", "ring", "auto"] + (["hierarchical"] if hosts > 1 else [])
    else:
        algorithms = ["native"]
    return {f"ringtail/{b}/{a}" for b in backends for a in algorithms}


def expected_peer_prefixes(op, peers):
    """Name prefixes of which each op must have at least one row."""
    mpi_function = {"allreduce": "MPI_Allreduce", "allgather": "MPI_Allgather",
                    "broadcast": "MPI_Bcast", "reducescatter": "MPI_Reduce_scatter_block",
                    "alltoall": "MPI_Alltoall"}
    prefixes = set()
    if "mpi" in peers:
        prefixes.add("mpi/" + mpi_function[op])
    if "mpi-tuned" in peers and op == "allreduce":
        prefixes.add("mpi/tuned:")
    if "gloo" in peers:
        prefixes.add("gloo/")
    return prefixes


def has_model_formula(row, hosts):
    """Mirrors model_seconds() in collectives_command.cc: the rows the alpha-beta
    model predicts."""
    if row["op"] != "allreduce":
        return False
    c = row["contender"]
    if "/hierarchical" in c:
        return True
    if c.startswith("ringtail/") and "/shm" in c:
        return hosts == 1
    if "halving-doubling" in c or "rabenseifner" in c:
        return True
    if c.startswith("ringtail/") and "/ring" in c:
        return True
    return c in ("gloo/ring", "gloo/ring-chunked", "mpi/tuned:ring")


def check_model(f, doc, hosts):
    if not f.check("model" in doc, "JSON has no 'model' section although --model was given"):
        return
    m = doc["model"]
    positive = ["gamma_s_per_byte"]
    ranks_per_host = doc["ranks"] // hosts
    if ranks_per_host > 1:
        positive += ["local_alpha_us", "local_beta_s_per_byte", "shm_step_us", "copy_s_per_byte"]
    if hosts > 1:
        positive += ["cross_alpha_us", "cross_beta_s_per_byte", "node_bandwidth_gbs"]
    for key in positive:
        value = m.get(key)
        f.check(isinstance(value, (int, float)) and math.isfinite(value) and value > 0,
                f"model constant {key} = {value!r}, expected > 0")
    for key, value in m.items():
        f.check(isinstance(value, (int, float)) and math.isfinite(value) and value >= 0,
                f"model constant {key} = {value!r}, expected a finite number >= 0")
    f.check(m.get("ranks_per_host") == ranks_per_host,
            f"model ranks_per_host {m.get('ranks_per_host')}, expected {ranks_per_host}")


def check_rows(f, rows, args, ranks, hosts):
    backends = args.backends.split(",")
    peers = args.peers.split(",")
    for op in args.ops.split(","):
        mine = [r for r in rows if r["op"] == op]
        if not f.check(mine, f"{op}: no rows"):
            continue
        names = {r["contender"] for r in mine}
        for name in sorted(expected_ringtail_rows(op, backends, hosts) - names):
            f.check(False, f"{op}: no row of {name} (rows: {sorted(names)})")
        for prefix in sorted(expected_peer_prefixes(op, peers)):
            f.check(any(n.startswith(prefix) for n in names), f"{op}: no row of a peer {prefix}*")
        # Every contender measured every size.
        sizes = {r["bytes"] for r in mine}
        for name in names:
            got = sorted(r["bytes"] for r in mine if r["contender"] == name)
            f.check(got == sorted(sizes), f"{op} {name}: sizes {got}, expected {sorted(sizes)}")
    f.check(not [r for r in rows if r["op"] not in args.ops.split(",")],
            "rows of an op that was not asked for")

    for r in rows:
        where = f"{r['op']} {r['contender']} {r['bytes']} B"
        f.check(r["skipped"] == "", f"{where}: skipped: {r['skipped']}")
        f.check(r["wrong"] == 0, f"{where}: #wrong = {r['wrong']} (expected 0, checked)")
        f.check(r["iterations"] >= 1, f"{where}: {r['iterations']} iterations")
        f.check(r["ringtail"] == r["contender"].startswith("ringtail/"), f"{where}: ringtail flag")
        if not f.check(r["time_us"] > 0 and math.isfinite(r["time_us"]), f"{where}: time {r['time_us']} us"):
            continue
        algbw = r["bytes"] / (r["time_us"] * 1e-6) / 1e9
        f.check(close(r["algbw_gbs"], algbw, REL),
                f"{where}: algbw {r['algbw_gbs']} GB/s, bytes / time gives {algbw}")
        factor = bus_factor(r["op"], ranks)
        f.check(close(r["busbw_gbs"], r["algbw_gbs"] * factor, REL),
                f"{where}: busbw {r['busbw_gbs']} != algbw {r['algbw_gbs']} x {factor}")
        if has_model_formula(r, hosts):
            f.check(r["model_us"] > 0, f"{where}: no model prediction (model_us {r['model_us']})")
        else:
            f.check(r["model_us"] == 0, f"{where}: a model prediction where the model has no formula")
        if r["op"] == "allreduce" and hosts == 1:
            f.check(r["bound_fraction"] > 0, f"{where}: no memory-bandwidth bound")
    f.check(any(r["model_us"] > 0 for r in rows), "no row has a model prediction")


def check_csv(f, path, rows, ranks, hosts):
    with open(path, newline="") as handle:
        table = list(csv.DictReader(handle))
    if not f.check(len(table) == len(rows), f"CSV has {len(table)} rows, JSON {len(rows)}"):
        return
    for c, j in zip(table, rows):
        where = f"CSV {c.get('op')} {c.get('contender')} {c.get('bytes')} B"
        f.check(c["op"] == j["op"] and c["contender"] == j["contender"] and int(c["bytes"]) == j["bytes"],
                f"{where}: does not match the JSON row {j['op']} {j['contender']} {j['bytes']} B")
        f.check(int(c["ranks"]) == ranks and int(c["hosts"]) == hosts, f"{where}: ranks/hosts")
        f.check(int(c["wrong"]) == 0 and c["skipped"] == "", f"{where}: wrong or skipped")
        f.check(close(float(c["time_us"]), j["time_us"], CSV_REL), f"{where}: time_us differs from the JSON")
        algbw, busbw = float(c["algbw_gbs"]), float(c["busbw_gbs"])
        f.check(close(busbw, algbw * bus_factor(c["op"], ranks), CSV_REL), f"{where}: busbw != algbw x factor")
        f.check((float(c["model_us"]) > 0) == (j["model_us"] > 0), f"{where}: model_us differs from the JSON")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", required=True)
    parser.add_argument("--csv", required=True)
    parser.add_argument("--ranks", type=int, required=True)
    parser.add_argument("--hosts", type=int, required=True)
    parser.add_argument("--ops", required=True)
    parser.add_argument("--backends", required=True)
    parser.add_argument("--peers", required=True)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command after --")

    for path in (args.json, args.csv):
        if os.path.exists(path):
            os.remove(path)
    print("running:", " ".join(command), flush=True)
    try:
        run = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired as e:
        print(e.output or "")
        print(f"FAIL: the sweep did not finish in {RUN_TIMEOUT_S} s")
        return 1
    if run.returncode != 0:
        print(run.stdout)
        print(f"FAIL: the sweep exited with {run.returncode}")
        return 1

    f = Failures()
    with open(args.json) as handle:
        doc = json.load(handle)
    f.check(doc.get("ranks") == args.ranks, f"JSON ranks {doc.get('ranks')}, expected {args.ranks}")
    f.check(doc.get("hosts") == args.hosts, f"JSON hosts {doc.get('hosts')}, expected {args.hosts}")
    f.check(doc.get("command", "").startswith("ringtail-bench collectives"), "JSON command line")
    copy = doc.get("copy_bandwidth_gbs", {})
    f.check(copy.get("one_rank", 0) > 0 and copy.get("all_ranks", 0) > 0, f"copy bandwidth {copy}")
    rows = doc.get("rows", [])
    check_model(f, doc, args.hosts)
    check_rows(f, rows, args, args.ranks, args.hosts)
    check_csv(f, args.csv, rows, args.ranks, args.hosts)

    if f.messages:
        print(run.stdout)
        for message in f.messages[:50]:
            print("FAIL:", message)
        if len(f.messages) > 50:
            print(f"... and {len(f.messages) - 50} more")
        print(f"kept {args.json} and {args.csv}")
        return 1
    print(f"ok: {len(rows)} rows over {len(args.ops.split(','))} ops checked "
          f"({sum(1 for r in rows if r['model_us'] > 0)} with a model prediction)")
    os.remove(args.json)
    os.remove(args.csv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
