#!/usr/bin/python3
"""The presets of conf/presets, included from a pipeline file as the README shows, validated and
run on real-format input:
  cere-node.yaml: a node's journal (written with systemd-journal-remote) parsed, the node metrics
  on /metrics, the node-health rules alerting.

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
finally:
    if agent and agent.poll() is None:
        agent.kill()
        agent.wait()
    if os.environ.get("KEEP_WORK") != "1":
        shutil.rmtree(work, ignore_errors=True)
finish()
