#!/usr/bin/env python3
"""Runs `ringtail-bench collectives` (the command after `--`, with or without
mpirun in front) with bad arguments and checks that each ends, with a non-zero
exit, before measuring anything, and says which option and value were wrong.
--quick runs the two cases the sweep's users meet most (--algorithms and
--local-method), for the slower mpirun launch.
"""

import subprocess
import sys

TIMEOUT_S = 40

# (arguments, text the error must contain)
CASES = [
    (["--algorithms", "ring,bogus"], "--algorithms 'bogus'"),
    (["--local-method", "shm,bogus"], "--local-method 'bogus'"),
    (["--algorithms=nope"], "--algorithms 'nope'"),
    (["--cross-method", "shm"], "--cross-method 'shm'"),
    (["--ops", "allreduce,reduce"], "--ops 'reduce'"),
    (["--peers", "nccl"], "--peers 'nccl'"),
    (["-d", "f128"], "-d 'f128'"),
    (["-b", "1M", "-e", "4K"], "sizes"),
    (["--iters"], "--iters needs a value"),
    (["--no-such-option"], "unknown option '--no-such-option'"),
]
QUICK = 2


def main():
    args = sys.argv[1:]
    quick = "--quick" in args[: args.index("--")] if "--" in args else False
    command = args[args.index("--") + 1:] if "--" in args else args
    failures = []
    for extra, expected in CASES[:QUICK] if quick else CASES:
        try:
            run = subprocess.run(command + extra, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                 timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            failures.append(f"{extra}: still running after {TIMEOUT_S} s")
            continue
        if run.returncode == 0:
            failures.append(f"{extra}: exit code 0")
        if expected not in run.stdout:
            failures.append(f"{extra}: the output does not say {expected!r}:\n{run.stdout}")
        if "# ringtail-bench collectives:" in run.stdout:
            failures.append(f"{extra}: measured before rejecting the arguments")
    for message in failures:
        print("FAIL:", message)
    if failures:
        return 1
    print(f"ok: {QUICK if quick else len(CASES)} bad arguments rejected with a message naming them")
    return 0


if __name__ == "__main__":
    sys.exit(main())
