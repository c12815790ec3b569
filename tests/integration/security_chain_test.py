#!/usr/bin/env python3
"""The real auth corpus through parse_auth -> scrub_pii -> detect with the real binary: no IPv4
address survives scrubbing, and the brute-force alerts are exactly the sources that failed often
enough within an hour of the lines' own time, as counted from the corpus text by this test's own
rule.

usage: security_chain_test.py PATH/TO/logship CORPUS_FILE
"""
import collections
import datetime
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from testlib import check, finish

BIN, CORPUS = os.path.abspath(sys.argv[1]), sys.argv[2]
THRESHOLD = 10

work = tempfile.mkdtemp(prefix="logship-chain-")
try:
    lines = [l.rstrip("\r\n") for l in open(CORPUS, encoding="utf-8", errors="replace")]
    with open(os.path.join(work, "auth.log"), "w") as f:
        f.write("\n".join(lines) + "\n")
    config = os.path.join(work, "p.yaml")
    with open(config, "w") as f:
        f.write(f"""data_dir: {work}/data
admin: {{enabled: false}}
sources:
  auth: {{type: file, include: [{work}/auth.log]}}
transforms:
  events: {{type: parse_auth, inputs: [auth]}}
  scrub: {{type: scrub_pii, inputs: [events], rules: [ipv4], action: redact,
           fields: [source.ip, source.domain]}}
  brute_force:
    type: detect
    inputs: [events]
    when: {{field: event.action, equals: pam_auth_failure}}
    group_by: [source.ip]
    threshold: {THRESHOLD}
    window: 1h
    severity: critical
outputs:
  clean: {{type: file, inputs: [scrub], path: {work}/clean.ndjson}}
  alerts: {{type: file, inputs: [brute_force], path: {work}/alerts.ndjson}}
""")
    proc = subprocess.Popen([BIN, "run", "-c", config],
                            stderr=open(os.path.join(work, "agent.log"), "w"))
    clean = os.path.join(work, "clean.ndjson")
    deadline = time.time() + 60
    while time.time() < deadline:
        if os.path.exists(clean) and sum(1 for _ in open(clean)) >= len(lines):
            break
        time.sleep(0.1)
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    check("agent exits 0", proc.wait(timeout=20) == 0)

    out = open(clean).read().splitlines()
    check("every line shipped", len(out) == len(lines), f"({len(out)} of {len(lines)})")
    ipv4 = re.compile(r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\w.])")
    leaks = [l for l in out if ipv4.search(json.loads(l)["message"]) or
             ipv4.search(json.dumps(json.loads(l).get("source", {})))]
    check("no IPv4 address survives in messages or source fields", not leaks, leaks[:2])
    redacted = sum("[REDACTED:ipv4]" in l for l in out)
    in_corpus = sum(bool(ipv4.search(l)) for l in lines)
    check("every corpus line with an address was redacted", redacted >= in_corpus,
          f"({redacted} redacted, {in_corpus} lines with addresses)")

    # The test's own rule: PAM authentication failures of sshd with an IPv4 rhost, at least
    # THRESHOLD of them within an hour of the lines' own time (windows follow event time).
    rule = re.compile(r"sshd\(pam_unix\)\[\d+\]: authentication failure;.*rhost=(\S+)")
    failures = collections.defaultdict(list)
    for l in lines:
        m = rule.search(l)
        if m and ipv4.fullmatch(m.group(1)):
            when = datetime.datetime.strptime("2001 " + l[:15], "%Y %b %d %H:%M:%S")
            failures[m.group(1)].append(when.timestamp())
    hour = 3600
    expected = {ip for ip, times in failures.items()
                if any(sum(1 for u in times if t - hour < u <= t) >= THRESHOLD for t in times)}
    alerts = [json.loads(l) for l in open(os.path.join(work, "alerts.ndjson"))] \
        if os.path.exists(os.path.join(work, "alerts.ndjson")) else []
    fired = {a["source"]["ip"] for a in alerts if a["event"].get("type") == "start"}
    check("alerts fire for exactly the sources with >= 10 failures",
          fired == expected and len(expected) > 0,
          f"fired {sorted(fired)} expected {sorted(expected)}")
    firsts = [a for a in alerts if a["event"].get("type") == "start"]
    check("each alert counts at least the threshold and names its rule",
          all(a["event"]["count"] >= THRESHOLD and a["rule"]["name"] for a in firsts), firsts[:1])
finally:
    shutil.rmtree(work, ignore_errors=True)
finish()
