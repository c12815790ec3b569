#!/usr/bin/env python3
"""The archive output with the real binary: every event archived and read back by `archive cat`,
and each kind of tampering named by `archive verify`.

usage: archive_test.py PATH/TO/logship CORPUS_FILE
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from testlib import check, finish

BIN, CORPUS = os.path.abspath(sys.argv[1]), sys.argv[2]


def run(*args):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=60)


work = tempfile.mkdtemp(prefix="logship-archive-")
try:
    lines = [l.rstrip("\r\n") for l in open(CORPUS, encoding="utf-8", errors="replace")]
    with open(os.path.join(work, "in.log"), "w") as f:
        f.write("\n".join(lines) + "\n")
    key = os.path.join(work, "hmac.key")
    with open(key, "w") as f:
        f.write("archive-secret\n")
    arch = os.path.join(work, "archive")
    with open(os.path.join(work, "p.yaml"), "w") as f:
        f.write(f"""data_dir: {work}/data
admin: {{enabled: false}}
sources:
  in: {{type: file, include: [{work}/in.log], batch_bytes: 16KiB}}
outputs:
  arch: {{type: archive, inputs: [in], path: {arch}, max_segment_bytes: 4KiB, key_file: {key}}}
""")
    p = subprocess.Popen([BIN, "run", "-c", os.path.join(work, "p.yaml")],
                         stderr=open(os.path.join(work, "agent.log"), "w"))
    deadline = time.time() + 30
    while time.time() < deadline:
        m = os.path.join(arch, "_untiered", "MANIFEST")
        if os.path.exists(m) and sum(json.loads(l)["events"] for l in open(m)) >= len(lines) - 40:
            break
        time.sleep(0.1)
    time.sleep(0.5)
    p.send_signal(signal.SIGTERM)
    check("agent drains and exits 0", p.wait(timeout=15) == 0)

    tier = os.path.join(arch, "_untiered")
    records = [json.loads(l) for l in open(os.path.join(tier, "MANIFEST"))]
    check("several segments sealed into the manifest", len(records) >= 3, f"({len(records)})")
    v = run("archive", "verify", arch, "--key-file", key)
    check("verify passes on an untouched archive", v.returncode == 0, v.stdout + v.stderr)
    c = run("archive", "cat", arch, "--tier", "_untiered")
    got = [json.loads(l)["message"] for l in c.stdout.splitlines()]
    check("cat returns every event exactly once, in order", got == lines,
          f"({len(got)} of {len(lines)})")
    first_ts = json.loads(c.stdout.splitlines()[0])["@timestamp"]
    c2 = run("archive", "cat", arch, "--tier", "_untiered", "--until", "2000-01-01T00:00:00Z")
    check("cat --until before the first event prints nothing", c2.stdout == "", c2.stdout[:200])
    c3 = run("archive", "cat", arch, "--tier", "_untiered", "--since", first_ts)
    check("cat --since the first event prints them all", len(c3.stdout.splitlines()) == len(lines))

    segs = [os.path.join(tier, r["file"]) for r in records]

    def tampered(name, expect, action, undo):
        action()
        v = run("archive", "verify", arch, "--key-file", key)
        check(f"verify detects {name}", v.returncode == 1 and expect in v.stdout, v.stdout)
        undo()
        v = run("archive", "verify", arch, "--key-file", key)
        check(f"verify passes again after undoing {name}", v.returncode == 0, v.stdout)

    original = open(segs[1], "rb").read()

    def edit_byte():
        data = bytearray(original)
        data[len(data) // 2] ^= 0xFF
        open(segs[1], "wb").write(data)

    restore = lambda: open(segs[1], "wb").write(original)
    rel1 = records[1]["file"]
    tampered("an edited byte", f"segment {rel1} was changed", edit_byte, restore)
    tampered("a removed segment", f"segment {rel1} was removed", lambda: os.unlink(segs[1]), restore)
    tampered("a truncated segment", f"segment {rel1} was truncated",
             lambda: open(segs[1], "wb").write(original[:len(original) // 2]), restore)

    def swap():
        os.rename(segs[1], segs[1] + ".x")
        os.rename(segs[2], segs[1])
        os.rename(segs[1] + ".x", segs[2])

    tampered("two swapped segments", f"segment {rel1} was reordered", swap, swap)
    manifest = os.path.join(tier, "MANIFEST")
    mtext = open(manifest).read()

    def drop_record():
        ls = mtext.splitlines(True)
        open(manifest, "w").write("".join(ls[:1] + ls[2:]))

    tampered("a record removed from the manifest", "chain broken", drop_record,
             lambda: open(manifest, "w").write(mtext))
    v = run("archive", "verify", arch, "--key-file", os.path.join(work, "in.log"))
    check("verify with the wrong key names the HMAC", v.returncode == 1 and "HMAC" in v.stdout)

    # Encrypted at rest: the same events, no plaintext on disk, read back with the key file.
    keys = os.path.join(work, "archive.keys")
    with open(keys, "w") as f:
        f.write("2026-12:" + "3f" * 32 + "\n")
    enc = os.path.join(work, "encrypted")
    with open(os.path.join(work, "enc.yaml"), "w") as f:
        f.write(f"""data_dir: {work}/enc-data
admin: {{enabled: false}}
sources:
  in: {{type: file, include: [{work}/in.log], batch_bytes: 16KiB}}
outputs:
  arch: {{type: archive, inputs: [in], path: {enc}, max_segment_bytes: 4KiB, encryption_key_file: {keys}}}
""")
    p = subprocess.Popen([BIN, "run", "-c", os.path.join(work, "enc.yaml")],
                         stderr=open(os.path.join(work, "agent-enc.log"), "w"))
    time.sleep(3)
    p.send_signal(signal.SIGTERM)
    check("the encrypting agent exits 0", p.wait(timeout=15) == 0)
    etier = os.path.join(enc, "_untiered")
    erecords = [json.loads(l) for l in open(os.path.join(etier, "MANIFEST"))]
    raw = b"".join(open(os.path.join(etier, r["file"]), "rb").read() for r in erecords)
    token = max(lines, key=len)[:24].encode()
    check("encrypted segments hold no plaintext, and the manifest names the key",
          token not in raw and all(r.get("key_id") == "2026-12" for r in erecords))
    c = run("archive", "cat", enc, "--tier", "_untiered", "--encryption-key-file", keys)
    got = [json.loads(l)["message"] for l in c.stdout.splitlines()]
    check("cat with the key file returns every event in order", got == lines,
          f"({len(got)} of {len(lines)}) {c.stderr[:200]}")
    c = run("archive", "cat", enc, "--tier", "_untiered")
    check("cat without it says which key is needed",
          c.returncode == 1 and "key '2026-12'" in c.stderr, c.stderr)
    v = run("archive", "verify", enc)
    check("verify checks encrypted segments without the key", v.returncode == 0, v.stdout)
finally:
    shutil.rmtree(work, ignore_errors=True)
finish()
