#!/usr/bin/env python3
"""Disk buffers with the real binary: a destination that is down, restarts, a long outage and a
full disk. Every scenario checks the exact set of delivered lines.

usage: buffer_test.py PATH/TO/logship [SCENARIO...]
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

from testlib import free_port, missing, ndjson_records, sanitized

BIN = os.path.abspath(sys.argv[1])
RSS_BOUND = (450 if sanitized(BIN) else 150) * 2**20


class Agent:
    def __init__(self, work, data_dir=None, max_bytes="256MiB"):
        self.work = work
        self.port = free_port()
        self.out_dir = os.path.join(work, "destination")
        self.out = os.path.join(self.out_dir, "out.ndjson")
        self.config = os.path.join(work, "p.yaml")
        with open(self.config, "w") as f:
            f.write(f"""data_dir: {data_dir or work + '/data'}
admin: {{address: 127.0.0.1:{self.port}}}
sources:
  in: {{type: file, include: [{work}/in.log], poll_interval: 50ms}}
outputs:
  out:
    type: file
    inputs: [in]
    path: {self.out}
    retry_interval: 200ms
    buffer: {{type: disk, max_bytes: {max_bytes}, fsync_interval: 50ms}}
""")

    def start(self):
        self.proc = subprocess.Popen([BIN, "run", "-c", self.config],
                                     stderr=open(os.path.join(self.work, "agent.log"), "a"))
        for _ in range(100):
            try:
                self.metrics()
                return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError("admin server did not come up")

    def metrics(self):
        return urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5).read().decode()

    def metric(self, name):
        m = re.search(rf"^{name}(?:{{[^}}]*}})? ([0-9.e+]+)$", self.metrics(), re.M)
        return float(m.group(1)) if m else None

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(timeout=20) == 0

    def delivered(self):
        return [r["message"] for r in ndjson_records(self.out)]

    def until(self, pred, timeout=60, what=""):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if pred():
                return
            assert self.proc.poll() is None, "agent died"
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}")


def write(path, lines):
    with open(path, "a") as f:
        f.write("".join(l + "\n" for l in lines))


def s1_restart_while_destination_down(w):
    want = [f"buffered line {i}" for i in range(10)]
    write(os.path.join(w, "in.log"), want)
    a = Agent(w).start()
    a.until(lambda: a.metric("logship_buffer_events") == 10, what="10 events in the buffer")
    # The source was acknowledged by the buffer: its checkpoint covers all 10 lines.
    a.until(lambda: json.load(urllib.request.urlopen(f"http://127.0.0.1:{a.port}/status"))
            ["sources"][0]["state"]["files"][0]["lag_bytes"] == 0, what="source acknowledged")
    # /status (and so `logship status`) shows what the buffer holds and why nothing leaves it.
    out = json.load(urllib.request.urlopen(f"http://127.0.0.1:{a.port}/status"))["outputs"][0]
    assert out["buffer_bytes"] > 0 and not out["healthy"], out
    assert "cannot open" in out["last_error"] and a.out_dir in out["last_error"], out
    a.stop()
    os.makedirs(a.out_dir)  # the destination comes back
    a.start()
    a.until(lambda: len(a.delivered()) >= 10, what="delivery after restart")
    time.sleep(0.5)
    a.until(lambda: a.metric("logship_buffer_events") == 0, what="buffer drained")
    a.stop()
    assert sorted(a.delivered()) == sorted(want), a.delivered()


def s2_long_outage_no_loss_memory_bounded(w):
    a = Agent(w).start()
    want = []
    for chunk in range(20):  # 200k lines at about 40k lines/s
        lines = [f"outage {chunk} {i} " + "x" * 80 for i in range(10000)]
        write(os.path.join(w, "in.log"), lines)
        want += lines
        time.sleep(0.25)
    a.until(lambda: a.metric("logship_buffer_events") == 200000, what="200k events buffered")
    rss = a.metric("logship_process_resident_memory_bytes")
    assert rss < RSS_BOUND, f"RSS {rss / 2**20:.0f} MiB during the outage"
    os.makedirs(a.out_dir)
    a.until(lambda: len(a.delivered()) >= 200000, timeout=120, what="delivery after the outage")
    a.stop()
    got = a.delivered()
    assert len(got) == len(set(got)) == 200000 and set(got) == set(want), len(got)
    return f"(RSS {rss / 2**20:.0f} MiB with 200k events buffered)"


def s3_full_disk(w):
    data = os.path.join(w, "small")
    os.makedirs(data)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", data],
                      capture_output=True).returncode != 0:
        return missing("cannot mount a tmpfs here; needs root")
    try:
        a = Agent(w, data_dir=data, max_bytes="64MiB").start()
        want = []
        for chunk in range(8):
            lines = [f"disk full {chunk} {i} " + os.urandom(40).hex() for i in range(5000)]
            write(os.path.join(w, "in.log"), lines)
            want += lines
            time.sleep(0.3)
        time.sleep(2)
        assert a.proc.poll() is None, "agent died on a full disk"
        assert 'reason="buffer_write_failed"' in a.metrics(), "full disk not reported"
        os.makedirs(a.out_dir)
        a.until(lambda: len(a.delivered()) >= len(want), timeout=120, what="recovery")
        a.stop()
        got = a.delivered()
        assert sorted(got) == sorted(want), f"{len(got)} of {len(want)}"
    finally:
        subprocess.run(["umount", "-l", data])


SCENARIOS = [s1_restart_while_destination_down, s2_long_outage_no_loss_memory_bounded,
             s3_full_disk]

if __name__ == "__main__":
    only = set(sys.argv[2:])
    passed = failed = 0
    for s in SCENARIOS:
        if only and s.__name__ not in only:
            continue
        w = tempfile.mkdtemp(prefix="logship-buffer-")
        try:
            note = s(w) or ""
            print(f"ok   - {s.__name__} {note}".rstrip(), flush=True)
            passed += 1
        except Exception as e:
            failed += 1
            print(f"FAIL - {s.__name__}: {e}", flush=True)
            traceback.print_exc()
            try:
                print(open(os.path.join(w, "agent.log")).read()[-3000:])
            except OSError:
                pass
        finally:
            subprocess.run(["pkill", "-9", "-f", w], capture_output=True)
            shutil.rmtree(w, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
