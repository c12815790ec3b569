#!/usr/bin/env bash
# logship tap: events leaving a transform of the running agent, live, with a limit and a condition.
source "$(dirname "$0")/lib.sh"
port=$(free_port)
: >"$work/auth.log"
cat >"$work/p.yaml" <<YAML
data_dir: $work/data
admin: {address: 127.0.0.1:$port}
sources:
  auth: {type: file, include: [$work/auth.log], poll_interval: 50ms}
transforms:
  events: {type: parse_auth, inputs: [auth]}
outputs:
  out: {type: blackhole, inputs: [events]}
YAML
"$bin" run -c "$work/p.yaml" 2>"$work/agent.log" & pid=$!; pids+=($pid)
for _ in $(seq 50); do "$bin" status --address 127.0.0.1:$port >/dev/null 2>&1 && break; sleep 0.1; done
"$bin" tap events --address 127.0.0.1:$port --limit 5 \
  --when '{field: event.action, equals: pam_auth_failure}' >"$work/tap.out" 2>"$work/tap.err" & tap=$!; pids+=($tap)
sleep 0.5
# Lines keep arriving while the tap is open; it stops by itself after 5 matching events.
for i in 1 2 3; do tr -d '\r' <"$corpus/linux_syslog_2k.log" >>"$work/auth.log"; echo >>"$work/auth.log"; sleep 0.5; done
if wait_exit "$tap" 20; then check "tap exits 0 after its limit" test "$exit_code" = 0; else no "tap stops after its limit"; fi
check "exactly 5 events printed" test "$(wc -l <"$work/tap.out")" = 5
check "every tapped event matches the condition and carries parsed fields" python3 -c 'import json,sys
events = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if events and all(e["event"]["action"] == "pam_auth_failure" and e["process"]["name"] for e in events) else 1)' "$work/tap.out"
"$bin" tap nosuch --address 127.0.0.1:$port --limit 1 >/dev/null 2>"$work/err"; rc=$?
check "an unknown component is named, exit 1" bash -c "[[ $rc == 1 ]] && grep -q \"no source or transform 'nosuch'\" '$work/err'"
"$bin" tap events --address 127.0.0.1:$port --limit 1 --when '{field: x, bogus: 1}' >/dev/null 2>"$work/err"; rc=$?
check "a bad condition is refused with its error" bash -c "[[ $rc == 1 ]] && grep -q 'bogus' '$work/err'"
kill -TERM "$pid"
if wait_exit "$pid" 10; then check "agent exits 0" test "$exit_code" = 0; else no "agent stops"; fi
finish
