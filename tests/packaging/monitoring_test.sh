#!/usr/bin/env bash
# packaging/prometheus and packaging/grafana: the alert rules pass `promtool check rules` and their
# unit tests (`promtool test rules`); every dashboard query parses as PromQL and names only
# metrics that the code or the shipped log_to_metric example defines; the example validates as
# far as the component types it needs exist in this build.
source "$(dirname "$0")/../integration/lib.sh"
repo=$(cd "$(dirname "$0")/../.." && pwd)
here=$repo/tests/packaging
promtool=$(command -v promtool || true)
if [[ -z $promtool ]]; then
  no "promtool available (apt-get install prometheus)"
  finish
  exit 1
fi
py=python3
[[ -x /usr/bin/python3 ]] && py=/usr/bin/python3

prom=$repo/packaging/prometheus
for rules in "$prom"/*-rules.yaml; do
  check "promtool check rules $(basename "$rules")" bash -c "'$promtool' check rules '$rules' >'$work/check.out' 2>&1"
done
for t in "$prom"/*_test.yaml; do
  (cd "$prom" && "$promtool" test rules "$(basename "$t")") >"$work/test.out" 2>&1
  rc=$?
  check "promtool test rules $(basename "$t")" test "$rc" = 0
  ((rc == 0)) || sed 's/^/    /' "$work/test.out" | head -30
done
check "every alert has a unit test" "$py" - "$prom" <<'PY'
import glob, os, sys, yaml
prom = sys.argv[1]
alerts = {r["alert"] for f in glob.glob(os.path.join(prom, "*-rules.yaml"))
          for g in yaml.safe_load(open(f))["groups"] for r in g["rules"] if "alert" in r}
tested = {a["alertname"] for f in glob.glob(os.path.join(prom, "*_test.yaml"))
          for t in yaml.safe_load(open(f))["tests"] for a in t.get("alert_rule_test", [])
          if a.get("exp_alerts")}
print("    %d alerts, untested: %s" % (len(alerts), sorted(alerts - tested) or "none"))
sys.exit(0 if alerts and alerts <= tested else 1)
PY
# The unit tests bind the thresholds: raising one makes its test fail.
cp -r "$prom" "$work/prom-mutant"
sed -i 's/\[5m\])) > 20$/[5m])) > 100/' "$work/prom-mutant/security-rules.yaml"
! (cd "$work/prom-mutant" && "$promtool" test rules security-rules_test.yaml >/dev/null 2>&1)
check "a changed SSH brute-force threshold fails its unit test" test $? = 0

"$py" "$here/check_dashboards.py" "$repo" "$work" >"$work/dash.out" 2>&1
rc=$?
cat "$work/dash.out"
pass=$((pass + $(grep -c '^ok ' "$work/dash.out")))
fail=$((fail + $(grep -c '^FAIL ' "$work/dash.out")))
check "dashboard checks completed" test "$rc" = 0
check "every dashboard query parses as PromQL (promtool)" \
  bash -c "'$promtool' check rules '$work/dashboard-exprs.yaml' >'$work/exprs.out' 2>&1"
grep -o 'SUCCESS: .*' "$work/exprs.out" | sed 's/^/    /'

# The name check catches a misspelt metric.
mkdir -p "$work/mutant"
for d in agent pipelines outputs parsers; do ln -s "$repo/$d" "$work/mutant/$d"; done
cp -r "$repo/packaging" "$work/mutant/packaging"
sed -i 's/logship_output_queue_bytes/logship_output_queue_byte/' "$work/mutant/packaging/grafana/logship-agent.json"
mkdir -p "$work/mutant-out"
! "$py" "$here/check_dashboards.py" "$work/mutant" "$work/mutant-out" >/dev/null 2>&1
check "a misspelt metric in a dashboard is caught" test $? = 0

# The log_to_metric example: valid once log_to_metric, detect, tag_severity and webhook exist.
"$bin" validate -c "$repo/packaging/examples/security-metrics.yaml" >"$work/validate.out" 2>&1
rc=$?
if ((rc == 0)); then
  ok "examples/security-metrics.yaml validates"
else
  no "examples/security-metrics.yaml validates"
  sed 's/^/    /' "$work/validate.out"
fi
echo "$pass passed, $fail failed, $skipped skipped"
((fail == 0))
