#!/usr/bin/env bash
# Workflows benchmark: a 10-checkpoint workflow, 1 and 64 concurrent, in sidecar mode (the app is the C# SDK over the
# gRPC stream, real loopback sockets) vs embedded mode (a C# handler drives the same engine in-process), on the
# embedded store and on a 1-member etcd. Spec 003's success criterion: sidecar within 2x of embedded.
# Writes RESULTS.md next to this script.
#   SECONDS_PER_RUN=10 CONCURRENCY=1,64 CHECKPOINTS=10 bench/workflows/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
seconds="${SECONDS_PER_RUN:-10}"
concurrency="${CONCURRENCY:-1,64}"
checkpoints="${CHECKPOINTS:-10}"
export TMPDIR="${TMPDIR:-/var/tmp}"   # a disk, not tmpfs: the stores fsync every commit
work="$(mktemp -d "$TMPDIR/outrigger-wfbench.XXXXXX")"
pids=()
cleanup() { for pid in "${pids[@]}"; do { kill -9 "$pid" && wait "$pid"; } 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

dotnet build -c Release -v q -nologo "$here/WorkflowBench" -o "$work/bin" >/dev/null
bench=(dotnet "$work/bin/WorkflowBench.dll")
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

start_etcd() {
  local client peer
  client=$(free_port); peer=$(free_port)
  rm -rf "$work/etcd"
  etcd --name bench --data-dir "$work/etcd" --listen-client-urls "http://127.0.0.1:$client" --advertise-client-urls "http://127.0.0.1:$client" \
    --listen-peer-urls "http://127.0.0.1:$peer" --logger zap --log-outputs "$work/etcd.log" --log-level warn &
  pids+=("$!")
  etcd_pid=$!
  etcd_url="http://127.0.0.1:$client"
  for _ in $(seq 50); do curl -sf "$etcd_url/health" >/dev/null && return; sleep 0.1; done
  echo "etcd did not start" >&2; exit 1
}

results="$work/results.tsv"
: > "$results"
IFS=',' read -r -a levels <<<"$concurrency"
for store in embedded etcd; do
  for c in "${levels[@]}"; do
    for mode in embedded sidecar; do
      extra=()
      if [ "$store" = etcd ]; then
        if command -v etcd >/dev/null; then start_etcd; extra=("$etcd_url"); else continue; fi
      fi
      echo "running $mode on the $store store, concurrency $c" >&2
      "${bench[@]}" "$mode" "$c" "$seconds" "$checkpoints" "${extra[@]}" | tee -a "$results" >&2
      if [ "$store" = etcd ]; then kill -9 "$etcd_pid"; wait "$etcd_pid" 2>/dev/null || true; fi
    done
  done
done

{
  echo "# Workflows benchmark: sidecar mode vs embedded mode"
  echo
  echo "Run: \`SECONDS_PER_RUN=$seconds CONCURRENCY=$concurrency CHECKPOINTS=$checkpoints bench/workflows/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC');"
  echo "machine: 2 cores, Debian 12 (shared with other builds: absolute numbers are noisy, the ratios come from one run)."
  echo "Workload: workflows of $checkpoints checkpoints each (owner-only checkpoint values of 4 bytes), started and awaited"
  echo "in-process through the engine, the given number in flight at once, one node, 1 replica."
  echo "- embedded: a C# handler attached to the engine in-process (no gRPC, no serialisation) answers the engine's"
  echo "  messages: the engine and store cost alone."
  echo "- sidecar: the C# SDK (\`WorkflowClient\`) over \`RaftoralSidecar.WorkflowStream\` on loopback h2c, in the same process."
  echo "Checkpoint latency: from the checkpoint call (proposal) to its committed value back in the handler."
  echo "Each run: 1 s warm-up (not counted), then ${seconds} s measured. CPU: the process's user+system time per workflow"
  echo "over the measured part (engine, store and, in sidecar mode, both ends of the stream)."
  echo
  echo "| store | concurrency | mode | workflows/s | checkpoint p50 ms | checkpoint p99 ms | CPU ms/workflow |"
  echo "|---|---|---|---|---|---|---|"
  while IFS=$'\t' read -r mode c count rate p50 p99 cpu; do
    echo "| ${mode#*/} | $c | ${mode%%/*} | $rate | $p50 | $p99 | $cpu |"
  done < "$results"
  echo
  echo "| store | concurrency | sidecar/embedded throughput | sidecar/embedded p50 latency | sidecar/embedded CPU per workflow |"
  echo "|---|---|---|---|---|"
  /usr/bin/python3 - "$results" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    mode, c, count, rate, p50, p99, cpu = line.split("\t")
    kind, store = mode.split("/")
    rows[(store, c, kind)] = (float(rate), float(p50), float(cpu))
for (store, c, kind), (rate, p50, cpu) in sorted(rows.items(), key=lambda r: (r[0][0], int(r[0][1]), r[0][2])):
    if kind == "sidecar" and (store, c, "embedded") in rows:
        erate, ep50, ecpu = rows[(store, c, "embedded")]
        print("| %s | %s | %.2f | %.2fx | %.2fx |" % (store.replace("-store", ""), c, rate / erate, p50 / ep50, cpu / ecpu))
PY
  if [ -f "$here/analysis.md" ]; then cat "$here/analysis.md"; fi
} > "$here/RESULTS.md"
cat "$here/RESULTS.md"
