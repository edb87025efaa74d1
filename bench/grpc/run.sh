#!/usr/bin/env bash
# gRPC server benchmark: Outrigger.Grpc (tests/Interop, Release) vs @grpc/grpc-js and Python grpcio interop servers,
# all serving grpc.testing.TestService on 127.0.0.1, driven by the same load generator (h2load, h2c) in one run.
#   unary:     EmptyCall, N requests over C connections with M concurrent streams each; req/s, p50/p99 latency
#   streaming: StreamingOutputCall asking for 1000 responses of 10 bytes per call; messages/s
# Needs: dotnet, node (+ npm ci in tests/Interop/node), /usr/bin/python3 with python3-grpcio, h2load (nghttp2-client).
# Usage: bench/grpc/run.sh [unary_requests=20000] [connections=4] [streams_per_connection=16]; writes bench/grpc/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
N=${1:-20000}
C=${2:-4}
M=${3:-16}
STREAM_CALLS=$((N / 100))
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

dotnet build tests/Interop -c Release -o "$WORK/interop" >/dev/null
# Bodies: an empty message, and a StreamingOutputCallRequest with 1000 x ResponseParameters{size=10}.
/usr/bin/python3 - "$WORK" <<'PY'
import struct, sys
work = sys.argv[1]
open(work + "/empty.bin", "wb").write(b"\0\0\0\0\0")
message = b"\x12\x02\x08\x0a" * 1000
open(work + "/stream.bin", "wb").write(b"\0" + struct.pack(">I", len(message)) + message)
PY

start() { # name, command...; waits for "listening on [host:]PORT" and sets PORT
  local name=$1; shift
  "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do
    if PORT=$(grep -m1 -oE 'listening on (.*:)?[0-9]+' "$WORK/$name.log" | grep -oE '[0-9]+$'); then return; fi
    sleep 0.2
  done
  echo "$name did not start:"; cat "$WORK/$name.log"; exit 1
}

percentiles() { # h2load log (start, status, microseconds) -> "p50_ms p99_ms"
  sort -n -k3 "$1" | awk '{v[NR]=$3} END {printf "%.2f %.2f", v[int(NR*0.50)]/1000, v[int(NR*0.99)]/1000}'
}

measure() { # name port -> appends a result row
  local name=$1 port=$2 url="http://127.0.0.1:$2/grpc.testing.TestService"
  local headers=(-H 'content-type: application/grpc' -H 'te: trailers')
  h2load -n 2000 -c "$C" -m "$M" -t 1 "${headers[@]}" -d "$WORK/empty.bin" "$url/EmptyCall" >/dev/null  # warm-up
  h2load -n "$N" -c "$C" -m "$M" -t 1 "${headers[@]}" -d "$WORK/empty.bin" --log-file="$WORK/$name.lat" "$url/EmptyCall" >"$WORK/$name.unary"
  local rps ok p
  rps=$(grep -oE 'finished in [^,]+, [0-9.]+ req/s' "$WORK/$name.unary" | grep -oE '[0-9.]+ req/s' | cut -d' ' -f1)
  ok=$(grep -oE '[0-9]+ 2xx' "$WORK/$name.unary" | cut -d' ' -f1)
  p=$(percentiles "$WORK/$name.lat")
  h2load -n "$STREAM_CALLS" -c "$C" -m 4 -t 1 "${headers[@]}" -d "$WORK/stream.bin" "$url/StreamingOutputCall" >"$WORK/$name.stream"
  local secs msgs
  secs=$(grep -oE 'finished in [0-9.]+(ms|s)' "$WORK/$name.stream" | awk '{v=$3; if (v ~ /ms$/) {sub(/ms/,"",v); v/=1000} else sub(/s/,"",v); print v}')
  msgs=$(awk -v n="$STREAM_CALLS" -v s="$secs" 'BEGIN {printf "%.0f", n*1000/s}')
  echo "$name|$rps|$ok|${p% *}|${p#* }|$msgs" >>"$WORK/rows"
}

start outrigger dotnet "$WORK/interop/Outrigger.Interop.dll" --port=0;          measure outrigger "$PORT"
start grpc-js node tests/Interop/node/interop_server.js --port=0;                measure grpc-js "$PORT"
start grpcio /usr/bin/python3 -u tests/Interop/python/interop_server.py --port=0; measure grpcio "$PORT"

{
  echo "# gRPC server benchmark"
  echo
  echo "Run: \`bench/grpc/run.sh $N $C $M\` on $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(nproc) cores, Debian 12 (shared with other builds, so absolute numbers are noisy; the ratios come from one run)."
  echo "Load generator: h2load (nghttp2 $(h2load --version | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -1)), h2c, 1 thread, $C connections x $M streams."
  echo "Unary: $N x EmptyCall. Streaming: $STREAM_CALLS x StreamingOutputCall, 1000 responses of 10 bytes each."
  echo "Servers: Outrigger.Grpc (tests/Interop, Release), @grpc/grpc-js $(node -p "require('./tests/Interop/node/node_modules/@grpc/grpc-js/package.json').version") (node $(node --version)), grpcio $(/usr/bin/python3 -c 'import grpc; print(grpc.__version__)') (16 worker threads)."
  echo
  echo "| server | unary req/s | 2xx | p50 ms | p99 ms | stream msg/s | unary vs ours | stream vs ours |"
  echo "|---|---|---|---|---|---|---|---|"
  ours=$(head -1 "$WORK/rows")
  ours_rps=$(echo "$ours" | cut -d'|' -f2); ours_msgs=$(echo "$ours" | cut -d'|' -f6)
  while IFS='|' read -r name rps ok p50 p99 msgs; do
    echo "| $name | $rps | $ok | $p50 | $p99 | $msgs | $(awk -v a="$ours_rps" -v b="$rps" 'BEGIN {printf "%.2fx", a/b}') | $(awk -v a="$ours_msgs" -v b="$msgs" 'BEGIN {printf "%.2fx", a/b}') |"
  done <"$WORK/rows"
  echo
  echo "\"vs ours\" = Outrigger's throughput divided by that server's (above 1 means Outrigger is faster)."
} >bench/grpc/RESULTS.md
cat bench/grpc/RESULTS.md
