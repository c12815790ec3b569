#!/usr/bin/env bash
# Memory under backpressure: FILES tailed files of 256 KB of auth log lines each, read from the
# start into a Loki output whose server accepts connections and never reads nor answers, so every
# request stalls and the sources must be held back. Reports the agent's peak RSS (VmHWM) over
# SECONDS; its last line is what compare.sh records.
#   usage: bench/e2e/backpressure_rss.sh PATH/TO/logship [FILES, default 1000] [SECONDS, default 20]
set -euo pipefail
bin=$(readlink -f "${1:?usage: $0 PATH/TO/logship [FILES] [SECONDS]}")
files=${2:-1000}
seconds=${3:-20}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/logship-backpressure.XXXXXX)
pid="" server_pid=""
trap 'kill -9 $pid $server_pid 2>/dev/null || true; rm -rf "$work"' EXIT

python3 "$here/security_corpus.py" $(( (files * 256 * 2 + 1023) / 1024 )) "$work/corpus" >/dev/null
mkdir -p "$work/logs"
python3 - "$work/corpus/auth.log" "$work/logs" "$files" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
n = int(sys.argv[3])
start = 0
for i in range(n):
    end = len(data) if i == n - 1 else data.index(b"\n", (i + 1) * len(data) // n) + 1
    open(f"{sys.argv[2]}/f{i:04d}.log", "wb").write(data[start:end])
    start = end
PY
bytes=$(cat "$work"/logs/*.log | wc -c)

# The stalled receiver: accepts every connection and leaves it unread.
port_file="$work/port"
python3 - "$port_file" <<'PY' & server_pid=$!
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
held = []
while True:
    c, _ = s.accept()
    held.append(c)
PY
for _ in $(seq 50); do [[ -s $port_file ]] && break; sleep 0.1; done
cat >"$work/p.yaml" <<YAML
data_dir: $work/data
admin: {enabled: false}
sources:
  in: {type: file, include: [$work/logs/*.log], start_at: beginning}
outputs:
  out: {type: loki, inputs: [in], endpoint: http://127.0.0.1:$(cat "$port_file")}
YAML
"$bin" run -c "$work/p.yaml" 2>"$work/agent.log" & pid=$!
for _ in $(seq $((seconds * 5))); do
  kill -0 "$pid" || { tail -5 "$work/agent.log"; exit 1; }
  sleep 0.2
done
hwm_kb=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
rss_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
fds=$(ls "/proc/$pid/fd" | wc -l)
kill -TERM "$pid"; wait "$pid" || true; pid=""
python3 -c "import sys
files, b, secs, hwm, rss, fds = map(int, sys.argv[1:])
print(f'{files} tailed files ({b / 1e6:.0f} MB), Loki output stalled for {secs} s: '
      f'peak RSS {hwm * 1024 / 1e6:.1f} MB, RSS at the end {rss * 1024 / 1e6:.1f} MB, {fds} open descriptors')" \
  "$files" "$bytes" "$seconds" "$hwm_kb" "$rss_kb" "$fds"
