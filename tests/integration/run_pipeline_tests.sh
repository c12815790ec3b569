#!/usr/bin/env bash
# logship test: the shipped examples pass their own tests, and a wrong expectation is caught with
# the test, the event and the field named.
source "$(dirname "$0")/lib.sh"
repo=$(cd "$(dirname "$0")/../.." && pwd)
export LOGSHIP_DATA_DIR=$work/data
for t in "$repo"/conf/examples/*_test.yaml "$repo"/conf/detections/tests/*.test.yaml; do
  check "$(basename "$t") passes" "$bin" test "$t"
done
check "the detections example validates with the pack included" \
  "$bin" validate -c "$repo/conf/examples/detections.yaml"
# The pack's tests bite: a brute-force rule that needs 11 failures fails its test.
cp -r "$repo/conf/detections" "$work/pack"
sed -i '0,/threshold: 10$/s//threshold: 11/' "$work/pack/ssh.yaml"
"$bin" test "$work/pack/tests/ssh.test.yaml" >"$work/pack.out" 2>&1; rc=$?
check "a changed brute-force threshold fails the pack's test" test $rc = 1
check "it names the rule's test" grep -q "^FAIL - ssh_brute_force: ten failures" "$work/pack.out"
sed 's/event.action: ssh_failed_password,$/event.action: ssh_accepted_password,/' \
  "$repo/conf/examples/security_pipeline_test.yaml" >"$work/wrong_test.yaml"
sed -i "s|^config: .*|config: $repo/conf/examples/security_pipeline.yaml|" "$work/wrong_test.yaml"
"$bin" test "$work/wrong_test.yaml" >"$work/out" 2>&1; rc=$?
check "a wrong expectation fails with exit 1" test $rc = 1
check "the failure names the event, the field and both values" \
  grep -qF "event 1, event.action: expected 'ssh_accepted_password', got 'ssh_failed_password'" "$work/out"
check "the other tests still pass" grep -q "^4 passed, 1 failed$" "$work/out"
finish
