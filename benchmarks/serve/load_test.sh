#!/usr/bin/env bash
# Load test of `ringtail-pets serve` with wrk on loopback: the same model and
# image served with dynamic batching on and off, one after the other, at the
# same concurrency and the same --threads, for --rounds rounds (the order
# alternates, so drifting load from other processes hits both alike); prints
# throughput, p50/p99 latency, failed requests, and the server's CPU time per
# request per run as a markdown table, and the medians of the per-round ratios.
#
#   benchmarks/serve/load_test.sh --build-dir build [--duration 20] [--rounds 3] [--connections 16]
#       [--threads 1] [--max-batch 16] [--max-delay-ms 5] [--arch resnet18] [--size 224 | --model-dir DIR]
#
# Without --model-dir, ringtail_serve_make_model (this folder) writes a model
# directory with the code `ringtail-pets export` runs: --arch with random
# weights, 37 classes, input --size px, and a 500x375 test JPEG. The server is
# the serve subcommand's driver (ringtail_pets_serve_driver), or
# SERVER="path/to/ringtail-pets serve".
#
# "server CPU ms/request" is the server process's user + system CPU time over
# the measured run divided by its requests: on a machine shared with other work
# the requests/s follow the share of the cores the server gets, the CPU time per
# request does not, so its ratio is the throughput ratio on dedicated cores
# (while the server is CPU-bound, as it is at 16 clients).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
build_dir=build
duration=20
rounds=3
connections=16
threads=1
max_batch=16
max_delay_ms=5
model_dir=""
arch=resnet18
size=224
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) build_dir="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --max-batch) max_batch="$2"; shift 2 ;;
    --max-delay-ms) max_delay_ms="$2"; shift 2 ;;
    --model-dir) model_dir="$2"; shift 2 ;;
    --arch) arch="$2"; shift 2 ;;
    --size) size="$2"; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "load_test.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

command -v wrk >/dev/null || { echo "load_test.sh: wrk is missing (apt-get install wrk)" >&2; exit 1; }
read -r -a server <<< "${SERVER:-$build_dir/examples/pets/serve/ringtail_pets_serve_driver}"
[[ -x "${server[0]}" ]] || { echo "load_test.sh: ${server[0]} is missing; build ringtail_pets_serve_driver" >&2; exit 1; }

work="$(mktemp -d /tmp/ringtail-serve-load-XXXXXX)"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"; wait "$server_pid" || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

if [[ -z "$model_dir" ]]; then
  model_dir="$work/model"
  maker="$build_dir/benchmarks/serve/ringtail_serve_make_model"
  [[ -x "$maker" ]] || { echo "load_test.sh: $maker is missing; build ringtail_serve_make_model" >&2; exit 1; }
  "$maker" --out "$model_dir" --arch "$arch" --size "$size" > /dev/null
fi
image="$model_dir/test.jpg"
[[ -f "$image" ]] || { echo "load_test.sh: $image is missing (a JPEG to send)" >&2; exit 1; }

