#!/usr/bin/env bash
# packaging/systemd/logship.service: `systemd-analyze verify` accepts it (run against a copy whose
# commands point at the built binary, since verify checks that they exist), its hardening scores
# as "OK" offline, and the real binary speaks the Type=notify protocol the unit relies on.
source "$(dirname "$0")/../integration/lib.sh"
unit=$(cd "$(dirname "$0")/../.." && pwd)/packaging/systemd/logship.service
analyze=$(command -v systemd-analyze || true)
if [[ -z $analyze ]]; then
  no "systemd-analyze available (apt-get install systemd)"
  finish
  exit 1
fi

# The unit as installed, with /usr/bin/logship replaced by the binary under test.
sed "s|/usr/bin/logship|$bin|g" "$unit" >"$work/logship.service"
"$analyze" verify "$work/logship.service" >"$work/verify.out" 2>&1
rc=$?
check "systemd-analyze verify exits 0" test "$rc" = 0
check "systemd-analyze verify prints no warning" test ! -s "$work/verify.out"
[[ -s $work/verify.out ]] && sed 's/^/    /' "$work/verify.out"

# verify reports bad keys only as warnings: make sure this setup does show them.
sed 's/^PrivateTmp=/PrivateTmpp=/' "$work/logship.service" >"$work/broken.service"
"$analyze" verify "$work/broken.service" >"$work/broken.out" 2>&1
check "a misspelled key is reported by verify" grep -q "Unknown key 'PrivateTmpp'" "$work/broken.out"
sed "s|$bin|$work/missing-binary|g" "$work/logship.service" >"$work/nobin.service"
! "$analyze" verify "$work/nobin.service" >/dev/null 2>&1
check "a missing ExecStart binary fails verify" test $? = 0

# Exposure below 2.5 on systemd's 0-10 scale ("OK"); --offline needs no running systemd.
"$analyze" security --offline=yes --threshold=25 "$work/logship.service" >"$work/security.out" 2>&1
rc=$?
check "systemd-analyze security --offline: exposure at most 2.5" test "$rc" = 0
grep -o 'Overall exposure level.*' "$work/security.out" | sed 's/^/    /'

value() { sed -n "s/^$1=//p" "$unit" | tail -n 1; }
check "Type=notify" test "$(value Type)" = notify
check "runs as user logship" test "$(value User)" = logship
check "supplementary groups adm and systemd-journal" \
  bash -c "[[ ' $(value SupplementaryGroups) ' == *' adm '* && ' $(value SupplementaryGroups) ' == *' systemd-journal '* ]]"
check "NoNewPrivileges=yes" test "$(value NoNewPrivileges)" = yes
check "ProtectSystem=strict" test "$(value ProtectSystem)" = strict
check "ReadWritePaths is the data_dir" test "$(value ReadWritePaths)" = /var/lib/logship
check "the data_dir given to the agent is the writable one" \
  test "$(value Environment)" = LOGSHIP_DATA_DIR=/var/lib/logship
check "PrivateTmp=yes" test "$(value PrivateTmp)" = yes
check "ProtectHome=yes" test "$(value ProtectHome)" = yes
check "CapabilityBoundingSet is empty" bash -c "grep -qx 'CapabilityBoundingSet=' '$unit'"
check "WatchdogSec is set" bash -c "[[ '$(value WatchdogSec)' =~ ^[0-9]+s$ ]]"
stop=$(value TimeoutStopSec)
check "TimeoutStopSec exceeds the agent's 10s drain" bash -c "[[ '$stop' =~ ^[0-9]+s$ ]] && (( ${stop%s} > 10 ))"

# The notify protocol, as systemd would see it: a datagram socket in NOTIFY_SOCKET, a watchdog of
# 1 s (so pings every 0.5 s), then SIGHUP and SIGTERM.
python3 - "$work/notify.sock" "$work/notify.log" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(0.2)
start = time.monotonic()
with open(sys.argv[2], "w", buffering=1) as out:
    while time.monotonic() - start < 60:
        try:
            msg = s.recv(4096).decode()
        except socket.timeout:
            continue
        for line in msg.splitlines():
            out.write("%.3f %s\n" % (time.monotonic(), line))
PY
listener=$!
for _ in $(seq 50); do [[ -S $work/notify.sock ]] && break; sleep 0.1; done
seq -f "notify line %g" 1 1000 >"$work/in.log"
cat >"$work/p.yaml" <<YAML
data_dir: $work/data
admin: {enabled: false}
sources:
  in: {type: file, include: [$work/in.log]}
outputs:
  sink: {type: blackhole, inputs: [in]}
YAML
NOTIFY_SOCKET=$work/notify.sock WATCHDOG_USEC=1000000 "$bin" run -c "$work/p.yaml" \
  2>"$work/agent.log" &
pid=$!
pids+=($pid)
has() { grep -q " $1\$" "$work/notify.log" 2>/dev/null; }
for _ in $(seq 100); do has READY=1 && break; sleep 0.1; done
check "READY=1 sent once running" has READY=1
sleep 2.5
check "watchdog pings at about half of WATCHDOG_USEC" python3 - "$work/notify.log" <<'PY'
import sys
t = [float(l.split()[0]) for l in open(sys.argv[1]) if l.split()[1] == "WATCHDOG=1"]
gaps = [b - a for a, b in zip(t, t[1:])]
print("    %d pings, gaps %s" % (len(t), " ".join("%.2f" % g for g in gaps)))
# Not faster than half the interval; never late enough for systemd to kill the service.
sys.exit(0 if len(t) >= 3 and min(gaps) >= 0.45 and max(gaps) < 1.0 else 1)
PY
kill -HUP "$pid"
sleep 1
if grep -q 'RELOADING=1' "$work/notify.log"; then
  check "after RELOADING=1 comes READY=1" python3 - "$work/notify.log" <<'PY'
import sys
lines = [l.split()[1] for l in open(sys.argv[1])]
r = lines.index("RELOADING=1")
sys.exit(0 if "READY=1" in lines[r + 1:] else 1)
PY
else
  no "RELOADING=1 then READY=1 on SIGHUP"
fi
check "still running after SIGHUP" kill -0 "$pid"
kill -TERM "$pid"
if wait_exit "$pid" 15; then check "exit 0 after SIGTERM" test "$exit_code" = 0; else no "stops within 15 s"; fi
check "STOPPING=1 sent on SIGTERM" has STOPPING=1
kill "$listener" 2>/dev/null
wait "$listener" 2>/dev/null
echo "$pass passed, $fail failed, $skipped skipped"
((fail == 0))
