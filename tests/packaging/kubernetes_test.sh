#!/usr/bin/env bash
# packaging/kubernetes: every manifest is valid against the Kubernetes API types (strictly, with
# the official Python client's generated models, see k8s_validate.py); the DaemonSet wires up
# what the agent needs; the ConfigMap's pipeline validates and, with its paths moved under a
# temporary directory, ships CRI pod logs with pod metadata and the node name. Also checks the
# Dockerfile's structure (no image can be built here: no container daemon, no registry).
source "$(dirname "$0")/../integration/lib.sh"
repo=$(cd "$(dirname "$0")/../.." && pwd)
here=$repo/tests/packaging
k8s=$repo/packaging/kubernetes
py=/usr/bin/python3
if ! "$py" -c 'import kubernetes.client, yaml' 2>/dev/null; then
  no "Kubernetes API models available (apt-get install python3-kubernetes)"
  finish
  exit 1
fi

# The Secret the DaemonSet's comment has the operator create (kubectl create secret generic
# logship-admin --from-literal=token=...), as kubectl writes it.
cat >"$work/secret.yaml" <<'YAML'
apiVersion: v1
kind: Secret
metadata:
  name: logship-admin
  namespace: logship
type: Opaque
data:
  token: MGYxZTJkM2M0YjVhNjk3ODg3NjU0MzIxMGZlZGNiYTk=
