#!/usr/bin/env bash
# file source -> file output with the real binary: every line delivered exactly once through
# appends, a rename rotation, a truncation and an unterminated last line, as NDJSON and as text
# (format: text); SIGTERM drains, exit 0.
source "$(dirname "$0")/lib.sh"
mkdir -p "$work/logs" "$work/logs/dir.log"
expected="$work/expected"
seq -f "generated line %g" 1 50000 >"$work/logs/b.log"
cp "$corpus/linux_syslog_2k.log" "$work/logs/a.log"
printf 'first\nlast without newline' >"$work/logs/c.log"
cat >"$work/p.yaml" <<YAML
data_dir: $work/data
admin: {address: 127.0.0.1:$(free_port)}
sources:
  logs:
    type: file
    include: [$work/logs/*.log]
    exclude: ["*.1"]
    poll_interval: 50ms
    glob_interval: 200ms
    idle_flush: 300ms
outputs:
  out: {type: file, inputs: [logs], path: $work/out.ndjson}
  text: {type: file, inputs: [logs], path: $work/out.txt, format: text}
YAML
"$bin" run -c "$work/p.yaml" 2>"$work/agent.log" & pid=$!; pids+=($pid)
{ tr -d '\r' <"$work/logs/a.log"; echo; cat "$work/logs/b.log"; echo first; echo "last without newline"; } >"$expected"
check "initial files delivered, unterminated last line after idle" wait_for "$work/out.ndjson" "$(wc -l <"$expected")"

seq -f "appended %g" 1 1000 >>"$work/logs/b.log"
seq -f "appended %g" 1 1000 >>"$expected"
mv "$work/logs/b.log" "$work/logs/b.log.1"
seq -f "after rotation %g" 1 100 >"$work/logs/b.log"
seq -f "after rotation %g" 1 100 >>"$expected"
check "appends and a rename rotation delivered" wait_for "$work/out.ndjson" "$(wc -l <"$expected")"

sleep 0.3
: >"$work/logs/a.log"
seq -f "after truncation %g" 1 5 >"$work/logs/a.log"
seq -f "after truncation %g" 1 5 >>"$expected"
check "lines written after a truncation delivered" wait_for "$work/out.ndjson" "$(wc -l <"$expected")"
sleep 0.5

messages "$work/out.ndjson" | sort >"$work/got.sorted"
sort "$expected" >"$work/expected.sorted"
check "exactly the expected lines, no loss, no duplicates" cmp -s "$work/got.sorted" "$work/expected.sorted"
wait_for "$work/out.txt" "$(wc -l <"$expected")" 10
check "format: text writes each line as read" cmp -s <(sort "$work/out.txt") "$work/expected.sorted"
check "NDJSON carries the file path and host" \
  python3 -c 'import json,sys
l = json.loads(open(sys.argv[1]).readline())
sys.exit(0 if l["log"]["file"]["path"].endswith(".log") and l["host"]["name"] and "@timestamp" in l else 1)' "$work/out.ndjson"

kill -TERM "$pid"
if wait_exit "$pid" 10; then check "SIGTERM drains and exits 0 (exit code $exit_code)" test "$exit_code" = 0; else no "SIGTERM stops within 10 s"; fi
check "agent log says where events went" grep -q "output 'out' (file) -> $work/out.ndjson" "$work/agent.log"
finish
