#!/usr/bin/python3
"""The presets of conf/presets, included from a pipeline file as the README shows, validated and
run on real-format input:
  cere-node.yaml: a node's journal (written with systemd-journal-remote) parsed, the node metrics
  on /metrics, the node-health rules alerting.
  host-security.yaml: auth, audit, firewall, fail2ban and dpkg logs and watched configuration
  files of a host tree, parsed into one stream, the SSH rules alerting, a file change reported.

usage: presets_test.py PATH/TO/logship REPO_DIR
"""
import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

from testlib import check, finish, free_port, http, missing, wait_until

BIN = os.path.abspath(sys.argv[1])
PRESETS = os.path.join(os.path.abspath(sys.argv[2]), "conf", "presets")
JOURNAL_REMOTE = "/lib/systemd/systemd-journal-remote"


def write_journal(path, entries):
    """Journal entries (unit, identifier, message), one second apart, in a journal file."""
    export = ""
    for i, (unit, ident, message) in enumerate(entries):
        export += (f"__REALTIME_TIMESTAMP={1733500000000000 + i * 1000000}\n"
                   f"__MONOTONIC_TIMESTAMP={i}\n_BOOT_ID=0123456789abcdef0123456789abcdef\n"
                   f"MESSAGE={message}\nSYSLOG_IDENTIFIER={ident}\n_PID={4000 + i}\n"
                   f"_HOSTNAME=validator-1\nPRIORITY=6\n_SYSTEMD_UNIT={unit}\n\n")
    subprocess.run([JOURNAL_REMOTE, f"--output={path}", "-"], input=export.encode(), check=True,
                   capture_output=True)


def metric_values(port, name):
    status, body = http("GET", f"http://127.0.0.1:{port}/metrics")
    out = {}
    for line in body.decode().splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            key, value = line.rsplit(" ", 1)
            out[key] = float(value)
    return out


def ndjson(path):
    return [json.loads(l) for l in open(path)] if os.path.exists(path) else []