YAML
"$py" "$here/k8s_validate.py" "$k8s"/*.yaml "$work/secret.yaml" >"$work/validate.out" 2>&1
rc=$?
sed 's/^/    /' "$work/validate.out"
check "every manifest, and the admin token's Secret, is valid against the Kubernetes API types" \
  test "$rc" = 0

# The validator is strict: each of these mistakes must be reported.
mutant() {  # mutant DESCRIPTION SED-EXPRESSION EXPECTED-MESSAGE
  sed "$2" "$k8s/daemonset.yaml" >"$work/mutant.yaml"
  "$py" "$here/k8s_validate.py" "$work/mutant.yaml" >"$work/mutant.out" 2>&1
  check "validator rejects $1" grep -q "$3" "$work/mutant.out"
}
mutant "a misspelt field" 's/readinessProbe:/readinesProbe:/' "unknown field 'readinesProbe'"
mutant "a string where an integer goes" 's/containerPort: 9555/containerPort: "9555"/' 'is not an integer'
mutant "a container without a name" 's/^        - name: logship$/        - stdin: false/' 'name.*must not be .None.'

WORK=$work "$py" - "$k8s" "$work/secret.yaml" >"$work/wiring.out" 2>&1 <<'PY'
import glob, os, sys, yaml
docs = [d for f in sorted(glob.glob(os.path.join(sys.argv[1], "*.yaml"))) + [sys.argv[2]]
        for d in yaml.safe_load_all(open(f)) if d]
by_kind = {d["kind"]: d for d in docs}
def check(what, ok):
    print(("ok   - " if ok else "FAIL - ") + what)
ds, cm, sa, ns = by_kind.get("DaemonSet"), by_kind.get("ConfigMap"), by_kind.get("ServiceAccount"), by_kind.get("Namespace")
check("a DaemonSet, ConfigMap, ServiceAccount and Namespace", all((ds, cm, sa, ns)))
spec = ds["spec"]["template"]["spec"]
c = spec["containers"][0]
check("all in the namespace " + ns["metadata"]["name"],
      all(d["metadata"].get("namespace") == ns["metadata"]["name"] for d in (ds, cm, sa)))
check("selector matches the pod labels",
      ds["spec"]["selector"]["matchLabels"].items() <= ds["spec"]["template"]["metadata"]["labels"].items())
check("runs under the ServiceAccount, no API token", spec["serviceAccountName"] == sa["metadata"]["name"]
      and spec.get("automountServiceAccountToken") is False and sa.get("automountServiceAccountToken") is False)
check("tolerates every taint", {"operator": "Exists"} in spec.get("tolerations", []))
vols = {v["name"]: v for v in spec["volumes"]}
mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
def host(path):
    m = mounts.get(path)
    return m and vols[m["name"]].get("hostPath", {}).get("path") == path and m
check("/var/log from the host, read-only", bool(host("/var/log")) and host("/var/log").get("readOnly") is True)
check("/var/log/pods from the host, read-only", bool(host("/var/log/pods")) and host("/var/log/pods").get("readOnly") is True)
check("/var/lib/logship from the host, writable (checkpoints)", bool(host("/var/lib/logship"))
      and not host("/var/lib/logship").get("readOnly"))
cfg = mounts.get("/etc/logship")
check("the ConfigMap mounted at /etc/logship", cfg is not None and vols[cfg["name"]].get("configMap", {}).get("name") == cm["metadata"]["name"])
check("args run the mounted logship.yaml", c.get("args") == ["run", "-c", "/etc/logship/logship.yaml"] and "logship.yaml" in cm["data"])
env = {e["name"]: e for e in c.get("env", [])}
check("LOGSHIP_HOST_NAME from spec.nodeName",
      env.get("LOGSHIP_HOST_NAME", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == "spec.nodeName")
check("LOGSHIP_DATA_DIR is the hostPath", env.get("LOGSHIP_DATA_DIR", {}).get("value") == "/var/lib/logship")
addr = env.get("LOGSHIP_ADMIN_ADDRESS", {}).get("value", "")
port = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
check("admin on 0.0.0.0 at the container port named admin", addr == "0.0.0.0:%s" % port.get("admin"))
for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
    g = c.get(probe, {}).get("httpGet", {})
    check("%s GET %s on the admin port" % (probe, path), g.get("path") == path and g.get("port") in ("admin", port.get("admin")))
r = c.get("resources", {})
check("CPU and memory requests and limits", all(k in r.get(s, {}) for s in ("requests", "limits") for k in ("cpu", "memory")))
sc = c.get("securityContext", {})
check("no privilege escalation, read-only root, capabilities: drop ALL, add only DAC_READ_SEARCH",
      sc.get("allowPrivilegeEscalation") is False and sc.get("readOnlyRootFilesystem") is True
      and sc.get("capabilities") == {"drop": ["ALL"], "add": ["DAC_READ_SEARCH"]} and not sc.get("privileged"))
check("grace period above the 10 s drain", spec.get("terminationGracePeriodSeconds", 30) > 10)
pipeline = yaml.safe_load(cm["data"]["logship.yaml"])
secret = by_kind.get("Secret")
token_file = env.get("LOGSHIP_ADMIN_TOKEN_FILE", {}).get("value", "")
tm = mounts.get(os.path.dirname(token_file))
check("the admin token from the Secret logship-admin, mounted read-only where LOGSHIP_ADMIN_TOKEN_FILE points",
      tm is not None and tm.get("readOnly") is True
      and vols[tm["name"]].get("secret", {}).get("secretName") == secret["metadata"]["name"]
      and os.path.basename(token_file) in secret["data"])
check("the pipeline's admin.auth.token_file is LOGSHIP_ADMIN_TOKEN_FILE",
      "${LOGSHIP_ADMIN_TOKEN_FILE" in pipeline.get("admin", {}).get("auth", {}).get("token_file", ""))
check("no token ships in the manifests", not any(d["kind"] == "Secret" for d in docs if d is not secret))
cri = [s for s in pipeline["sources"].values() if s.get("format") == "cri"]
check("a CRI file source on /var/log/pods/*/*/*.log", len(cri) == 1 and cri[0]["type"] == "file"
      and cri[0]["include"] == ["/var/log/pods/*/*/*.log"])
open(os.path.join(os.environ.get("WORK", "."), "pipeline.yaml"), "w").write(cm["data"]["logship.yaml"])
PY
wiring_rc=$?
cat "$work/wiring.out"
pass=$((pass + $(grep -c '^ok ' "$work/wiring.out")))
fail=$((fail + $(grep -c '^FAIL ' "$work/wiring.out")))
check "DaemonSet wiring checks completed" test "$wiring_rc" = 0

# The ConfigMap's pipeline, as the pod would run it.
echo 0f1e2d3c4b5a6978876543210fedcba9 >"$work/token"
LOGSHIP_ADMIN_ADDRESS=0.0.0.0:9555 LOGSHIP_DATA_DIR=$work/data LOGSHIP_ADMIN_TOKEN_FILE=$work/token \
  "$bin" validate -c "$work/pipeline.yaml" >"$work/cm-validate.out" 2>&1
rc=$?
check "the ConfigMap's pipeline validates" test "$rc" = 0
((rc == 0)) || sed 's/^/    /' "$work/cm-validate.out"

# And runs: the node's /var/log moved under $work, the node name from LOGSHIP_HOST_NAME, the
# admin server where the probes look.
sed "s|/var/log/|$work/var/log/|g" "$work/pipeline.yaml" >"$work/local.yaml"
pods=$work/var/log/pods
mkdir -p "$pods/shop_web-0_0b1c/web" "$pods/logship_logship-x7k2p_9f8e/logship" "$work/var/log"
{
  echo '2024-05-01T10:00:00.000000001Z stdout F {"msg":"order placed","id":1}'
  echo '2024-05-01T10:00:00.000000002Z stderr P first half, '
  echo '2024-05-01T10:00:00.000000003Z stderr F second half'
} >"$pods/shop_web-0_0b1c/web/0.log"
echo '2024-05-01T10:00:00.000000004Z stdout F agent talking to itself' \
  >"$pods/logship_logship-x7k2p_9f8e/logship/0.log"
echo 'May  1 10:00:00 node-a sshd[1]: Accepted publickey for ops from 10.0.0.1 port 22 ssh2' \
  >"$work/var/log/auth.log"
port=$(free_port)
LOGSHIP_ADMIN_ADDRESS=127.0.0.1:$port LOGSHIP_DATA_DIR=$work/data LOGSHIP_HOST_NAME=node-a \
  LOGSHIP_ADMIN_TOKEN_FILE=$work/token "$bin" run -c "$work/local.yaml" >"$work/stdout.ndjson" \
  2>"$work/agent.log" &
pid=$!
pids+=($pid)
wait_for "$work/stdout.ndjson" 3 30
status_of() {  # PATH [TOKEN]: the HTTP status the admin server answers
  python3 -c 'import sys,urllib.request,urllib.error
req = urllib.request.Request("http://127.0.0.1:%s%s" % (sys.argv[1], sys.argv[2]))
if len(sys.argv) > 3:
    req.add_header("Authorization", "Bearer " + sys.argv[3])
try:
    print(urllib.request.urlopen(req, timeout=5).status)
except urllib.error.HTTPError as e:
    print(e.code)
except Exception:
    print(0)' "$port" "$@"; }
check "liveness path /healthz answers 200 without a token" test "$(status_of /healthz)" = 200
check "readiness path /readyz answers 200 without a token" test "$(status_of /readyz)" = 200
check "Prometheus scrapes /metrics without a token" test "$(status_of /metrics)" = 200
check "/status without the Secret's token: 401" test "$(status_of /status)" = 401
check "/status with the Secret's token: 200" \
  test "$(status_of /status 0f1e2d3c4b5a6978876543210fedcba9)" = 200
kill -TERM "$pid"
wait_exit "$pid" 15 || no "stops within 15 s"
"$py" - "$work/stdout.ndjson" >"$work/events.out" 2>&1 <<'PY'
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def check(what, ok):
    print(("ok   - " if ok else "FAIL - ") + what)
pod = [e for e in events if e.get("kubernetes", {}).get("pod", {}).get("name") == "web-0"]
check("pod lines shipped (%d events in all)" % len(events), len(pod) == 2)
check("partial CRI lines joined", any(e["message"] == "first half, second half" for e in pod))
check("namespace, pod and container from the path",
      bool(pod) and all(e["kubernetes"]["namespace"] == "shop" and e["kubernetes"]["container"]["name"] == "web" for e in pod))
check("host.name is the node name", bool(events) and all(e.get("host", {}).get("name") == "node-a" for e in events))
check("the agent's own pod log is not shipped", not any("talking to itself" in e["message"] for e in events))
check("the node's auth.log is shipped", any("Accepted publickey" in e["message"] for e in events))
PY
events_rc=$?
cat "$work/events.out"
pass=$((pass + $(grep -c '^ok ' "$work/events.out")))
fail=$((fail + $(grep -c '^FAIL ' "$work/events.out")))
check "event checks completed" test "$events_rc" = 0

# The Dockerfile: multi-stage, Debian 12 on both sides, an unprivileged numeric user at the end.
df=$repo/packaging/docker/Dockerfile
froms=$(grep -cE '^FROM ' "$df")
check "Dockerfile is multi-stage" test "$froms" -ge 2
check "every stage is Debian 12" \
  bash -c "! grep -E '^FROM ' '$df' | grep -vqE '^FROM debian:(12|bookworm)(-slim)?( AS [a-z]+)?$'"
check "the final stage installs the package built in the first" grep -qE '^COPY --from=build ' "$df"
user=$(grep -E '^USER ' "$df" | tail -n 1 | awk '{print $2}')
check "runs as a numeric non-root user ($user)" bash -c "[[ '$user' =~ ^[1-9][0-9]*(:[1-9][0-9]*)?$ ]]"
check "entrypoint is /usr/bin/logship" grep -qxF 'ENTRYPOINT ["/usr/bin/logship"]' "$df"
if apt-cache show cmake >/dev/null 2>&1; then
  # The build stage's package list, between "install -y --no-install-recommends" and "&& rm".
  packages=$(sed -n '/^FROM debian:12 AS build/,/rm -rf/p' "$df" | sed -n '/apt-get install/,/rm -rf/p' |
    tr ' \\' '\n\n' | grep -E '^[a-z0-9][a-z0-9.+-]+$' | grep -vxE 'apt-get|install|rm')
  found=$(apt-cache show --no-all-versions $packages 2>/dev/null | sed -n 's/^Package: //p' | sort -u)
  missing=$(comm -23 <(tr ' ' '\n' <<<"$packages" | sort -u) <(echo "$found"))
  check "the build stage's $(wc -w <<<"$packages") packages all exist in Debian" test -z "$missing"
  [[ -n $missing ]] && echo "    missing: $missing"
fi
finish
