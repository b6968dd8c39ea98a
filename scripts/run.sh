#!/usr/bin/env bash
# The README's main job: install what is missing and build (scripts/setup.sh),
# generate a small synthetic Oxford-IIIT Pet set if there is none, train a
# 37-breed classifier on 2 ranks with ringtail-run, export it for
# `ringtail-pets serve`, and print the final test accuracy. A few minutes on a
# 2-core machine. Extra arguments go to `ringtail-pets train` (for example
# `scripts/run.sh --epochs 30`); docs/training.md has the longer runs.
#
#   RINGTAIL_BUILD_DIR  build folder (default build)
#   PETS_DATA           data set to train on (default BUILD/pets-synth, generated
#                       when absent; point it at the real Oxford-IIIT Pet folder)
#   PETS_RUN            checkpoint and model folder (default BUILD/pets-run)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
BUILD_DIR=${RINGTAIL_BUILD_DIR:-build}
PETS="$BUILD_DIR/examples/pets/ringtail-pets"
DATA=${PETS_DATA:-$BUILD_DIR/pets-synth}
RUN=${PETS_RUN:-$BUILD_DIR/pets-run}
# ringtail programs refuse RINGTAIL_* variables they do not know (a typo must
# not be ignored): the scripts' own settings stay out of their environment.
unset RINGTAIL_BUILD_DIR RINGTAIL_JOBS RINGTAIL_CMAKE_ARGS

if [[ ! -f "$DATA/annotations/test.txt" ]]; then
  "$PETS" synth --out "$DATA" --classes 37 --per-class 60 --size 80 --seed 1
fi

# 2 ranks, one LibTorch thread each; --overwrite starts over on every run.
mkdir -p "$RUN" && rm -f "$RUN/metrics.jsonl"
"$BUILD_DIR/launcher/ringtail-run" -np 2 -- "$PETS" train --data "$DATA" \
  --arch small_cnn --image-size 64 --crop-scale 0.35 --batch-size 32 --lr 0.05 \
  --epochs 8 --warmup-epochs 1 --weight-decay 5e-4 --label-smoothing 0.1 \
  --output "$RUN" --metrics "$RUN/metrics.jsonl" --overwrite "$@"

"$PETS" export --checkpoint "$RUN/checkpoint.rtc" --out "$RUN/model"
echo "model for 'ringtail-pets serve --model $RUN/model': $RUN/model"
