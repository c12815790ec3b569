#!/usr/bin/python3
"""The s3 output's throughput: logship tails the security corpus (bench/e2e/security_corpus.py)
and stores it as zstd NDJSON objects in s3rver on loopback (./setup.sh test installs s3rver into
build/test-tools). Prints the input MB, the wall time until the bucket held every line, MB/s,
logship's CPU seconds (user+sys, all threads) and CPU-s per GB, and its peak RSS.

  s3_throughput.py PATH/TO/logship SIZE_MB [compression]

s3rver is a single Node.js process that writes every object to disk; the wall figure is bounded
by it, the CPU figure is logship's own.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
from s3lib import ACCESS_KEY, SECRET_KEY, S3rver  # noqa: E402
from testlib import free_port  # noqa: E402

BIN = os.path.abspath(sys.argv[1])
SIZE_MB = int(sys.argv[2])
COMPRESSION = sys.argv[3] if len(sys.argv) > 3 else "zstd"

work = tempfile.mkdtemp(prefix="logship-s3-bench-")
store = S3rver(REPO, work, free_port(), "logs")
agent = None
try:
    corpus = os.path.join(work, "in")
    subprocess.run([sys.executable, os.path.join(HERE, "security_corpus.py"), str(SIZE_MB // 2),
                    corpus], check=True)
    size = sum(os.path.getsize(os.path.join(corpus, f)) for f in os.listdir(corpus))
    lines = sum(sum(1 for _ in open(os.path.join(corpus, f), "rb")) for f in os.listdir(corpus))
    store.start()
    admin_port = free_port()
    config = os.path.join(work, "p.yaml")
    with open(config, "w") as f:
        f.write(f"""data_dir: {work}/data
admin: {{address: "127.0.0.1:{admin_port}"}}
sources:
  logs: {{type: file, include: ["{corpus}/*"]}}
outputs:
  bucket:
    type: s3
    inputs: [logs]
    bucket: logs
    endpoint: "{store.endpoint}"
    access_key_id: {ACCESS_KEY}
    secret_access_key: {SECRET_KEY}
    key_prefix: "bench/"
    compression: {COMPRESSION}
    max_object_age: 1s
    concurrency: 4
""")
    started = time.monotonic()
    agent = subprocess.Popen([BIN, "run", "-c", config], stderr=open(os.path.join(work, "agent.log"), "w"))
    # Done when the output has stored every event (sent counts an object's events once stored).
    def stored_all():
        try:
            text = urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/metrics", timeout=2).read().decode()
        except OSError:
            return False
        for line in text.splitlines():
            if line.startswith("logship_component_sent_events_total") and 'component_id="bucket"' in line:
                return float(line.rsplit(" ", 1)[1]) >= lines
        return False
    while not stored_all():
        if agent.poll() is not None:
            sys.exit("logship exited early; see " + os.path.join(work, "agent.log"))
        if time.monotonic() - started > 600:
            sys.exit("not stored within 600 s")
        time.sleep(0.1)
    wall = time.monotonic() - started
    with open(f"/proc/{agent.pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    hwm = next(int(l.split()[1]) for l in open(f"/proc/{agent.pid}/status") if l.startswith("VmHWM:"))
    agent.send_signal(signal.SIGTERM)
    agent.wait(timeout=30)
    stored = sum(store.keys("bench/").values())
    mb = size / 1e6
    print(f"input: {mb:.1f} MB, {lines} lines; compression {COMPRESSION}; stored {stored / 1e6:.1f} MB "
          f"in {len(store.keys('bench/'))} objects")
    print(f"wall {wall:.2f} s -> {mb / wall:.1f} MB/s; logship CPU {cpu:.2f} s -> "
          f"{cpu / (mb / 1000):.2f} CPU-s per GB ({mb / cpu:.0f} MB per CPU-s); peak RSS {hwm // 1024} MiB")
finally:
    if agent and agent.poll() is None:
        agent.kill()
    store.kill()
    shutil.rmtree(work, ignore_errors=True)
