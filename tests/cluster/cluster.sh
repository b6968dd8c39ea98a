#!/bin/sh
# A cluster of "hosts" on one machine: one network namespace per host, joined by
# veth pairs to a bridge that lives in a namespace of its own, so no address or
# link of this cluster exists outside the namespaces it creates. Each host gets
# its own host name (a UTS namespace per launched process tree), links may be
# rate limited with tc tbf, and one mpirun job spans the hosts through an rsh
# agent that enters the right namespace. Everything created is removed on exit,
# also when the job fails or the script is interrupted.
#
# usage: cluster.sh [--hosts H] [--slots 2,2] [--rate 1gbit] [--env NAME=VALUE]...
#                   [--mpirun-arg ARG]... [--timeout S] [--dry-run] -- PROGRAM [ARGS...]
#        cluster.sh --launcher [--slots ...] [--env ...] [--expect-exit C] -- LAUNCHER [ARGS...]
#   --slots    ranks per host, comma separated (default 2 on every host; its
#              length sets --hosts)
#   --rate     tc tbf rate of every host's link, each direction (default: none)
#   --burst    tc tbf bucket (default 2mb: at least rate/HZ, or the rate is
#              not reached)
#   --queue    tc tbf latency: how long a packet may wait (default 10ms; a deep
#              queue delays the acknowledgements of the other direction and
#              halves what one TCP flow gets)
#   --env      exported to every rank (mpirun -x)
#   --timeout  the job is stopped (and everything removed) after S seconds
#              (default 540, below ctest's limit: a SIGKILL cannot be trapped)
#   --launcher run LAUNCHER itself on host 1 instead of an mpirun command, to
#              test a launcher (ringtail-run) that starts the job. In its
#              arguments @HOSTFILE@ (lines "IP slots=N"), @HOSTS@ (IP:N,...),
#              @AGENT@ (the rsh agent: agent HOST COMMAND), @CIDR@ and @IFACE@
#              (every host's interface) are replaced; the same values are
#              exported as RTC_HOSTFILE, RTC_HOSTS, RTC_AGENT, RTC_CIDR, RTC_IFACE.
#              --env sets a variable in the launcher's environment. When the
#              launcher has ended, a process still inside a host fails the run.
#   --expect-exit  the job must end with code C: then the script exits 0,
#              otherwise 1, so a test can expect a failing job (default: the
#              script exits with the job's status)
# Exit status: the job's (0 or 1 under --expect-exit; 1 when a --launcher job
# left processes behind); 77 when this machine cannot make namespaces (not
# root, no ip/unshare, no permission), with the reason on stderr.
set -eu

hosts=2
slots=""
rate=""
burst="2mb"
queue="10ms"
dry_run=0
limit=540
envs=""
extra=""
launcher=0
expect_exit=""
launcher_env=""
while [ $# -gt 0 ]; do
  case "$1" in
    --hosts) hosts="$2"; shift 2 ;;
    --slots) slots="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --burst) burst="$2"; shift 2 ;;
    --queue) queue="$2"; shift 2 ;;
    --env) envs="$envs -x $2"; launcher_env="$launcher_env $2"; shift 2 ;;
    --launcher) launcher=1; shift ;;
    --expect-exit) expect_exit="$2"; shift 2 ;;
    --mpirun-arg) extra="$extra $2"; shift 2 ;;
    --timeout) limit="$2"; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    --) shift; break ;;
    -h|--help) sed -n '2,/^[^#]/{/^#/p}' "$0"; exit 0 ;;
    *) echo "cluster.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "cluster.sh: no program given (after --)" >&2; exit 2; }
if [ -z "$slots" ]; then
  slots=$(i=1; out=""; while [ $i -le "$hosts" ]; do out="$out${out:+,}2"; i=$((i + 1)); done; echo "$out")
fi
hosts=$(echo "$slots" | tr ',' '\n' | grep -c .)

