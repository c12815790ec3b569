#!/usr/bin/python3
"""The archive's copy off the host and its anchors, against s3rver (an independent S3
implementation from the npm registry, started here on loopback), read with Debian's boto3:
every sealed segment and each tier's MANIFEST reach the bucket byte for byte; `archive verify`
passes on the bucket and names a segment changed there; a segment the bucket lost is uploaded
again at the next start; the archive_anchors source records the chain heads, and `archive verify
--anchors` catches a manifest whose history was rewritten with a valid chain.

usage: archive_upload_test.py PATH/TO/logship REPO_DIR
"""
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import botocore.exceptions
from s3lib import ACCESS_KEY, SECRET_KEY, S3rver
from testlib import check, finish, free_port, wait_until

BIN = os.path.abspath(sys.argv[1])
work = tempfile.mkdtemp(prefix="logship-archive-upload-")
KEEP = os.environ.get("KEEP_WORK") == "1"
archive = os.path.join(work, "archive")
anchors = os.path.join(work, "anchors.ndjson")
store = S3rver(sys.argv[2], work, free_port(), "vault")
endpoint = store.endpoint
PREFIX = "host-1/"
CREDENTIALS = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY)


def bucket_keys():
    return store.keys()


def bucket_object(key):
    """The object's bytes, or None while s3rver is rewriting it (its file store is not atomic: a
    read racing the agent's upload of the same key ends short)."""
    try:
        return store.get(key)
    except botocore.exceptions.ResponseStreamingError:
        return None


def local_files():
    """Every sealed file of the local archive (segments and manifests), relative to its root."""
    out = {}
    if not os.path.isdir(archive):
        return out
    for tier in sorted(os.listdir(archive)):
        for dirpath, _, files in os.walk(os.path.join(archive, tier)):
            for name in files:
                if name.endswith(".open") or name.endswith(".tmp"):
                    continue
                path = os.path.join(dirpath, name)
                out[os.path.relpath(path, archive)] = path
    return out


def replicated():
    """True once the bucket holds every sealed local file with the same bytes."""
    keys = bucket_keys() or {}
    files = local_files()
    if not files:
        return False
    for rel, path in files.items():
        if PREFIX + rel not in keys:
            return False
        with open(path, "rb") as f:
            if bucket_object(PREFIX + rel) != f.read():
                return False
    return True


def agent_config():
    path = os.path.join(work, "p.yaml")
    with open(path, "w") as f:
        f.write(f"""data_dir: {work}/data
admin: {{enabled: false}}
tiers:
  audit: {{retention: 7y}}
  app: {{retention: 30d}}
sources:
  logs: {{type: file, include: [{work}/in/*.log], checkpoint_interval: 200ms}}
  heads: {{type: archive_anchors, path: {archive}, interval: 200ms}}
transforms:
  tier:
    type: classify_tier
    inputs: [logs]
    rules: [{{tier: audit, when: {{field: message, matches: 'sshd'}}}}]
    default: app
outputs:
  vault:
    type: archive
    inputs: [tier]
    path: {archive}
    max_segment_bytes: 4KiB
    max_segment_age: 1s
    fsync_interval: 50ms
    upload:
      bucket: vault
      endpoint: "{endpoint}"
      key_prefix: "{PREFIX}"
      object_lock: COMPLIANCE
      max_backoff: 1s
  anchor_log:
    type: file
    inputs: [heads]
    path: {anchors}
""")
    return path


def start_agent():
    return subprocess.Popen([BIN, "run", "-c", agent_config()], env=CREDENTIALS,
                            stderr=open(os.path.join(work, "agent.log"), "a"))


def stop(agent):
    agent.send_signal(signal.SIGTERM)
    return agent.wait(timeout=30)


def append(name, lines):
    with open(os.path.join(work, "in", name), "a") as f:
        for line in lines:
            f.write(line + "\n")


