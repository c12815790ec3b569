#!/usr/bin/env python3
"""The file_integrity source with the real binary: what changes in watched files is reported
once, with SHA-256 before and after as hashlib computes them; changes made while the agent was
down are reported at its next start; and a change whose event was never delivered (the agent
killed while its output was unreachable) is reported again, not lost.

usage: file_integrity_test.py PATH/TO/logship
"""
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from testlib import check, finish, ndjson_records, wait_until

BIN = os.path.abspath(sys.argv[1])


def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


work = tempfile.mkdtemp(prefix="logship-fim-")
etc = os.path.join(work, "etc")
os.makedirs(os.path.join(etc, "ssh"))
os.makedirs(os.path.join(etc, "sudoers.d"))
sshd = os.path.join(etc, "ssh", "sshd_config")
with open(sshd, "w") as f:
    f.write("PermitRootLogin no\n")
with open(os.path.join(etc, "sudoers"), "w") as f:
    f.write("root ALL=(ALL) ALL\n")
out = os.path.join(work, "out.ndjson")


def config(output):
    path = os.path.join(work, "p.yaml")
    with open(path, "w") as f:
        f.write(f"""data_dir: {work}/data
admin: {{enabled: false}}
sources:
  fim:
    type: file_integrity
    paths: [{etc}/ssh, "{etc}/sudoers*"]
    exclude: ["*.swp"]
    rescan_interval: 1h
outputs:
{output}
""")
    return path


FILE_OUTPUT = f"  out: {{type: file, inputs: [fim], path: {out}}}"


def start(output=FILE_OUTPUT):
    p = subprocess.Popen([BIN, "run", "-c", config(output)],
                         stderr=open(os.path.join(work, "agent.log"), "a"))
    # The baseline is written once the first scan is done.
    wait_until(lambda: os.path.exists(os.path.join(work, "data", "file_integrity", "fim.json")), 10)
    time.sleep(0.3)
    return p


def stop(p):
    p.send_signal(signal.SIGTERM)
    return p.wait(timeout=20)


def events():
    return ndjson_records(out)


def wait_events(n):
    return wait_until(lambda: len(events()) >= n and events(), 10) or events()


try:
    agent = start()
    time.sleep(0.5)
    check("the first start records a baseline and reports nothing", events() == [])

    before = sha(sshd)
    with open(sshd, "a") as f:
        f.write("PermitRootLogin yes\n")
    got = wait_events(1)
    e = got[0] if got else {}
    check("a content change is file_modified", e.get("event", {}).get("action") == "file_modified",
          got)
    check("with the path and SHA-256 after, as hashlib has it",
          e.get("file", {}).get("path") == sshd and
          e.get("file", {}).get("hash", {}).get("sha256") == sha(sshd), e)
    check("and the SHA-256 before", e.get("file_integrity", {}).get("previous", {})
          .get("hash", {}).get("sha256") == before, e)

    os.chmod(sshd, 0o600)
    got = wait_events(2)
    e = got[1] if len(got) > 1 else {}
    check("a mode change alone is file_attributes_changed",
          e.get("event", {}).get("action") == "file_attributes_changed", got[1:])
    check("with the mode after and before",
          e.get("file", {}).get("mode") == "0600" and
          e.get("file_integrity", {}).get("previous", {}).get("mode") == "0644", e)

    grant = os.path.join(etc, "sudoers.d", "backdoor")
    with open(grant, "w") as f:
        f.write("mallory ALL=(ALL) NOPASSWD: ALL\n")
    with open(os.path.join(etc, "sudoers.d", ".backdoor.swp"), "w") as f:
        f.write("editor swap file\n")
    got = wait_events(3)
    created = [x for x in got if x["event"]["action"] == "file_created"]
    check("a file in a directory matched by a pattern is file_created",
          [x["file"]["path"] for x in created] == [grant], got[2:])
    check("its hash is there", created and created[0]["file"]["hash"]["sha256"] == sha(grant))
    time.sleep(0.5)
    check("an excluded file is not reported", all(".swp" not in x["file"]["path"] for x in events()))

    grant_hash = sha(grant)
    os.remove(grant)
    got = wait_events(4)
    e = got[3] if len(got) > 3 else {}
    check("a deletion is file_deleted with the hash it had",
          e.get("event", {}).get("action") == "file_deleted" and
          e.get("file_integrity", {}).get("previous", {}).get("hash", {}).get("sha256") == grant_hash,
          got[3:])
    time.sleep(0.5)
    check("each change is reported once", len(events()) == 4, len(events()))
    check("the agent exits 0", stop(agent) == 0)

    # Changed while the agent was down: reported at the next start.
    with open(os.path.join(etc, "sudoers"), "a") as f:
        f.write("mallory ALL=(ALL) ALL\n")
    agent = start()
    got = wait_events(5)
    e = got[4] if len(got) > 4 else {}
    check("a change made while the agent was down is reported at start",
          e.get("event", {}).get("action") == "file_modified" and
          e.get("file", {}).get("path") == os.path.join(etc, "sudoers"), got[4:])
    check("the agent exits 0 again", stop(agent) == 0)

    # Never delivered: the output cannot be reached, the agent is killed; the change comes back.
    unreachable = ("  out: {type: loki, inputs: [fim], endpoint: \"http://127.0.0.1:9\", "
                   "retry: {max_attempts: 0}}")
    agent = start(unreachable)
    with open(sshd, "a") as f:
        f.write("X11Forwarding yes\n")
    time.sleep(1.5)
    agent.send_signal(signal.SIGKILL)
    agent.wait()
    agent = start()
    got = wait_events(6)
    e = got[5] if len(got) > 5 else {}
    check("an undelivered change is reported after the restart",
          e.get("event", {}).get("action") == "file_modified" and
          e.get("file", {}).get("hash", {}).get("sha256") == sha(sshd), got[5:])
    stop(agent)
finally:
    shutil.rmtree(work, ignore_errors=True)
finish()
