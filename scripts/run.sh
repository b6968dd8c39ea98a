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
#                       when absent or made with other settings; point it at the
#                       real Oxford-IIIT Pet folder)
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

# 200 training and 50 test images per breed. On this set the amount of data,
# more than the number of epochs, decides the accuracy (docs/training.md).
SYNTH=(--classes 37 --per-class 250 --test-fraction 0.2 --size 80 --seed 1)
SYNTH_MANIFEST="classes=37 per_class=250 size=80 seed=1 test_fraction=0.2"
if [[ -z ${PETS_DATA:-} ]] && ! grep -qF "$SYNTH_MANIFEST" "$DATA/synth_manifest.txt" 2>/dev/null; then
  # The default folder holds a set of other settings (an older run.sh): replace it.
  "$PETS" synth --out "$DATA" "${SYNTH[@]}" --overwrite
elif [[ ! -f "$DATA/annotations/test.txt" ]]; then
  "$PETS" synth --out "$DATA" "${SYNTH[@]}"
fi

# 2 ranks, one LibTorch thread each; --overwrite starts over on every run.
# small_cnn: ResNet-18 at 64 px learned no faster per epoch here and is 3x
# slower per image (docs/training.md has the runs behind these settings).
mkdir -p "$RUN" && rm -f "$RUN/metrics.jsonl"
"$BUILD_DIR/launcher/ringtail-run" -np 2 -- "$PETS" train --data "$DATA" \
  --arch small_cnn --image-size 64 --crop-scale 0.7 --batch-size 32 --lr 0.05 \
  --epochs 10 --warmup-epochs 1 --weight-decay 5e-4 --label-smoothing 0.1 \
  --output "$RUN" --metrics "$RUN/metrics.jsonl" --overwrite "$@"

"$PETS" export --checkpoint "$RUN/checkpoint.rtc" --out "$RUN/model"
echo "exported to $RUN/model; serve it with: $PETS serve --model-dir $RUN/model --port 8080"
