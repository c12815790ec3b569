#!/usr/bin/python3
"""The s3 output against s3rver (an independent S3 implementation from the npm registry, started
here on loopback), read back with Debian's boto3: every line arrives once, in objects keyed by tier
and date, gzip-compressed; a large object goes up in multipart parts; an outage of the store loses
nothing; a restart of the agent repeats nothing.

usage: s3_test.py PATH/TO/logship REPO_DIR
"""
import base64
import gzip
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from s3lib import ACCESS_KEY, SECRET_KEY, S3rver
from testlib import check, finish, free_port, wait_until

BIN = os.path.abspath(sys.argv[1])
work = tempfile.mkdtemp(prefix="logship-s3-")
store = S3rver(sys.argv[2], work, free_port(), "logs")
endpoint = store.endpoint


def stored_lines(s3, prefix=""):
    """Every NDJSON line of every object under prefix, read back with boto3, by key."""
    out = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket="logs", Prefix=prefix):
        for o in page.get("Contents", []):
            body = s3.get_object(Bucket="logs", Key=o["Key"])["Body"].read()
            if o["Key"].endswith(".gz"):
                body = gzip.decompress(body)
            out[o["Key"]] = [json.loads(l) for l in body.decode().splitlines()]
    return out


def messages(objects):
    return [e["message"] for lines in objects.values() for e in lines]


def agent_config(max_bytes="64KiB", max_age="1s"):
    path = os.path.join(work, "p.yaml")
    with open(path, "w") as f:
        f.write(f"""data_dir: {work}/data
admin: {{enabled: false}}
tiers:
  audit: {{retention: 7y}}
  app: {{retention: 30d}}
sources:
  logs: {{type: file, include: [{work}/in/*.log], checkpoint_interval: 200ms}}
transforms:
  tier:
    type: classify_tier
    inputs: [logs]
    rules: [{{tier: audit, when: {{field: message, matches: 'sshd'}}}}]
    default: app
outputs:
  bucket:
    type: s3
    inputs: [tier]
    bucket: logs
    endpoint: "{endpoint}"
    access_key_id: {ACCESS_KEY}
    secret_access_key: {SECRET_KEY}
    key_prefix: "{{tier}}/%Y/%m/%d/"
    max_object_bytes: {max_bytes}
    max_object_age: {max_age}
    part_bytes: 5MiB
    retry: {{initial_backoff: 100ms, max_backoff: 1s}}
""")
    return path


def start_agent(**options):
    return subprocess.Popen([BIN, "run", "-c", agent_config(**options)],
                            stderr=open(os.path.join(work, "agent.log"), "a"))


def append(name, lines):
    with open(os.path.join(work, "in", name), "a") as f:
        for line in lines:
            f.write(line + "\n")


agent = None
try:
    os.makedirs(os.path.join(work, "in"))
    store.start()
    s3 = store.client()
    rng = random.Random(7)
    first = [f"Nov 22 03:57:{i % 60:02d} host sshd[{i}]: Failed password for root from 10.0.{i % 250}.{i % 7} port {i} ssh2"
             if i % 3 == 0 else f"app event {i} {'x' * rng.randint(10, 200)}" for i in range(3000)]
    append("a.log", first)
    agent = start_agent()
    got = wait_until(lambda: len(messages(stored_lines(s3))) >= len(first) and stored_lines(s3), 60)
    got = got or stored_lines(s3)
    check("every line is stored once", sorted(messages(got)) == sorted(first),
          f"{len(messages(got))} of {len(first)}")
    check("objects roll by size (several per tier)", len(got) >= 4, sorted(got))
    check("keys carry the tier and the date", all(
        k.split("/")[0] in ("audit", "app") and k.split("/")[1].isdigit() and k.endswith(".ndjson.gz")
        for k in got), sorted(got)[:3])
    audit = [m for k, lines in got.items() if k.startswith("audit/") for m in (e["message"] for e in lines)]
    check("the audit tier holds the sshd lines", sorted(audit) == sorted(l for l in first if "sshd" in l))

    # One object larger than a part: multipart upload, read back whole.
    big = [base64.b64encode(rng.randbytes(600)).decode() for _ in range(14000)]  # ~11 MB
    agent.send_signal(signal.SIGTERM)
    check("the agent stops cleanly", agent.wait(timeout=30) == 0)
    before = set(stored_lines(s3))
    agent = start_agent(max_bytes="12MB", max_age="3s")
    append("b.log", big)
    wait_until(lambda: sum(len(v) for k, v in stored_lines(s3, "app/").items() if k not in before)
               >= len(big), 90)
    new = {k: v for k, v in stored_lines(s3, "app/").items() if k not in before}
    sizes = {o["Key"]: o["Size"] for o in s3.list_objects_v2(Bucket="logs", Prefix="app/")["Contents"]}
    check("a large object is stored whole (multipart)",
          sorted(messages(new)) == sorted(big) and max(sizes[k] for k in new) > 5 * 1024 * 1024,
          f"{len(messages(new))} lines, sizes {[sizes[k] for k in new]}")
    check("nothing was sent twice after the restart",
          sorted(messages(stored_lines(s3))) == sorted(first + big))

    # The store goes away: lines wait and arrive once it is back.
    store.kill()
    outage = [f"during the outage {i}" for i in range(500)]
    append("c.log", outage)
    time.sleep(3)
    store.start()
    wait_until(lambda: len(messages(stored_lines(s3))) >= len(first) + len(big) + len(outage), 60)
    all_stored = messages(stored_lines(s3))
    check("lines written during an outage arrive after it",
          all(m in set(all_stored) for m in outage), f"{sum(m in set(all_stored) for m in outage)} of 500")
    check("and none twice", len(all_stored) == len(set(all_stored)),
          f"{len(all_stored) - len(set(all_stored))} repeated")
    agent.send_signal(signal.SIGTERM)
    check("the agent exits 0", agent.wait(timeout=30) == 0)
    agent = None
finally:
    if agent and agent.poll() is None:
        agent.kill()
        agent.wait()
    store.kill()
    shutil.rmtree(work, ignore_errors=True)
finish()
