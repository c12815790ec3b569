#!/usr/bin/env bash
# The admin server: /metrics passes `promtool check metrics` and counts what flowed;
# /healthz, /readyz and /status answer.
source "$(dirname "$0")/lib.sh"
promtool=$(command -v promtool || true)
[[ -z $promtool ]] && { echo "promtool not found (apt-get install prometheus)"; no "promtool available"; finish; exit 1; }
seq -f "metric line %g" 1 12345 >"$work/in.log"
port=$(free_port)
cat >"$work/p.yaml" <<YAML
data_dir: $work/data
admin: {address: 127.0.0.1:$port}
sources:
  in: {type: file, include: [$work/in.log]}
outputs:
  sink: {type: blackhole, inputs: [in]}
YAML
"$bin" run -c "$work/p.yaml" 2>"$work/agent.log" & pid=$!; pids+=($pid)
get() { python3 -c 'import sys,urllib.request
try:
    r = urllib.request.urlopen("http://127.0.0.1:%s%s" % (sys.argv[1], sys.argv[2]), timeout=5)
    sys.stdout.write(r.read().decode()); sys.exit(0 if r.status == 200 else 1)
except Exception as e:
    sys.stderr.write(str(e)); sys.exit(1)' "$port" "$1"; }
for _ in $(seq 50); do get /healthz >/dev/null 2>&1 && break; sleep 0.1; done
want='logship_component_sent_events_total{component_id="sink",component_kind="output",component_type="blackhole"} 12345'
for _ in $(seq 100); do get /metrics 2>/dev/null | grep -qF "$want" && break; sleep 0.1; done
get /metrics >"$work/metrics.txt"
check "every event counted at the output" grep -qF "$want" "$work/metrics.txt"
check "promtool check metrics passes" bash -c "'$promtool' check metrics <'$work/metrics.txt'"
check "process RSS exported" grep -qE '^logship_process_resident_memory_bytes [0-9.e+]+$' "$work/metrics.txt"
check "acknowledgements by status" grep -qF 'logship_output_batches_total{component_id="sink",status="delivered"}' "$work/metrics.txt"
check "/healthz is 200" get /healthz
check "/readyz is 200" get /readyz
get /status >"$work/status.json"
check "/status lists the file with its offsets" python3 -c 'import json,sys
f = json.load(open(sys.argv[1]))["sources"][0]["state"]["files"][0]
sys.exit(0 if f["path"].endswith("in.log") and f["acknowledged_offset"] == f["read_offset"] > 0 and f["lag_bytes"] == 0 else 1)' "$work/status.json"
"$bin" status -c "$work/p.yaml" >"$work/status.txt" 2>&1
check "logship status lists the file and the output" bash -c "grep -qE 'in.log  read [0-9]+  acknowledged [0-9]+  lag 0 B' '$work/status.txt' && grep -qF 'sink (blackhole)  healthy  queued 0 B' '$work/status.txt'"
! get /nope >/dev/null 2>&1; check "unknown path is 404" test $? = 0
kill -TERM "$pid"
if wait_exit "$pid" 10; then check "exit 0" test "$exit_code" = 0; else no "stops within 10 s"; fi
finish
