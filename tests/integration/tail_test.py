#!/usr/bin/env python3
"""File tailing scenarios against the real binary: rotation, truncation, restarts, crashes.

usage: tail_test.py PATH/TO/logship [SCENARIO...]
Each scenario asserts the exact multiset of delivered lines (no loss, no duplicates unless the
scenario says so). Prints one line per scenario and "N passed, N failed".
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

from testlib import free_port, missing, ndjson_records, sanitized

BIN = os.path.abspath(sys.argv[1])
RSS_BOUND_KB = (450 if sanitized(BIN) else 150) * 1024


class Agent:
    """One logship run over a file source writing NDJSON to out.ndjson in `work`."""

    def __init__(self, work, include, extra_source="", output_extra="", out=None,
                 idle_flush="300ms"):
        self.work = work
        self.out = out or os.path.join(work, "out.ndjson")
        self.config = os.path.join(work, "p.yaml")
        with open(self.config, "w") as f:
            f.write(f"""data_dir: {work}/data
admin: {{address: 127.0.0.1:{free_port()}}}
sources:
  logs:
    type: file
    include: {json.dumps(include)}
    poll_interval: 50ms
    glob_interval: 200ms
    idle_flush: {idle_flush}
    checkpoint_interval: 100ms
    rotate_wait: 1s
    copy_wait: 1s
{extra_source}
outputs:
  out: {{type: file, inputs: [logs], path: {self.out}{output_extra}}}
