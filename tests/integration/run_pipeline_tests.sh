#!/usr/bin/env bash
# logship test: the shipped examples pass their own tests, and a wrong expectation is caught with
# the test, the event and the field named.
source "$(dirname "$0")/lib.sh"
repo=$(cd "$(dirname "$0")/../.." && pwd)
export LOGSHIP_DATA_DIR=$work/data
for t in "$repo"/conf/examples/*_test.yaml; do
  check "$(basename "$t") passes" "$bin" test "$t"
done
sed 's/event.action: ssh_failed_password,$/event.action: ssh_accepted_password,/' \
  "$repo/conf/examples/security_pipeline_test.yaml" >"$work/wrong_test.yaml"
sed -i "s|^config: .*|config: $repo/conf/examples/security_pipeline.yaml|" "$work/wrong_test.yaml"
"$bin" test "$work/wrong_test.yaml" >"$work/out" 2>&1; rc=$?
check "a wrong expectation fails with exit 1" test $rc = 1
check "the failure names the event, the field and both values" \
  grep -qF "event 1, event.action: expected 'ssh_accepted_password', got 'ssh_failed_password'" "$work/out"
check "the other tests still pass" grep -q "^4 passed, 1 failed$" "$work/out"
finish
