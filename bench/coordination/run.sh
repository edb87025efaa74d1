#!/usr/bin/env bash
# Coordination store benchmark: puts/s and p50/p99 commit latency for 1, 16 and 64 concurrent writers, the embedded
# backend vs a 3-member etcd cluster on this machine (both fsync every commit), plus the raw fsync rate of the same
# disk as the physical limit. Writes RESULTS.md next to this script.
#   SECONDS_PER_RUN=10 WRITERS=1,16,64 bench/coordination/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
seconds="${SECONDS_PER_RUN:-10}"
writers="${WRITERS:-1,16,64}"
command -v etcd >/dev/null || { echo "etcd is missing: apt-get install -y etcd-server etcd-client" >&2; exit 1; }
work="$(mktemp -d "${TMPDIR:-/var/tmp}/outrigger-coordbench.XXXXXX")"
pids=()
cleanup() { for pid in "${pids[@]}"; do { kill -9 "$pid" && wait "$pid"; } 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

dotnet build -c Release -v q -nologo "$here/CoordBench" -o "$work/bin" >/dev/null
bench=(dotnet "$work/bin/CoordBench.dll")

read -r -a ports <<<"$("${bench[@]}" ports 6)"
cluster="m0=http://127.0.0.1:${ports[3]},m1=http://127.0.0.1:${ports[4]},m2=http://127.0.0.1:${ports[5]}"
endpoints=""
for i in 0 1 2; do
  etcd --name "m$i" --data-dir "$work/etcd-m$i" \
    --listen-client-urls "http://127.0.0.1:${ports[$i]}" --advertise-client-urls "http://127.0.0.1:${ports[$i]}" \
    --listen-peer-urls "http://127.0.0.1:${ports[$((i + 3))]}" --initial-advertise-peer-urls "http://127.0.0.1:${ports[$((i + 3))]}" \
    --initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token coordbench \
    --logger zap --log-outputs "$work/etcd-m$i.log" --log-level warn &
  pids+=("$!")
  endpoints="${endpoints:+$endpoints,}http://127.0.0.1:${ports[$i]}"
done
for _ in $(seq 1 100); do
  ETCDCTL_API=3 etcdctl --endpoints="$endpoints" endpoint health >/dev/null 2>&1 && break
  sleep 0.2
done
ETCDCTL_API=3 etcdctl --endpoints="$endpoints" endpoint health >/dev/null

echo "running: ${seconds}s per run, writers $writers" >&2
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
table="$("${bench[@]}" report "$work" "$endpoints" "$seconds" "$writers")"
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

{
  echo "# Coordination store benchmark"
  echo
  echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'). Machine: 2 cores, Debian 12 ($(uname -r)); load average $load_before before and $load_after after (other builds shared the machine and its disk)."
  echo "Software: $(etcd --version | head -1), .NET $(dotnet --version). Command: \`bench/coordination/run.sh\` (SECONDS_PER_RUN=$seconds, WRITERS=$writers)."
  echo
  echo "Each writer puts 128-byte values in a loop (1 s warm-up, then ${seconds} s measured); latency is the time until the"
  echo "put is acknowledged, i.e. durable: the embedded store fsyncs its log before answering (group commit: one fsync for"
  echo "everything queued), etcd fsyncs its WAL on a quorum of members before answering. The etcd client is Outrigger's"
  echo "etcd backend with the three endpoints (it talks to one member, which forwards to the leader). All three etcd"
  echo "members share this disk with the embedded store, so each etcd commit costs fsyncs on several members. The raw fsync"
  echo "rate is probed for half the run time just before and just after each embedded run and the two probes are pooled,"
  echo "so each ratio compares measurements made under the same load. On this shared disk the fsync rate swings by 3-5x"
  echo "from one second to the next (other builds write to it), so single ratios are noisy; compare orders of magnitude."
  echo
  echo "$table"
} >"$here/RESULTS.md"
cat "$here/RESULTS.md"