work = tempfile.mkdtemp(prefix="logship-presets-")
agent = None
try:
    if not os.access(JOURNAL_REMOTE, os.X_OK):
        print(missing("systemd-journal-remote (apt-get install systemd-journal-remote)"))
        sys.exit(0)
    jdir = os.path.join(work, "journal")
    os.makedirs(jdir)
    node = "cere-validator.service"
    # The node's informant every 5 s: peers falling to 2 (three lines in a row fire
    # node_peers_low), blocks imported, then a peer banned and an equivocation.
    start = datetime.datetime(2024, 12, 6, 15, 46, 40)

    def at(seconds):
        return (start + datetime.timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S")

    lines = []
    for i in range(6):
        peers = 8 if i < 3 else 2
        lines.append(f"{at(i * 5)} [Relaychain] 💤 Idle ({peers} peers), best: #{4200 + i} "
                     f"(0x1234…abcd), finalized #{4198 + i} (0x5678…ef01), ⬇ 1.2kiB/s ⬆ 0.9kiB/s")
        lines.append(f"{at(i * 5 + 1)} [Relaychain] 🏆 Imported #{4201 + i} (0x1234…abcd → 0x9a1c…77d4)")
    lines.append(f"{at(32)} [Relaychain] Report 12D3KooWSCufgHzV4fCwRijfH2k3abrpAJxTKxEvN1FDuRXA2U9x: "
                 "-2147483648 to -2147483643. Reason: Same block request multiple times. Banned, disconnecting.")
    entries = [(node, "cere", l) for l in lines] + [("cron.service", "CRON", "(root) CMD (run-parts /etc/cron.hourly)")]
    write_journal(os.path.join(jdir, "node.journal"), entries)

    port = free_port()
    config = os.path.join(work, "p.yaml")
    with open(config, "w") as f:
        f.write(f"""data_dir: {work}/data
admin: {{address: "127.0.0.1:{port}"}}
include: [{PRESETS}/cere-node.yaml]
outputs:
  events: {{type: file, inputs: [cere_node], path: {work}/node.ndjson}}
  alerts: {{type: file, inputs: ["node_*"], path: {work}/alerts.ndjson}}
""")
    env = dict(os.environ, CERE_NODE_UNIT=node, CERE_NODE_JOURNAL_DIR=jdir, CERE_NODE_START_AT="beginning")
    v = subprocess.run([BIN, "validate", "-c", config], env=env, capture_output=True, text=True)
    check("a pipeline including cere-node.yaml validates", v.returncode == 0, v.stdout + v.stderr)
    agent = subprocess.Popen([BIN, "run", "-c", config], env=env,
                             stderr=open(os.path.join(work, "agent.log"), "w"))
    events_path = os.path.join(work, "node.ndjson")
    check("every line of the node's unit is shipped, no other unit's",
          wait_until(lambda: len(ndjson(events_path)) >= len(lines), 30) and
          [e["message"] for e in ndjson(events_path)] == lines, len(ndjson(events_path)))
    events = ndjson(events_path)
    actions = [e.get("event", {}).get("action") for e in events]
    check("parsed by parse_substrate",
          actions.count("idle") == 6 and actions.count("block_imported") == 6 and actions[-1] == "peer_banned",
          actions)
    check("the node metrics: peers, best and finalized block, from the last informant line",
          wait_until(lambda: metric_values(port, "cere_network_peer_count") ==
                     {'cere_network_peer_count{chain="Relaychain"}': 2.0}, 10) and
          metric_values(port, "cere_best_block") == {'cere_best_block{chain="Relaychain"}': 4205.0} and
          metric_values(port, "cere_finalized_block") == {'cere_finalized_block{chain="Relaychain"}': 4203.0},
          (metric_values(port, "cere_network_peer_count"), metric_values(port, "cere_best_block")))
    check("a banned peer is counted as a malicious peer attempt",
          metric_values(port, "cere_malicious_peer_attempts_total") ==
          {'cere_malicious_peer_attempts_total{type="peer_banned"}': 1.0},
          metric_values(port, "cere_malicious_peer_attempts_total"))
    alerts_path = os.path.join(work, "alerts.ndjson")
    wait_until(lambda: ndjson(alerts_path), 10)
    rules = {a.get("rule", {}).get("name") for a in ndjson(alerts_path)}
    check("the node-health rules alert: three informant lines with 2 peers", "node_peers_low" in rules, rules)
    agent.send_signal(signal.SIGTERM)
    check("the agent exits 0", agent.wait(timeout=30) == 0)
    agent = None

    # host-security.yaml on a host tree: /var/log and /etc of their own.
    logs, etc = os.path.join(work, "host", "log"), os.path.join(work, "host", "etc")
    for d in ("audit", ):
        os.makedirs(os.path.join(logs, d))
    for d in ("ssh", "sudoers.d", "pam.d"):
        os.makedirs(os.path.join(etc, d))
    with open(os.path.join(etc, "ssh", "sshd_config"), "w") as f:
        f.write("PermitRootLogin no\n")
    with open(os.path.join(etc, "passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/bash\n")
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    stamp = lambda s: (now + datetime.timedelta(seconds=s)).strftime("%b %e %H:%M:%S")
    auth = [f"{stamp(i)} web1 sshd[{900 + i}]: Failed password for root from 203.0.113.9 port {40000 + i} ssh2"
            for i in range(12)]
    with open(os.path.join(logs, "auth.log"), "w") as f:
        f.write("\n".join(auth) + "\n")
    audit = [
        'type=SYSCALL msg=audit(1700000000.123:4567): arch=c000003e syscall=59 success=yes exit=0 '
        'a0=55d0c1e0 a1=55d0c200 a2=55d0c220 a3=8 items=1 ppid=1201 pid=1302 auid=1000 uid=0 gid=0 '
        'euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm="ls" exe="/usr/bin/ls" '
        'subj=unconfined key="exec"',
        'type=EXECVE msg=audit(1700000000.123:4567): argc=2 a0="ls" a1="-la"',
        'type=CWD msg=audit(1700000000.123:4567): cwd="/root"',
        'type=PROCTITLE msg=audit(1700000000.123:4567): proctitle=6C73002D6C61',
        'type=EOE msg=audit(1700000000.123:4567): ',
    ]
    with open(os.path.join(logs, "audit", "audit.log"), "w") as f:
        f.write("\n".join(audit) + "\n")
    with open(os.path.join(logs, "ufw.log"), "w") as f:
        f.write("Nov 22 10:00:01 web1 kernel: [ 99.000001] [UFW BLOCK] IN=eth0 OUT= "
                "MAC=00:16:3e:5a:1b:2c:00:16:3e:00:00:01:08:00 SRC=198.51.100.4 DST=10.0.0.5 LEN=40 "
                "TOS=0x00 PREC=0x00 TTL=241 ID=54321 PROTO=TCP SPT=4444 DPT=22 WINDOW=1024 RES=0x00 SYN URGP=0\n")
    with open(os.path.join(logs, "fail2ban.log"), "w") as f:
        f.write("2026-11-22 10:00:00,123 fail2ban.actions        [1234]: NOTICE  [sshd] Ban 203.0.113.9\n")
    with open(os.path.join(logs, "dpkg.log"), "w") as f:
        f.write("2026-11-22 10:00:00 install netcat-openbsd:amd64 <none> 1.219-1\n")
    host_config = os.path.join(work, "host.yaml")
    with open(host_config, "w") as f:
        f.write(f"""data_dir: {work}/host-data
admin: {{enabled: false}}
include: [{PRESETS}/host-security.yaml]
outputs:
  events: {{type: file, inputs: [host_security], path: {work}/host.ndjson}}
  alerts: {{type: file, inputs: ["ssh_*", "sudo_*", "account_*", "audit_*"], path: {work}/host-alerts.ndjson}}
""")
    env = dict(os.environ, HOST_LOG_DIR=logs, HOST_ETC_DIR=etc, HOST_SECURITY_START_AT="beginning")
    v = subprocess.run([BIN, "validate", "-c", host_config], env=env, capture_output=True, text=True)
    check("a pipeline including host-security.yaml validates", v.returncode == 0, v.stdout + v.stderr)
    agent = subprocess.Popen([BIN, "run", "-c", host_config], env=env,
                             stderr=open(os.path.join(work, "host-agent.log"), "w"))
    host_events = os.path.join(work, "host.ndjson")
    want = {"ssh_failed_password", "firewall_block", "ip_banned", "package_installed"}
    actions = lambda: {e.get("event", {}).get("action") for e in ndjson(host_events)}
    check("auth, firewall, fail2ban and dpkg lines parsed into host_security",
          wait_until(lambda: want <= actions(), 30), actions())
    audit_events = lambda: [e for e in ndjson(host_events) if "auditd" in e]
    check("the audit records joined into one event",
          wait_until(lambda: len(audit_events()) == 1, 15) and
          audit_events()[0]["process"]["executable"] == "/usr/bin/ls" and
          audit_events()[0]["auditd"]["sequence"] == 4567, audit_events())
    wait_until(lambda: os.path.exists(os.path.join(work, "host-data", "file_integrity")), 10)
    with open(os.path.join(etc, "ssh", "sshd_config"), "a") as f:
        f.write("PermitRootLogin yes\n")
    changed = lambda: [e for e in ndjson(host_events) if e.get("event", {}).get("action") == "file_modified"]
    check("a watched configuration file's change is reported",
          wait_until(lambda: changed(), 20) and changed()[0]["file"]["path"].endswith("ssh/sshd_config"),
          changed())
    host_alerts = os.path.join(work, "host-alerts.ndjson")
    check("the SSH rules alert on the brute force",
          wait_until(lambda: "ssh_brute_force" in {a.get("rule", {}).get("name") for a in ndjson(host_alerts)}, 15),
          [a.get("rule") for a in ndjson(host_alerts)])
    agent.send_signal(signal.SIGTERM)
    check("the host-security agent exits 0", agent.wait(timeout=30) == 0)
    agent = None
finally:
    if agent and agent.poll() is None:
        agent.kill()
        agent.wait()
    if os.environ.get("KEEP_WORK") != "1":
        shutil.rmtree(work, ignore_errors=True)
finish()
