#!/usr/bin/env bash
# stdin source: the agent ships every line and exits by itself at end of input; a second signal
# exits at once even while a drain is waiting.
source "$(dirname "$0")/lib.sh"
cat >"$work/p.yaml" <<YAML
data_dir: $work/data
admin: {enabled: false}
sources:
  in: {type: stdin}
outputs:
  out: {type: console, inputs: [in]}
YAML
seq 1 200000 | timeout 60 "$bin" run -c "$work/p.yaml" >"$work/out.ndjson" 2>"$work/agent.log"
check "exits 0 by itself at end of input" test $? = 0
check "every line delivered once, in order" bash -c "diff <(seq 1 200000) <(python3 -c 'import json,sys
for l in open(sys.argv[1]): print(json.loads(l)[\"message\"])' '$work/out.ndjson')"

cat >"$work/stuck.yaml" <<YAML
data_dir: $work/data
admin: {enabled: false}
shutdown_timeout: 60s
sources:
  in: {type: stdin}
outputs:
  out: {type: file, inputs: [in], path: $work/no/such/dir/out.ndjson}
YAML
mkfifo "$work/fifo"
(seq 1 10; sleep 30) >"$work/fifo" & pids+=($!)
"$bin" run -c "$work/stuck.yaml" <"$work/fifo" 2>"$work/stuck.log" & pid=$!; pids+=($pid)
sleep 1
kill -TERM "$pid"; sleep 0.5
check "still draining after the first signal (output cannot write)" kill -0 "$pid"
kill -TERM "$pid"
if wait_exit "$pid" 3; then check "second signal exits at once with 143" test "$exit_code" = 143; else no "second signal exits at once"; fi
finish
