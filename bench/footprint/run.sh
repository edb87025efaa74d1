#!/usr/bin/env bash
# Footprint of `outrigger start`: time from exec to /ready = 200, then idle total RSS and private memory
# (RssAnon) after 5 s. Compared with a bare `dotnet` console app that only sleeps (the runtime's own floor),
# measured the same way. Usage: bench/footprint/run.sh [runs]   (default 5 runs; prints a Markdown table)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-5}"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
dotnet publish src/Outrigger -c Release -o "$out/outrigger" -nologo -v quiet >/dev/null

# The floor: an empty .NET console app with the same runtime settings.
mkdir -p "$out/floor"
cat > "$out/floor/floor.csproj" <<'XML'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework>
  <ServerGarbageCollector>false</ServerGarbageCollector><ConcurrentGarbageCollection>false</ConcurrentGarbageCollection>
  <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally><InvariantGlobalization>true</InvariantGlobalization></PropertyGroup>
</Project>
XML
echo 'System.Threading.Thread.Sleep(System.Threading.Timeout.Infinite);' > "$out/floor/Program.cs"
(cd "$out/floor" && dotnet publish -c Release -o bin -nologo -v quiet --source /opt/nuget/packages >/dev/null 2>&1 || dotnet publish -c Release -o bin -nologo -v quiet >/dev/null)

kb() { awk -v f="$1:" '$1==f {print $2}' "/proc/$2/status"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

measure_outrigger() {
  local port; port=$(free_port)
  local dir; dir=$(mktemp -d)
  local start end pid
  start=$(date +%s%N)
  (cd "$dir" && OUTRIGGER_ADMIN__ADDRESS=127.0.0.1:$port exec "$out/outrigger/outrigger" start >/dev/null 2>&1) &
  pid=$!
  until curl -sf "http://127.0.0.1:$port/ready" >/dev/null 2>&1; do sleep 0.005; done
  end=$(date +%s%N)
  sleep 5
  local rss anon; rss=$(kb VmRSS $pid); anon=$(kb RssAnon $pid)
  local modules; modules=$(curl -s "http://127.0.0.1:$port/modules" | python3 -c 'import json,sys; print(",".join(json.load(sys.stdin)["modules"].keys()) or "none")')
  echo "$(( (end - start) / 1000000 )) $rss $anon $modules"
  kill -TERM $pid; wait $pid || true
  rm -rf "$dir"
}

measure_floor() {
  "$out/floor/bin/floor" & local pid=$!
  sleep 5
  echo "$(kb VmRSS $pid) $(kb RssAnon $pid)"
  kill $pid; wait $pid 2>/dev/null || true
}

echo "date: $(date -u +%Y-%m-%dT%H:%MZ); machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(. /etc/os-release; echo "$PRETTY_NAME"); $(dotnet --version) SDK"
echo
echo "| run | start→ready (ms) | idle RSS (MB) | idle private RssAnon (MB) | modules |"
echo "|---|---|---|---|---|"
for i in $(seq 1 "$runs"); do
  read -r ms rss anon modules < <(measure_outrigger)
  printf '| %d | %d | %.1f | %.1f | %s |\n' "$i" "$ms" "$(echo "$rss/1024" | bc -l)" "$(echo "$anon/1024" | bc -l)" "$modules"
done
read -r frss fanon < <(measure_floor)
printf '\nFloor (empty .NET console app, same GC settings): RSS %.1f MB, RssAnon %.1f MB\n' "$(echo "$frss/1024" | bc -l)" "$(echo "$fanon/1024" | bc -l)"
