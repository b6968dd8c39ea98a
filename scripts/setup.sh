#!/usr/bin/env bash
# Installs the Debian packages ringtail needs (only those missing), then
# configures and builds into ./build. Used by scripts/run.sh and scripts/test.sh;
# safe to run again (apt and the build are incremental, ccache keeps objects).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libopenmpi-dev openmpi-bin libgloo-dev
  libtorch-dev libopencv-dev libboost-program-options-dev
  libbenchmark-dev libgtest-dev libssl-dev
  nlohmann-json3-dev libcpp-httplib-dev
  zlib1g-dev libjpeg-dev dataset-fashion-mnist python3-torch python3-torchvision
  python3-matplotlib wrk clang-14 libfuzzer-14-dev
  iproute2 procps python3
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  echo "ringtail setup: installing ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# ccache keys on paths relative to the checkout, so a fresh clone elsewhere
# (CI) reuses objects compiled in another one.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true

BUILD_DIR=${RINGTAIL_BUILD_DIR:-build}
JOBS=${RINGTAIL_JOBS:-$(nproc)}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo ${RINGTAIL_CMAKE_ARGS:-}
cmake --build "$BUILD_DIR" -j "$JOBS"