def verify(target, *extra):
    p = subprocess.run([BIN, "archive", "verify", target, "--endpoint", endpoint, *extra],
                       env=CREDENTIALS, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


def rewrite_history(tier_dir):
    """What root on the host can do without an anchor: change a record of the MANIFEST and
    recompute every chain after it, so that the manifest verifies on its own."""
    path = os.path.join(tier_dir, "MANIFEST")
    records = [json.loads(l) for l in open(path)]
    records[0]["events"] += 1
    chain = "0" * 64
    for r in records:
        if r["kind"] == "segment":
            fields = ["segment", r["seq"], r["file"], r["bytes"], r["raw_bytes"], r["events"],
                      r["sha256"], r["first_ns"], r["last_ns"], r["at_ns"]]
        else:
            fields = ["deleted", r["seq"], r["file"], r["at_ns"], r["reason"]]
        chain = hashlib.sha256((chain + "|" + "|".join(str(x) for x in fields)).encode()).hexdigest()
        r["chain"] = chain
    with open(path, "w") as f:
        for r in records:
            f.write(json.dumps(r, separators=(",", ":")) + "\n")


agent = None
try:
    os.makedirs(os.path.join(work, "in"))
    store.start()
    rng = random.Random(5)
    # Random tokens keep the segments from compressing to nothing: several per tier.
    lines = [f"Nov 22 03:57:{i % 60:02d} host sshd[{i}]: Failed password for root from 10.0.0.{i % 250} port {i} ssh2 {rng.getrandbits(64):016x}"
             if i % 2 == 0 else f"app event {i} {rng.getrandbits(128):032x}" for i in range(4000)]
    agent = start_agent()
    # In several reads, so that segments fill and seal while the agent runs.
    for start in range(0, len(lines), 500):
        append("a.log", lines[start:start + 500])
        time.sleep(0.4)
    ok = wait_until(lambda: len(local_files()) >= 6 and replicated(), 60)
    check("every sealed segment and each MANIFEST is in the bucket, byte for byte", ok,
          f"local {sorted(local_files())[:4]}..., bucket {sorted(bucket_keys() or {})[:4]}...")
    segments = [k for k in local_files() if k.endswith(".ndjson.zst")]
    check("both tiers were uploaded", {k.split("/")[0] for k in segments} == {"audit", "app"},
          sorted(segments)[:4])
    check("the archive_anchors source recorded a chain head per tier", wait_until(
        lambda: os.path.exists(anchors) and
        {json.loads(l)["archive"]["tier"] for l in open(anchors)} == {"audit", "app"}, 20))
    check("the agent stops cleanly", stop(agent) == 0)
    agent = None
    # The last segments sealed at shutdown; the next start uploads them.
    agent = start_agent()
    check("segments sealed at shutdown are uploaded at the next start",
          wait_until(replicated, 30))
    check("the agent stops cleanly again", stop(agent) == 0)
    agent = None

    code, out = verify(f"s3://vault/{PREFIX}")
    check("archive verify passes on the bucket", code == 0 and " 0 problems" in out, out)
    code, out = verify(archive, "--anchors", anchors)
    check("archive verify passes on the local archive against its anchors", code == 0, out)

    # A segment the bucket lost (a failed upload, a deleted object) is uploaded again at start.
    lost = sorted(k for k in segments if k.startswith("app/"))[0]
    store.client().delete_object(Bucket="vault", Key=PREFIX + lost)
    code, out = verify(f"s3://vault/{PREFIX}")
    check("archive verify names a segment missing from the bucket",
          code == 1 and f"segment {lost.split('/', 1)[1]} was removed" in out, out)
    agent = start_agent()
    check("a segment missing from the bucket is uploaded again at start",
          wait_until(lambda: PREFIX + lost in (bucket_keys() or {}), 30))
    check("the agent stops", stop(agent) == 0)
    agent = None

    # Changed in the bucket: verify on the bucket says which.
    changed = sorted(k for k in segments if k.startswith("audit/"))[0]
    body = bytearray(bucket_object(PREFIX + changed))
    body[len(body) // 2] ^= 0xFF
    store.client().put_object(Bucket="vault", Key=PREFIX + changed, Body=bytes(body))
    code, out = verify(f"s3://vault/{PREFIX}")
    check("archive verify on the bucket names a changed segment",
          code == 1 and f"segment {changed.split('/', 1)[1]} was changed" in out, out)
    r = subprocess.run([BIN, "report", "-c", os.path.join(work, "p.yaml"), "--since",
                        "2020-01-01T00:00:00Z"], env=CREDENTIALS, capture_output=True, text=True,
                       timeout=60)
    checks = {c["where"]: c for c in json.loads(r.stdout)["integrity"]["checks"]}
    bucket_check = checks.get(f"s3://vault/{PREFIX}", {})
    check("logship report verifies the upload bucket too, and says it was changed",
          r.returncode == 1 and checks.get(archive, {}).get("ok") is True and
          bucket_check.get("ok") is False and any("was changed" in p for p in bucket_check["problems"]),
          r.stdout[:600] + r.stderr[:300])

    # Root on the host rewrites a manifest's history with a valid chain: only the anchors tell.
    rewrite_history(os.path.join(archive, "audit"))
    code, out = verify(archive)
    check("a rewritten chain passes verification on its own (no HMAC key)", code == 0, out)
    code, out = verify(archive, "--anchors", anchors)
    check("archive verify --anchors names the rewritten history",
          code == 1 and "audit: MANIFEST record" in out and "history was rewritten" in out, out)
    # Cut off: the last records removed.
    app_heads = [json.loads(l)["archive"]["records"] for l in open(anchors)
                 if json.loads(l)["archive"]["tier"] == "app"]
    check("an anchor saw more than one app record", max(app_heads) > 1, app_heads)
    manifest = os.path.join(archive, "app", "MANIFEST")
    kept = open(manifest).readlines()[:1]
    open(manifest, "w").writelines(kept)
    code, out = verify(archive, "--anchors", anchors)
    check("archive verify --anchors names a manifest cut short",
          code == 1 and "app: MANIFEST has 1 records" in out and "cut off" in out, out)
finally:
    if agent and agent.poll() is None:
        agent.kill()
        agent.wait()
    store.kill()
    if not KEEP:
        shutil.rmtree(work, ignore_errors=True)
finish()