skip() { echo "cluster.sh: skipped: $*" >&2; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "network namespaces need root (running as uid $(id -u))"
[ "$launcher" -eq 0 ] || [ -z "$extra" ] || { echo "cluster.sh: --mpirun-arg does not apply to --launcher" >&2; exit 2; }
# Under --launcher, mpirun is the launcher's business (a Gloo-mode job needs none).
tools="ip unshare"
[ "$launcher" -eq 1 ] || tools="$tools mpirun"
for tool in $tools; do
  command -v "$tool" >/dev/null 2>&1 || skip "'$tool' is not installed"
done
[ -z "$rate" ] || command -v tc >/dev/null 2>&1 || skip "--rate needs tc (iproute2)"

# A run killed with SIGKILL (a ctest timeout) could not clean up: remove the
# namespaces of runs of this script whose process is gone.
for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^rtc[0-9]+(br|h[0-9]+)$' || true); do
  owner=$(echo "$ns" | sed -E 's/^rtc([0-9]+).*/\1/')
  if ! kill -0 "$owner" 2>/dev/null; then
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns delete "$ns" 2>/dev/null || true
  fi
done

# Names unique to this run; interface names stay under 15 characters.
tag="rtc$$"
subnet="10.77.0"
work=$(mktemp -d "/tmp/ringtail-cluster-XXXXXX")
created=""

cleanup() {
  status=$?
  trap - EXIT INT TERM
  for ns in $created; do
    # Processes this job left inside its own namespaces (a failed rank, an
    # orphaned orted) die with them.
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
  done
  for ns in $created; do ip netns delete "$ns" 2>/dev/null || true; done
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ip netns add "${tag}br" 2>/dev/null || skip "cannot create a network namespace (ip netns add failed)"
created="${tag}br"
ip -n "${tag}br" link add br0 type bridge
ip -n "${tag}br" link set br0 up

: > "$work/hostfile"
i=1
for n in $(echo "$slots" | tr ',' ' '); do
  ns="${tag}h$i"
  ip netns add "$ns"
  created="$created $ns"
  # The pair is born in the bridge namespace; its far end moves straight into
  # the host namespace as eth0.
  ip -n "${tag}br" link add "v$i" type veth peer name eth0 netns "$ns"
  ip -n "${tag}br" link set "v$i" master br0 up
  ip -n "$ns" addr add "$subnet.$i/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
  if [ -n "$rate" ]; then
    # Egress of each end is shaped, so each direction runs at the rate.
    ip netns exec "$ns" tc qdisc add dev eth0 root tbf rate "$rate" burst "$burst" latency "$queue"
    ip netns exec "${tag}br" tc qdisc add dev "v$i" root tbf rate "$rate" burst "$burst" latency "$queue"
  fi
  echo "$subnet.$i slots=$n" >> "$work/hostfile"
  i=$((i + 1))
done

# mpirun calls the agent as: agent [options] HOST COMMAND...; the command is a
# shell string meant for the remote login shell.
cat > "$work/agent.sh" <<AGENT
#!/bin/sh
while [ \$# -gt 0 ]; do case "\$1" in -*) shift ;; *) break ;; esac; done
host="\$1"; shift
index="\${host##*.}"
exec ip netns exec "${tag}h\$index" unshare --uts sh -c "hostname rtnode\$index && \$*"
AGENT
chmod +x "$work/agent.sh"

total=$(echo "$slots" | tr "," "\n" | awk "{s+=\$1} END {print s}")
cidr="$subnet.0/24"
echo "cluster.sh: $hosts hosts (ranks per host $slots${rate:+, links at $rate}) in namespaces ${tag}h*" >&2

# The job's exit status against --expect-exit (when given).
judge() {
  code=$1
  [ -n "$expect_exit" ] || return "$code"
  if [ "$code" -eq "$expect_exit" ]; then
    echo "cluster.sh: the job ended with code $code, as expected" >&2
    return 0
  fi
  echo "cluster.sh: the job ended with code $code; expected $expect_exit" >&2
  return 1
}

# Runs "$@" on host 1 (host name rtnode1) within the time limit and sets
# `code` to its exit status; with --dry-run prints it and exits instead.
run_in_host1() {
  if [ "$dry_run" -eq 1 ]; then
    echo "$@"
    exit 0
  fi
  code=0
  timeout --signal=TERM --kill-after=10 "$limit" \
    ip netns exec "${tag}h1" unshare --uts sh -c 'hostname rtnode1 && exec "$@"' cluster "$@" || code=$?
}

if [ "$launcher" -eq 1 ]; then
  RTC_HOSTFILE="$work/hostfile"
  RTC_HOSTS=$(awk '{sub("slots=", "", $2); printf "%s%s:%s", (NR > 1 ? "," : ""), $1, $2}' "$work/hostfile")
  RTC_AGENT="$work/agent.sh"
  RTC_CIDR="$cidr"
  RTC_IFACE=eth0
  export RTC_HOSTFILE RTC_HOSTS RTC_AGENT RTC_CIDR RTC_IFACE
  for word do
    shift
    set -- "$@" "$(printf '%s' "$word" | sed -e "s|@HOSTFILE@|$RTC_HOSTFILE|g" -e "s|@HOSTS@|$RTC_HOSTS|g" \
                     -e "s|@AGENT@|$RTC_AGENT|g" -e "s|@CIDR@|$RTC_CIDR|g" -e "s|@IFACE@|$RTC_IFACE|g")"
  done
  for assignment in $launcher_env; do export "$assignment"; done
  run_in_host1 "$@"
  # Whatever the launcher started had to end with it.
  left=""
  i=1
  while [ $i -le "$hosts" ]; do
    for pid in $(ip netns pids "${tag}h$i" 2>/dev/null); do
      left="$left
  host $i: pid $pid ($(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null))"
    done
    i=$((i + 1))
  done
  if [ -n "$left" ]; then
    echo "cluster.sh: the launcher ended (code $code) but left processes behind:$left" >&2
    exit 1
  fi
  judge "$code"
  exit $?
fi

set -- mpirun --allow-run-as-root --oversubscribe --bind-to none -np "$total" \
  --hostfile "$work/hostfile" --mca plm_rsh_agent "$work/agent.sh" --mca plm_rsh_no_tree_spawn 1 \
  --mca btl tcp,vader,self --mca btl_tcp_if_include "$cidr" --mca oob_tcp_if_include "$cidr" \
  $envs $extra "$@"
# mpirun itself runs on host 1 (it starts that host's ranks).
run_in_host1 "$@"
judge "$code"
