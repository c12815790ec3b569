#!/usr/bin/env bash
# Raw path end to end: SIZE_MB megabytes of syslog lines in FILES files, read from the start by the
# real agent into the blackhole output. Reports wall-clock MB/s, MB per CPU-second (user+sys of
# the agent) and peak RSS.
#   usage: bench/e2e/raw_throughput.sh PATH/TO/logship [SIZE_MB] [WORKERS] [FILES]
set -euo pipefail
bin=$(readlink -f "${1:?usage: $0 PATH/TO/logship [SIZE_MB] [WORKERS]}")
size_mb=${2:-1024}
workers=${3:-1}
files=${4:-1}
work=$(mktemp -d)
trap 'kill -9 $pid 2>/dev/null || true; rm -rf "$work"' EXIT
pid=""

# Real auth/syslog lines (the shared corpus when present), repeated to the wanted size.
corpus="$(dirname "$0")/../../../shared/corpus/linux_syslog_2k.log"
if [[ -f $corpus ]]; then tr -d '\r' <"$corpus" >"$work/seed"; echo >>"$work/seed"; else
  for i in $(seq 2000); do echo "Jun 14 15:16:01 combo sshd(pam_unix)[$i]: authentication failure; rhost=10.0.0.$((i % 250))"; done >"$work/seed"
fi
mkdir -p "$work/logs"
python3 - "$work/seed" "$work/logs" "$size_mb" "$files" <<'PY'
import sys
seed = open(sys.argv[1], "rb").read()
files = int(sys.argv[4])
target = (int(sys.argv[3]) << 20) // files
for i in range(files):
    with open(f"{sys.argv[2]}/in{i}.log", "wb") as out:
        # A first line of its own, so no file looks like a copy of another.
        written = out.write(f"file {i} of the raw throughput benchmark\n".encode())
        while written < target:
            out.write(seed); written += len(seed)
PY
bytes=$(cat "$work"/logs/*.log | wc -c)
lines=$(cat "$work"/logs/*.log | wc -l)
cat "$work"/logs/*.log >/dev/null  # warm the page cache: this measures the agent, not the disk

port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
cat >"$work/p.yaml" <<YAML
data_dir: $work/data
workers: $workers
admin: {address: 127.0.0.1:$port}
sources:
  in: {type: file, include: [$work/logs/*.log], start_at: beginning}
outputs:
  sink: {type: blackhole, inputs: [in]}
YAML
start=$(date +%s.%N)
"$bin" run -c "$work/p.yaml" 2>"$work/agent.log" & pid=$!
want="logship_component_sent_events_total{component_id=\"sink\",component_kind=\"output\",component_type=\"blackhole\"} $lines"
until python3 -c 'import sys,urllib.request
sys.exit(0 if sys.argv[2] in urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1]).read().decode() else 1)' \
    "$port" "$want" 2>/dev/null; do
  kill -0 $pid || { cat "$work/agent.log"; exit 1; }
  sleep 0.05
done
end=$(date +%s.%N)
read -r utime stime < <(awk '{print $14, $15}' /proc/$pid/stat)
hwm_kb=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
kill -TERM $pid; wait $pid || true; pid=""
python3 - "$bytes" "$lines" "$start" "$end" "$utime" "$stime" "$(getconf CLK_TCK)" "$hwm_kb" "$workers" <<'PY'
import sys
b, lines, t0, t1, ut, st, tck, hwm, workers = sys.argv[1:]
b = int(b); lines = int(lines); wall = float(t1) - float(t0); cpu = (int(ut) + int(st)) / int(tck)
mb = b / 1e6
print(f"raw files -> blackhole, {mb:.0f} MB, {lines} lines, {workers} worker(s)")
print(f"  wall {wall:.2f} s: {mb / wall:.0f} MB/s, {lines / wall / 1e6:.2f} M lines/s (includes start-up and 50 ms polling)")
print(f"  cpu  {cpu:.2f} s (user+sys): {mb / cpu:.0f} MB per CPU-second")
print(f"  peak RSS {int(hwm) / 1024:.0f} MiB")
PY