# run_mode NAME MAX_BATCH: starts a server, waits for its model, warms up,
# measures, stops it with SIGTERM (which must exit 0), appends a table row.
run_mode() {
  # A fresh log per run: polling a reused name could read the last run's lines.
  local name="$1" batch="$2" log
  log="$(mktemp "$work/server-$1-XXXXXX.log")"
  "${server[@]}" --model-dir "$model_dir" --host 127.0.0.1 --port 0 --threads "$threads" \
    --max-batch "$batch" --max-delay-ms "$max_delay_ms" > "$log" 2>&1 &
  server_pid=$!
  local port=""
  for _ in $(seq 1 600); do  # up to 60 s for the model to load
    if grep -q "model ready" "$log"; then
      port="$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$log")"
      break
    fi
    kill -0 "$server_pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.1
  done
  [[ -n "$port" ]] || { echo "load_test.sh: the server did not get ready" >&2; cat "$log" >&2; exit 1; }
  local url="http://127.0.0.1:$port"
  RINGTAIL_WRK_IMAGE="$image" wrk -t2 -c"$connections" -d5s --timeout 60s \
    -s "$here/post_image.lua" "$url" > /dev/null
  local cpu_before cpu_after
  cpu_before="$(awk '{print $14 + $15}' "/proc/$server_pid/stat")"
  RINGTAIL_WRK_IMAGE="$image" wrk -t2 -c"$connections" -d"${duration}s" --timeout 60s --latency \
    -s "$here/post_image.lua" "$url" > "$work/wrk-$name.txt"
  cpu_after="$(awk '{print $14 + $15}' "/proc/$server_pid/stat")"
  curl -s "$url/metrics" > "$work/metrics-$name.txt" || true
  kill -TERM "$server_pid"
  local status=0
  wait "$server_pid" || status=$?
  server_pid=""
  [[ $status -eq 0 ]] || { echo "load_test.sh: the server exited $status after SIGTERM" >&2; exit 1; }

  local out="$work/wrk-$name.txt"
  local rps p50 p99 requests failed mean_batch
  rps="$(awk '/^Requests\/sec:/ {print $2}' "$out")"
  p50="$(awk '$1 == "50%" {print $2}' "$out")"
  p99="$(awk '$1 == "99%" {print $2}' "$out")"
  requests="$(awk '/requests in/ {print $1}' "$out")"
  failed="$(awk '/Non-2xx or 3xx responses:/ {n += $NF} /Socket errors:/ {gsub(",", ""); n += $4 + $6 + $8 + $10} END {print n + 0}' "$out")"
  mean_batch="$(awk '/^ringtail_serve_batch_size_sum/ {s = $2} /^ringtail_serve_batch_size_count/ {c = $2} END {if (c > 0) printf "%.1f", s / c; else print "-"}' "$work/metrics-$name.txt")"
  local forward_per_image
  forward_per_image="$(awk '/^ringtail_serve_forward_duration_seconds_sum/ {s = $2} /^ringtail_serve_images_total/ {n = $2} END {if (n > 0) printf "%.1f", 1000 * s / n; else print "-"}' "$work/metrics-$name.txt")"
  local cpu_per_request cores
  cpu_per_request="$(awk -v t="$((cpu_after - cpu_before))" -v hz="$(getconf CLK_TCK)" -v n="$requests" \
    'BEGIN {printf "%.2f", 1000 * t / hz / n}')"
  cores="$(awk -v t="$((cpu_after - cpu_before))" -v hz="$(getconf CLK_TCK)" -v d="$duration" \
    'BEGIN {printf "%.2f", t / hz / d}')"
  echo "| $round | $name | $batch | $rps | $p50 | $p99 | $requests | $failed | $mean_batch | $forward_per_image | $cpu_per_request | $cores |" >> "$work/table.md"
  echo "$round $rps $cpu_per_request" >> "$work/runs-$name"
  echo "$failed" >> "$work/failed-$name"
  cat "$out" >&2
}

{
  echo "| round | mode | --max-batch | requests/s | p50 | p99 | requests | failed | mean batch | forward ms/image | server CPU ms/request | server cores used |"
  echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
} > "$work/table.md"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq 1 "$rounds"); do
  if (( round % 2 == 1 )); then
    run_mode unbatched 1; run_mode batched "$max_batch"
  else
    run_mode batched "$max_batch"; run_mode unbatched 1
  fi
done
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
# Per round: batched / unbatched requests/s, and unbatched / batched CPU per request.
awk 'NR == FNR {rps[$1] = $2; cpu[$1] = $3; next} {printf "%.3f %.3f\n", rps[$1] / $2, $3 / cpu[$1]}' \
  "$work/runs-batched" "$work/runs-unbatched" > "$work/ratios"

echo
echo "load average before: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "wrk -t2 -c$connections -d${duration}s --latency, POST $(stat -c %s "$image")-byte JPEG, model $(sed -n 's/.*"architecture": "\(.*\)".*/\1/p' "$model_dir/model.json") at $(sed -n 's/.*"input_size": \([0-9]*\).*/\1/p' "$model_dir/model.json") px, --threads $threads, --max-delay-ms $max_delay_ms"
echo
cat "$work/table.md"
failed="$(cat "$work"/failed-* | awk '{n += $1} END {print n + 0}')"
echo
echo "medians over $rounds rounds: requests/s batched $(cut -d' ' -f2 "$work/runs-batched" | median)," \
     "unbatched $(cut -d' ' -f2 "$work/runs-unbatched" | median);" \
     "server CPU ms/request batched $(cut -d' ' -f3 "$work/runs-batched" | median)," \
     "unbatched $(cut -d' ' -f3 "$work/runs-unbatched" | median)"
echo "median of the per-round ratios: throughput batched / unbatched $(cut -d' ' -f1 "$work/ratios" | median)x;" \
     "CPU per request unbatched / batched $(cut -d' ' -f2 "$work/ratios" | median)x;" \
     "failed requests: $failed"