""")
        self.proc = None

    def start(self):
        self.log = open(os.path.join(self.work, "agent.log"), "a")
        self.proc = subprocess.Popen([BIN, "run", "-c", self.config], stderr=self.log,
                                     stdout=subprocess.DEVNULL)
        return self

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=15)
        assert rc == 0, f"agent exited {rc}"

    def kill9(self):
        self.proc.kill()
        self.proc.wait(timeout=5)

    def messages(self):
        return [r["message"] for r in ndjson_records(self.out)]

    def wait_for(self, count, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if len(self.messages()) >= count:
                return True
            assert self.proc.poll() is None, "agent died"
            time.sleep(0.05)
        return False

    def settle(self, seconds=0.6):
        time.sleep(seconds)


def write(path, lines, mode="a"):
    with open(path, mode) as f:
        for l in lines:
            f.write(l + "\n")


def gen(prefix, n):
    return [f"{prefix} {i}" for i in range(n)]


def same(got, want, allow_duplicates=False):
    from collections import Counter
    g, w = Counter(got), Counter(want)
    missing = w - g
    extra = g - w
    if allow_duplicates:
        extra = Counter({k: v for k, v in extra.items() if k not in w})
    assert not missing, f"{sum(missing.values())} lines missing, e.g. {list(missing)[:3]}"
    assert not extra, f"{sum(extra.values())} unexpected lines, e.g. {list(extra)[:3]}"


def s01_rename_create_rotation(w):
    log = os.path.join(w, "app.log")
    write(log, gen("before", 1000))
    a = Agent(w, [log]).start()
    assert a.wait_for(1000)
    writer = open(log, "a")  # the application keeps its descriptor across the rename
    os.rename(log, log + ".1")
    for l in gen("late write to the old file", 10):
        writer.write(l + "\n")
    writer.flush()
    write(log, gen("after", 1000))
    want = gen("before", 1000) + gen("late write to the old file", 10) + gen("after", 1000)
    assert a.wait_for(len(want))
    a.settle()
    a.stop()
    same(a.messages(), want)


def s02_copytruncate(w):
    log = os.path.join(w, "app.log")
    write(log, gen("first", 1000))
    a = Agent(w, [log + "*"]).start()
    assert a.wait_for(1000)
    write(log, gen("written just before rotation", 50))
    shutil.copyfile(log, log + ".1")
    with open(log, "r+") as f:
        f.truncate(0)
    write(log, gen("after truncate", 100))
    want = gen("first", 1000) + gen("written just before rotation", 50) + gen("after truncate", 100)
    assert a.wait_for(len(want))
    a.settle(2.5)  # past copy_wait: nothing more may arrive
    a.stop()
    same(a.messages(), want)


def s02b_copytruncate_copy_seen_half_written(w):
    # The copy is found while still empty, then while holding only part of the original's start:
    # it must still be recognised as the copy, not read again as a new file.
    log = os.path.join(w, "app.log")
    write(log, gen("first", 1000))
    a = Agent(w, [log + "*"]).start()
    assert a.wait_for(1000)
    content = open(log, "rb").read()
    with open(log + ".1", "wb") as copy:
        a.settle(0.3)  # scans see it empty
        copy.write(content[:20])
        copy.flush()
        a.settle(0.3)  # and holding a few bytes of the first line
        copy.write(content[20:])
    with open(log, "r+") as f:
        f.truncate(0)
    write(log, gen("after truncate", 100))
    want = gen("first", 1000) + gen("after truncate", 100)
    assert a.wait_for(len(want))
    a.settle(2.5)  # past copy_wait: nothing more may arrive
    a.stop()
    same(a.messages(), want)


def s03_truncate_while_running(w):
    log = os.path.join(w, "app.log")
    write(log, gen("old", 100))
    a = Agent(w, [log]).start()
    assert a.wait_for(100)
    a.settle(0.3)
    write(log, gen("new", 50), mode="w")
    assert a.wait_for(150)
    a.settle()
    a.stop()
    same(a.messages(), gen("old", 100) + gen("new", 50))


def s04_truncate_while_stopped_bigger(w):
    log = os.path.join(w, "app.log")
    write(log, gen("old", 100))
    a = Agent(w, [log]).start()
    assert a.wait_for(100)
    a.settle(0.3)
    a.stop()
    write(log, gen("rewritten with more lines", 300), mode="w")
    a.start()
    assert a.wait_for(400)
    a.settle()
    a.stop()
    same(a.messages(), gen("old", 100) + gen("rewritten with more lines", 300))


def s05_rotations_while_stopped(w):
    log = os.path.join(w, "app.log")
    write(log, gen("gen0", 100))
    a = Agent(w, [log + "*"]).start()
    assert a.wait_for(100)
    a.settle(0.3)
    a.stop()
    write(log, gen("gen0 unread tail", 10))
    os.rename(log, log + ".1")
    write(log, gen("gen1", 20))
    os.rename(log + ".1", log + ".2")
    os.rename(log, log + ".1")
    write(log, gen("gen2", 30))
    a.start()
    want = gen("gen0", 100) + gen("gen0 unread tail", 10) + gen("gen1", 20) + gen("gen2", 30)
    assert a.wait_for(len(want))
    a.settle()
    a.stop()
    same(a.messages(), want)


def s06_inode_reuse(w):
    log = os.path.join(w, "app.log")
    write(log, gen("original", 100))
    a = Agent(w, [log]).start()
    assert a.wait_for(100)
    a.settle(0.3)
    a.stop()
    old_inode = os.stat(log).st_ino
    os.unlink(log)
    reused = False
    for i in range(200):
        write(log, gen("new file on a reused inode", 80), mode="w")
        if os.stat(log).st_ino == old_inode:
            reused = True
            break
        os.rename(log, os.path.join(w, f"spare{i}"))  # keep that inode busy, try the next one
    a.start()
    assert a.wait_for(180)
    a.settle()
    a.stop()
    same(a.messages(), gen("original", 100) + gen("new file on a reused inode", 80))
    return "" if reused else "(the file system did not reuse the inode; checked as a new file)"


def s07_identical_first_lines(w):
    header = "# the same header line in every file " + "x" * 300
    os.makedirs(os.path.join(w, "logs"))
    a_log, b_log = os.path.join(w, "logs", "a.log"), os.path.join(w, "logs", "b.log")
    write(a_log, [header] + gen("a", 50))
    write(b_log, [header] + gen("b", 60))
    a = Agent(w, [os.path.join(w, "logs", "*.log")]).start()
    assert a.wait_for(112)
    a.settle(1.5)
    a.stop()
    same(a.messages(), [header] + gen("a", 50) + [header] + gen("b", 60))


def s08_empty_then_growing_and_no_newline(w):
    os.makedirs(os.path.join(w, "logs"))
    empty, one = os.path.join(w, "logs", "empty.log"), os.path.join(w, "logs", "one.log")
    open(empty, "w").close()
    with open(one, "w") as f:
        f.write("a single line without a newline")
    a = Agent(w, [os.path.join(w, "logs", "*.log")]).start()
    assert a.wait_for(1)
    a.settle(0.3)
    write(empty, gen("grew", 5))
    assert a.wait_for(6)
    a.settle()
    a.stop()
    a.start()  # a restart must not repeat anything
    a.settle(1.0)
    a.stop()
    same(a.messages(), ["a single line without a newline"] + gen("grew", 5))


def s09_deleted_while_open(w):
    log = os.path.join(w, "app.log")
    write(log, ["opened"])
    a = Agent(w, [log]).start()
    assert a.wait_for(1)
    write(log, gen("unread when deleted", 200000))
    os.unlink(log)
    assert a.wait_for(200001, timeout=60)
    a.settle(1.5)
    a.stop()
    same(a.messages(), ["opened"] + gen("unread when deleted", 200000))
    assert "released" in open(os.path.join(w, "agent.log")).read(), "deleted file not released"


def s10_huge_line_and_binary_junk(w):
    log = os.path.join(w, "app.log")
    with open(log, "wb") as f:
        f.write(b"before\n")
        f.write(b"L" * (10 << 20) + b"\n")
        f.write(b"nul\x00bytes and \xff\xfe invalid utf-8\n")
        f.write(b"after\n")
    a = Agent(w, [log]).start()
    assert a.wait_for(4)
    a.settle()
    a.stop()
    msgs = a.messages()
    assert msgs[0] == "before" and msgs[-1] == "after", msgs[:1]
    assert msgs[1] == "L" * (1 << 20), f"long line kept {len(msgs[1])} bytes"
    assert msgs[2] == "nul\x00bytes and \ufffd\ufffd invalid utf-8", repr(msgs[2])
    lines = open(a.out, encoding="utf-8").read().splitlines()
    assert json.loads(lines[1])["log"]["truncated"] is True
    assert len(msgs) == 4


def s11_multiline_with_timeout(w):
    log = os.path.join(w, "app.log")
    trace = ["2024-05-01 10:00:00 ERROR boom", "Traceback (most recent call last):",
             '  File "app.py", line 3, in <module>', "ValueError: bad"]
    write(log, trace + ["2024-05-01 10:00:01 INFO next"])
    a = Agent(w, [log], extra_source="    multiline: {start: '^\\d{4}-\\d{2}-\\d{2} ', "
                                      "timeout: 400ms, max_lines: 3}").start()
    assert a.wait_for(1)
    # The trace is cut at max_lines; the last event is only complete once the timeout passed.
    assert a.wait_for(3, timeout=5)
    a.settle(0.2)
    write(log, ["  continued after a while", "2024-05-01 10:00:02 INFO last"])
    assert a.wait_for(4, timeout=5)
    a.settle(1.0)
    a.stop()
    same(a.messages(), ["\n".join(trace[:3]), trace[3], "2024-05-01 10:00:01 INFO next",
                        "  continued after a while", "2024-05-01 10:00:02 INFO last"])


def s15_cri_partial_lines(w):
    pod_dir = os.path.join(w, "var/log/pods/payments_api-7d9f_0f1e2d3c/app")
    os.makedirs(pod_dir)
    log = os.path.join(pod_dir, "0.log")
    write(log, ["2024-05-01T10:00:00.000000001Z stdout F plain line",
                "2024-05-01T10:00:01.5Z stdout P first half, ",
                "2024-05-01T10:00:01.6Z stdout P second half, "])
    a = Agent(w, [os.path.join(w, "var/log/pods/*/*/*.log")],
              extra_source="    format: cri", idle_flush="3s").start()
    assert a.wait_for(1)
    a.settle(0.3)
    write(log, ["2024-05-01T10:00:01.7Z stdout F end", "not a cri line",
                "2024-05-01T10:00:02Z stderr F on stderr"])
    assert a.wait_for(4)
    a.settle()
    a.stop()
    same(a.messages(), ["plain line", "first half, second half, end", "not a cri line",
                        "on stderr"])
    events = [json.loads(l) for l in open(a.out)]
    joined = events[1]
    assert joined["@timestamp"] == "2024-05-01T10:00:01.500000000Z", joined["@timestamp"]
    assert joined["kubernetes"] == {"namespace": "payments", "pod": {"name": "api-7d9f", "uid":
                                   "0f1e2d3c"}, "container": {"name": "app"}}, joined
    assert events[3]["stream"] == "stderr"
    assert events[2]["event"]["parse_error"] == "not a CRI log line"


JOURNAL_REMOTE = "/lib/systemd/systemd-journal-remote"


def write_journal(path, entries, first_index):
    """Writes journal entries with systemd-journal-remote (no journald needed)."""
    export = ""
    for i, (unit, ident, message) in enumerate(entries, start=first_index):
        export += (f"__REALTIME_TIMESTAMP={1700000000000000 + i}\n__MONOTONIC_TIMESTAMP={i}\n"
                   f"_BOOT_ID=0123456789abcdef0123456789abcdef\nMESSAGE={message}\n"
                   f"SYSLOG_IDENTIFIER={ident}\n_PID={1000 + i}\n_HOSTNAME=node-1\n"
                   f"PRIORITY={3 if 'error' in message else 6}\n_SYSTEMD_UNIT={unit}\n\n")
    subprocess.run([JOURNAL_REMOTE, f"--output={path}", "-"], input=export.encode(), check=True,
                   capture_output=True)


def s16_journald(w):
    if not os.access(JOURNAL_REMOTE, os.X_OK):
        return missing("systemd-journal-remote is not installed, so no journal can be written")
    jdir = os.path.join(w, "journal")
    os.makedirs(jdir)
    first = [("ssh.service", "sshd", f"Failed password for root from 10.0.0.{i} port 22 ssh2")
             for i in range(49)]
    # One entry over max_message_bytes (2 KiB): cut, flagged, counted.
    first.append(("ssh.service", "sshd", "banner " + "z" * 5000))
    noise = [("cron.service", "CRON", f"cron job {i}") for i in range(20)]
    write_journal(os.path.join(jdir, "a.journal"), first + noise, 0)
    out = os.path.join(w, "out.ndjson")
    config = os.path.join(w, "j.yaml")
    with open(config, "w") as f:
        f.write(f"""data_dir: {w}/data
