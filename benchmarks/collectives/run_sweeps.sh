#!/bin/sh
# The measurements behind docs/performance.md (collectives section), in order.
# Each step is one bounded ringtail-bench run; results land in OUT as .txt
# (the table), .csv and .json, and the chart as busbw.png.
#
# usage: run_sweeps.sh BUILD_DIR OUT_DIR [step ...]
#   steps: np2 np4 segments small cluster cluster-uneven allgather predict chart
#   (default: all). Namespace steps need root (tests/cluster/cluster.sh).
# Run on a quiet machine; every step interleaves its contenders in rounds and
# reports medians, which keeps ratios stable but not absolute numbers.
set -eu
build=$(cd "$1" && pwd)
out=$2
shift 2
mkdir -p "$out"
out=$(cd "$out" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
bench="$build/benchmarks/collectives/ringtail-bench"
cluster="$here/../../tests/cluster/cluster.sh"
steps=${*:-"np2 np4 segments small cluster cluster-uneven allgather predict chart"}

# Open MPI busy-polls; with more ranks than cores the pollers starve the rank
# that has work. Every contender, peers included, runs with the same setting.
mpirun_local() {
  n=$1
  shift
  timeout 1500 mpirun --allow-run-as-root --oversubscribe --bind-to none -np "$n" \
    --mca btl self,vader,tcp --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo \
    --mca mpi_yield_when_idle 1 "$bench" collectives "$@"
}

run() {
  name=$1
  shift
  echo "== $name: $*" >&2
  "$@" > "$out/$name.txt" 2>&1 || { echo "$name failed (see $out/$name.txt)" >&2; return 1; }
}

for step in $steps; do
  case "$step" in
    np2|np4)
      n=${step#np}
      # 4 ranks on 2 cores take about four times as long: every other size.
      factor=2
      [ "$n" -gt 2 ] && factor=4
      run "$step" mpirun_local "$n" -b 1M -e 256M -f "$factor" -w 1 -n 5 --rounds 3 --budget 6 \
        --csv "$out/$step.csv" --json "$out/$step.json" ;;
    segments)
      for n in 2 4; do
        run "segments-np$n" mpirun_local "$n" -b 1M -e 256M -f 16 -w 1 -n 5 --rounds 3 \
          --algorithms ring --segments 64K,256K,1M,4M,16M --peers none --no-copy-bandwidth \
          --csv "$out/segments-np$n.csv"
      done ;;
    small)
      for n in 2 4; do
        run "small-np$n" mpirun_local "$n" -b 4K -e 4M -f 4 -w 2 -n 20 --rounds 3 \
          --algorithms native,ring,auto --peers none --no-copy-bandwidth --csv "$out/small-np$n.csv"
      done ;;
    cluster)
      run cluster-2x2 "$cluster" --slots 2,2 --rate 1gbit --timeout 1500 \
        --env OMPI_MCA_mpi_yield_when_idle=1 -- "$bench" collectives -b 1M -e 64M -f 8 -w 1 -n 3 \
        --rounds 3 --model --link-nominal 1 --algorithms native,ring,hierarchical,auto \
        --peers mpi,gloo --gloo-iface eth0 --no-copy-bandwidth \
        --csv "$out/cluster-2x2.csv" --json "$out/cluster-2x2.json" ;;
    cluster-uneven)
      run cluster-1+3 "$cluster" --slots 1,3 --rate 1gbit --timeout 1500 \
        --env OMPI_MCA_mpi_yield_when_idle=1 -- "$bench" collectives -b 64M -e 64M -w 1 -n 3 \
        --rounds 3 --model --link-nominal 1 --algorithms ring,hierarchical --peers none \
        --no-copy-bandwidth --csv "$out/cluster-1+3.csv" --json "$out/cluster-1+3.json" ;;
    allgather)
      run allgather-2x2 "$cluster" --slots 2,2 --rate 1gbit --timeout 1500 \
        --env OMPI_MCA_mpi_yield_when_idle=1 -- "$bench" collectives --ops allgather -b 1M -e 64M \
        -f 8 -w 1 -n 3 --rounds 3 --algorithms native,ring,hierarchical --peers mpi,gloo \
        --gloo-iface eth0 --no-copy-bandwidth --csv "$out/allgather-2x2.csv" ;;
    predict)
      run predict "$bench" collectives --predict --fit "$out/cluster-2x2.json" ;;
    chart)
      /usr/bin/python3 "$here/plot_busbw.py" "$out/busbw.png" "$out/np2.csv" "$out/np4.csv" \
        --title "ringtail allreduce vs Open MPI and Gloo, one host (2 shared cores)" ;;
    *) echo "unknown step $step" >&2; exit 2 ;;
  esac
done
