#!/usr/bin/env python3
"""Hot reload with the real binary: SIGHUP and POST /reload while lines are being written. A
valid new configuration takes over without losing or repeating a line; an invalid one is refused
and the running pipeline goes on.

usage: reload_test.py PATH/TO/logship
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

BIN = os.path.abspath(sys.argv[1])
passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    passed += bool(cond)
    failed += not cond
    print(f"{'ok  ' if cond else 'FAIL'} - {name} {'' if cond else detail}".rstrip(), flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


work = tempfile.mkdtemp(prefix="logship-reload-")
proc = None
try:
    port = free_port()
    log = os.path.join(work, "in.log")
    open(log, "w").close()
    config = os.path.join(work, "p.yaml")

    def write_config(extra_output=False, broken=False):
        text = f"""data_dir: {work}/data
admin: {{address: 127.0.0.1:{port}}}
sources:
  in: {{type: file, include: [{log}], poll_interval: 50ms}}
outputs:
  out: {{type: file, inputs: [in], path: {work}/out.ndjson}}
"""
        if extra_output:
            text += f"  second: {{type: file, inputs: [in], path: {work}/second.ndjson}}\n"
        if broken:
            text += "  bad: {type: file, inputs: [nowhere], path: /tmp/x}\n"
        open(config + ".tmp", "w").write(text)
        os.rename(config + ".tmp", config)

    write_config()
    proc = subprocess.Popen([BIN, "run", "-c", config],
                            stderr=open(os.path.join(work, "agent.log"), "w"))
    total = 60000

    def writer():
        with open(log, "a") as f:
            for i in range(total):
                f.write(f"reload line {i}\n")
                if i % 500 == 0:
                    f.flush()
                    time.sleep(0.02)  # about 25k lines/s over ~2.5 s

    t = threading.Thread(target=writer)
    t.start()
    time.sleep(0.4)
    proc.send_signal(signal.SIGHUP)  # same config: a plain restart of the pipeline
    time.sleep(0.4)
    write_config(broken=True)
    proc.send_signal(signal.SIGHUP)
    time.sleep(0.4)
    write_config(extra_output=True)
    req = urllib.request.Request(f"http://127.0.0.1:{port}/reload", method="POST")
    body = urllib.request.urlopen(req, timeout=30).read().decode()
    check("POST /reload applies a valid config", "second" in body, body)
    write_config(broken=True)
    try:
        urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/reload",
                                                      method="POST"), timeout=30)
        check("POST /reload refuses an invalid config", False, "answered 200")
    except urllib.error.HTTPError as e:
        text = e.read().decode()
        check("POST /reload refuses an invalid config with its errors",
              e.code == 400 and "input 'nowhere'" in text, text)
    t.join()
    out = os.path.join(work, "out.ndjson")
    deadline = time.time() + 30
    while time.time() < deadline and sum(1 for _ in open(out)) < total:
        time.sleep(0.1)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    check("exits 0 after the reloads", proc.wait(timeout=20) == 0)
    got = [json.loads(l)["message"] for l in open(out)]
    want = [f"reload line {i}" for i in range(total)]
    check("every line exactly once across the reloads", sorted(got) == sorted(want),
          f"({len(got)} lines, {len(set(got))} distinct, want {total})")
    agent_log = open(os.path.join(work, "agent.log")).read()
    check("the invalid config was refused and named", agent_log.count("reload refused") >= 2)
    check("the second output got the lines after its reload",
          os.path.exists(os.path.join(work, "second.ndjson")) and
          sum(1 for _ in open(os.path.join(work, "second.ndjson"))) > 0)
finally:
    if proc and proc.poll() is None:
        proc.kill()
    shutil.rmtree(work, ignore_errors=True)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