admin: {{enabled: false}}
sources:
  j: {{type: journald, directory: {jdir}, start_at: beginning, units: [ssh.service],
      checkpoint_interval: 100ms, max_message_bytes: 2KiB}}
outputs:
  o: {{type: file, inputs: [j], path: {out}}}
""")

    def run_until(count):
        log = open(os.path.join(w, "agent.log"), "a")
        p = subprocess.Popen([BIN, "run", "-c", config], stderr=log)
        deadline = time.time() + 20
        while time.time() < deadline:
            if os.path.exists(out) and sum(1 for _ in open(out)) >= count:
                break
            time.sleep(0.05)
        time.sleep(0.5)
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=15) == 0
        return [json.loads(l) for l in open(out)]

    events = run_until(50)
    cut = [m[:2048] for _, _, m in first]
    assert [e["message"] for e in events] == cut
    assert events[-1]["log"]["truncated"] is True and "truncated" not in events[0]["log"]
    e = events[7]
    assert e["process"] == {"name": "sshd", "pid": 1007} and e["host"]["name"] == "node-1", e
    assert e["systemd"]["unit"] == "ssh.service" and e["log"]["level"] == "info", e
    more = [("ssh.service", "sshd", f"Accepted publickey for deploy from 10.1.0.{i} port 22 ssh2")
            for i in range(30)]
    write_journal(os.path.join(jdir, "b.journal"), more, 100)
    events = run_until(80)
    # The restart resumed after the saved cursor: nothing repeated, nothing lost.
    same([e["message"] for e in events], cut + [m for _, _, m in more])


def s12_kill9_while_shipping(w):
    log = os.path.join(w, "app.log")
    want = gen("line", 200000)
    write(log, want)
    a = Agent(w, [log]).start()
    a.wait_for(30000)
    a.kill9()
    first = len(a.messages())
    a.start()
    assert a.wait_for(200000, timeout=60)
    a.settle()
    a.stop()
    got = a.messages()
    same(got, want, allow_duplicates=True)
    dups = len(got) - len(want)
    # Only what was read but not acknowledged at the kill may repeat: at most a few batches.
    assert dups <= 4 * (512 << 10) // 10, f"{dups} duplicates"
    return f"({first} lines before the kill, {dups} duplicates after restart)"


def s12b_torn_output_line_cut_on_restart(w):
    # A kill in the middle of write() leaves a partial last line in the output file; the next
    # start cuts it off (its events were not acknowledged and come again), so every line parses.
    log = os.path.join(w, "app.log")
    write(log, gen("line", 10))
    a = Agent(w, [log])
    with open(a.out, "w") as f:
        f.write('{"message":"written before the crash"}\n{"message":"line 0","log":{"fi')
    a.start()
    deadline = time.time() + 30
    while time.time() < deadline and open(a.out).read().count("\n") < 11:
        time.sleep(0.05)
    a.settle()
    a.stop()
    same(a.messages(), ["written before the crash"] + gen("line", 10))


def s13_corrupt_checkpoint(w):
    log = os.path.join(w, "app.log")
    write(log, gen("line", 100))
    a = Agent(w, [log]).start()
    assert a.wait_for(100)
    a.settle(0.5)
    a.stop()
    cp = os.path.join(w, "data", "checkpoints", "logs.json")
    with open(cp, "r+b") as f:
        f.seek(10)
        f.write(b"\x00garbage")
    write(log, gen("more", 10))
    a.start()
    assert a.wait_for(110)
    a.settle(1.0)
    a.stop()
    # The previous copy holds an earlier position: lines may repeat, none may be lost.
    same(a.messages(), gen("line", 100) + gen("more", 10), allow_duplicates=True)
    assert "is unusable" in open(os.path.join(w, "agent.log")).read()
    # Every copy destroyed: the agent still starts, and re-reads rather than loses.
    for name in ("logs.json", "logs.json.prev", "logs.json.fast"):
        with open(os.path.join(w, "data", "checkpoints", name), "w") as f:
            f.write("{")
    seen = len(a.messages())
    a.start()
    assert a.wait_for(seen + 110)
    a.settle(0.5)
    a.stop()
    same(a.messages(), gen("line", 100) + gen("more", 10), allow_duplicates=True)


def s14_output_blocked_memory_bounded(w):
    log = os.path.join(w, "app.log")
    line = "x" * 200
    with open(log, "w") as f:
        for i in range(1_000_000):
            f.write(f"{i} {line}\n")
    blocked_dir = os.path.join(w, "later")
    a = Agent(w, [log], out=os.path.join(blocked_dir, "out.ndjson"),
              output_extra=", retry_interval: 200ms, buffer: {max_bytes: 8MiB}").start()
    time.sleep(3)
    rss_kb = int([l for l in open(f"/proc/{a.proc.pid}/status") if l.startswith("VmRSS")][0].split()[1])
    assert rss_kb < RSS_BOUND_KB, f"RSS {rss_kb} kB while the output is blocked"
    os.makedirs(blocked_dir)
    assert a.wait_for(1_000_000, timeout=60)
    a.stop()
    return f"(RSS {rss_kb // 1024} MiB with a 200 MB file behind a blocked output)"


SCENARIOS = [s01_rename_create_rotation, s02_copytruncate,
             s02b_copytruncate_copy_seen_half_written, s03_truncate_while_running,
             s04_truncate_while_stopped_bigger, s05_rotations_while_stopped, s06_inode_reuse,
             s07_identical_first_lines, s08_empty_then_growing_and_no_newline,
             s09_deleted_while_open, s10_huge_line_and_binary_junk, s11_multiline_with_timeout,
             s12_kill9_while_shipping, s12b_torn_output_line_cut_on_restart,
             s13_corrupt_checkpoint, s14_output_blocked_memory_bounded, s15_cri_partial_lines,
             s16_journald]


def main():
    only = set(sys.argv[2:])
    passed = failed = 0
    for scenario in SCENARIOS:
        if only and scenario.__name__ not in only:
            continue
        work = tempfile.mkdtemp(prefix="logship-tail-")
        try:
            note = scenario(work) or ""
            print(f"ok   - {scenario.__name__} {note}".rstrip(), flush=True)
            passed += 1
        except Exception as e:
            print(f"FAIL - {scenario.__name__}: {e}", flush=True)
            traceback.print_exc()
            try:
                print(open(os.path.join(work, "agent.log")).read()[-3000:])
            except OSError:
                pass
            failed += 1
        finally:
            for p in subprocess.run(["pgrep", "-f", work], capture_output=True,
                                    text=True).stdout.split():
                os.kill(int(p), signal.SIGKILL)
            shutil.rmtree(work, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
