# Pieces shared by the proxy benchmarks (bench/proxy/run.sh, bench/proxy2/run.sh). Source it after setting ROOT and WORK.
# Layout on a 2-core machine: proxies on core 1, the upstream and the load generators on core 0.

PIDS=()
# RT="chrt -f 50" runs the measured processes (proxies, upstream, load generators) at real-time priority, ahead of
# other work on a shared machine; empty by default.
RT=${RT:-}
CLK_TCK=$(getconf CLK_TCK)

bench_cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}

require_tools() {
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 1; }
  done
}

# BUILD=aot (default): the Native AOT executable the container image ships (docs/aot.md; ~3 min to publish);
# BUILD=jit: `dotnet build` (the JIT build `outrigger start` runs from a clone); BIN=/path/to/outrigger: an existing build.
build_outrigger() {
  mkdir -p "$WORK/bin"
  if [ -n "${BIN:-}" ]; then
    echo "== using $BIN"
    ln -s "$(realpath "$BIN")" "$WORK/bin/outrigger"
  elif [ "${BUILD:-aot}" = jit ]; then
    echo "== building Outrigger (Release, JIT)"
    dotnet build "$ROOT/src/Outrigger" -c Release -o "$WORK/bin" -v quiet -nologo >/dev/null
  else
    echo "== publishing Outrigger (Release, Native AOT)"
    dotnet publish "$ROOT/src/Outrigger" -c Release -r linux-x64 -p:PublishAot=true -o "$WORK/bin" -v quiet -nologo >/dev/null
  fi
  OUTRIGGER_BUILD=$([ -e "$(dirname "$(realpath "$WORK/bin/outrigger")")/outrigger.dll" ] && echo "JIT" || echo "Native AOT")
}

# The fixed upstream: nginx, one worker, static 2 KB and 64 KB bodies, HTTP/1.1 on $1 and h2c on $2.
write_upstream() {
  mkdir -p "$WORK/www" "$WORK/logs"
  chmod 755 "$WORK" "$WORK/www"   # nginx workers run as an unprivileged user
  head -c 2048 /dev/urandom >"$WORK/www/2k"
  head -c 65536 /dev/urandom >"$WORK/www/64k"
  chmod 644 "$WORK/www/"*
  cat >"$WORK/upstream.conf" <<CONF
worker_processes 1;
daemon off;
pid $WORK/upstream.pid;
error_log $WORK/logs/upstream.err warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  keepalive_requests 10000000;
  server { listen 127.0.0.1:$1; root $WORK/www; }
  server { listen 127.0.0.1:$2 http2; root $WORK/www; }
}
CONF
}

LAST_PID=
start() { # name core command...; sets LAST_PID
  local name=$1 core=$2; shift 2
  $RT taskset -c "$core" "$@" >"$WORK/logs/$name.out" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}

wait_port() { # port [curl args...]: until something answers on it
  local port=$1; shift
  for _ in $(seq 1 100); do
    if curl -s -o /dev/null "$@" "http://127.0.0.1:$port/2k"; then return 0; fi
    sleep 0.1
  done
  echo "port $port did not come up" >&2; cat "$WORK"/logs/* >&2; exit 1
}

# utime+stime clock ticks of the processes in $1 (space-separated PIDs).
cpu_ticks() { local total=0; for pid in $1; do total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat"))); done; echo $total; }

rss_kb() { local total=0; for pid in $1; do total=$((total + $(awk '/VmRSS/ {print $2}' "/proc/$pid/status"))); done; echo $total; }

# µs of CPU per request from a tick difference and a request count.
us_per_request() { awk -v d="$1" -v hz="$CLK_TCK" -v n="$2" 'BEGIN { printf "%.1f", d / hz * 1e6 / n }'; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "—" }'; }

machine_line() {
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), Debian $(cat /etc/debian_version) · .NET $(dotnet --list-runtimes | awk '/NETCore/ {print $2}' | tail -1)"
}
