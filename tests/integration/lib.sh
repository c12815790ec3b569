# Shared helpers for the integration tests: each test sources this, runs the real binary in a
# temporary directory on 127.0.0.1, and ends with one "N passed, N failed" line.
set -u
bin=$(readlink -f "${1:?usage: $0 PATH/TO/logship}")
corpus=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../shared/corpus" 2>/dev/null && pwd || true)
work=$(mktemp -d)
pids=()
pass=0
fail=0
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
[[ -n ${KEEP_WORK:-} ]] && trap - EXIT
skipped=0
ok() { echo "ok   - $1"; pass=$((pass + 1)); }
no() { echo "FAIL - $1"; fail=$((fail + 1)); }
# A check that cannot run here (a tool, a privilege): skipped on a developer's machine, failed in
# CI (CI=true), where a skip would pass for a success.
skip() {
  if [[ ${CI:-} == true ]]; then no "$1 (required in CI)"; else echo "skip - $1"; skipped=$((skipped + 1)); fi
}
check() { local what=$1; shift; if "$@"; then ok "$what"; else no "$what"; fi; }
lines() { [[ -f $1 ]] && wc -l <"$1" || echo 0; }
# wait_for FILE N [SECONDS]: until FILE has at least N lines.
wait_for() {
  local limit=$(( ${3:-30} * 10 ))
  for _ in $(seq "$limit"); do (( $(lines "$1") >= $2 )) && return 0; sleep 0.1; done
  return 1
}
# wait_exit PID SECONDS: waits for PID to exit; its status is in $exit_code.
wait_exit() {
  local limit=$(( $2 * 10 ))
  for _ in $(seq "$limit"); do
    if ! kill -0 "$1" 2>/dev/null; then wait "$1"; exit_code=$?; return 0; fi
    sleep 0.1
  done
  return 1
}
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
# messages FILE: the "message" of every NDJSON line, one per line.
messages() { python3 -c 'import json,sys
for l in open(sys.argv[1]):
    print(json.loads(l)["message"])' "$1"; }
finish() { echo "$pass passed, $fail failed"; ((fail == 0)); }
