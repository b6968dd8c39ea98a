#!/usr/bin/env bash
# The README's main job: install what is missing, build, and run a 2-rank
# allreduce across processes with ringtail-run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
BUILD_DIR=${RINGTAIL_BUILD_DIR:-build}
if [[ -x "$BUILD_DIR/launcher/ringtail-run" ]]; then
  exec "$BUILD_DIR/launcher/ringtail-run" -np 2 -- "$BUILD_DIR/examples/allreduce/ringtail-allreduce-demo" "$@"
fi
ROOT_FLAG=()
if [[ $(id -u) -eq 0 ]]; then ROOT_FLAG=(--allow-run-as-root); fi
exec mpirun "${ROOT_FLAG[@]}" --bind-to none -np 2 "$BUILD_DIR/examples/allreduce/ringtail-allreduce-demo" "$@"
