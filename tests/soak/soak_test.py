#!/usr/bin/python3
"""Fault-injection soak tests with the real binary.

usage: soak_test.py PATH/TO/logship SCENARIO [--scale full|short] [--seed N]
  kill9     lines written at a steady rate go file -> parse_logfmt -> scrub_pii -> file (NDJSON)
            while the agent is killed with SIGKILL and restarted at random moments: every
            sequence number must arrive, no line may be torn, and at most 1 % of the lines may
            arrive twice (only batches in flight at a kill are read again).
  outage    lines written at 5k lines/s go to the Elasticsearch receiver (tests/receivers), which
            answers 503/500 and then is down altogether before it recovers: every line must
            arrive under one _id, and the agent's RSS must stay bounded.
  rotation  the log file is rotated every second (rename to .1, older ones shifted, a new file
            created) while lines are written: the delivered lines are exactly the written ones.
Prints progress lines and ends with one line "N passed, N failed"; exits non-zero on failure.
Runs with Debian's /usr/bin/python3 (standard library only). LOGSHIP_SOAK_KEEP=1 keeps the work
directory of a failed run; --seed repeats a run's random choices (kill and restart moments).
"""
import argparse
import atexit
import collections
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from testlib import Receiver, free_port, http, wait_until  # noqa: E402

RSS_LIMIT_MB = 300

SCALES = {
    "kill9": {"full": {"lines": 1_000_000, "kills": 20, "rate": 20_000},
              "short": {"lines": 200_000, "kills": 8, "rate": 20_000}},
    # The full outage fills the default 64MiB memory buffer; the short one a smaller buffer, so
    # that the sources pause (the log file becomes the buffer) in both.
    "outage": {"full": {"rate": 5000, "healthy": 15, "outage": 120, "after": 15, "buffer": ""},
               "short": {"rate": 5000, "healthy": 4, "outage": 20, "after": 4,
                         "buffer": "    buffer: {type: memory, max_bytes: 8MiB}\n"}},
    "rotation": {"full": {"rate": 3000, "seconds": 60},
                 "short": {"rate": 3000, "seconds": 15}},
}

CHILDREN = []


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def spawn(args, **kwargs):
    # setpriv --pdeathsig: the child is killed even if this script is killed with SIGKILL.
    if shutil.which("setpriv"):
        args = ["setpriv", "--pdeathsig", "KILL", "--"] + list(args)
    p = subprocess.Popen(args, **kwargs)
    CHILDREN.append(p)
    return p


def kill_children():
    for p in CHILDREN:
        if p.poll() is None:
            p.kill()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass


class Settled:
    """True once the writer is done, every source has acknowledged the whole current log file
    and `delivered()` has not changed for `quiet` s: what is missing then will not come, so a
    loss fails at once rather than at the deadline."""

    def __init__(self, agent, writer, path, delivered, quiet=3.0):
        self.agent, self.writer, self.path, self.delivered = agent, writer, path, delivered
        self.quiet = quiet
        self.since = None
        self.last = None

    def __call__(self):
        count = self.delivered()
        if self.writer.is_alive() or self.agent.unacknowledged(self.path) != 0 \
                or count != self.last:
            self.since, self.last = None, count
            return False
        self.since = self.since or time.time()
        return time.time() - self.since >= self.quiet


class Agent:
    """logship on one pipeline file in `work`; the same data_dir and admin port across restarts."""

    def __init__(self, work, body):
        self.work = work
        self.admin = free_port()
        self.config = os.path.join(work, "pipeline.yaml")
        self.log_path = os.path.join(work, "agent.log")
        with open(self.config, "w") as f:
            f.write(f"data_dir: {work}/data\nadmin: {{address: 127.0.0.1:{self.admin}}}\n{body}")
        self.proc = None
        self.starts = 0

    def start(self, wait=True):
        with open(self.log_path, "a") as log_file:
            self.proc = spawn([BIN, "run", "-c", self.config], stderr=log_file,
                              stdout=subprocess.DEVNULL)
        self.starts += 1
        if wait:
            ok = wait_until(lambda: self.get("/healthz")[0] == 200 or not self.alive(), 60, 0.1)
            assert ok and self.alive(), "agent did not come up:\n" + self.log_tail()
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def get(self, path):
        try:
            return http("GET", f"http://127.0.0.1:{self.admin}{path}", timeout=3)
        except OSError:
            return 0, b""

    def metric(self, name, **labels):
        """Sum of the samples of `name` whose labels include `labels`."""
        _, body = self.get("/metrics")
        total = 0.0
        for line in body.decode(errors="replace").splitlines():
            if not (line.startswith(name + "{") or line.startswith(name + " ")):
                continue
            head, value = line.rsplit(" ", 1)
            if all(f'{k}="{v}"' in head for k, v in labels.items()):
                total += float(value)
        return total

    def unacknowledged(self, path):
        """Bytes of the file at `path`, as it is now, that some source has not acknowledged yet
        (None: a source does not follow it, or no answer)."""
        try:
            st = os.stat(path)
            status, body = self.get("/status")
            sources = json.loads(body)["sources"] if status == 200 else None
        except (OSError, ValueError):
            return None
        if not sources:
            return None
        identity = f"{st.st_dev}:{st.st_ino}:"
        lag = 0
        for source in sources:
            acked = [f["acknowledged_offset"] for f in source.get("state", {}).get("files", [])
                     if f["identity"].startswith(identity)]
            if not acked:
                return None
            lag += max(0, st.st_size - acked[0])
        return lag

    def rss_mb(self):
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def kill9(self):
        self.proc.kill()
        self.proc.wait(timeout=30)

    def stop(self, timeout=60):
        if not self.alive():
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"agent did not stop within {timeout} s of SIGTERM")
        assert code == 0, f"agent exited {code} on SIGTERM:\n" + self.log_tail()

    def log_tail(self, lines=30):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""


class NdjsonTail:
    """Reads the complete lines appended to a file since the last call (a big output is parsed
    once, as it grows, not again on every check)."""

    def __init__(self, path):
        self.path = path
        self.offset = 0
        self.rest = b""

    def new_lines(self):
        try:
            f = open(self.path, "rb")
        except FileNotFoundError:
            return
        with f:
            f.seek(self.offset)
            while True:  # to the end, in slices that keep memory bounded
                data = f.read(16 << 20)
                if not data:
                    return
                self.offset += len(data)
                lines = (self.rest + data).split(b"\n")
                self.rest = lines.pop()
                yield from lines


class RateWriter(threading.Thread):
    """Appends make_line(seq) for seq in [0, total) at `rate` lines/s, in 20 ms slices.
    `rotate_every` seconds, calls rotate(file) first and continues in the file it returns."""

    def __init__(self, path, make_line, rate, total=None, seconds=None, rotate=None,
                 rotate_every=None):
        super().__init__(daemon=True)
        self.path, self.make_line, self.rate = path, make_line, rate
        self.total = total if total is not None else int(rate * seconds)
        self.rotate, self.rotate_every = rotate, rotate_every
        self.written = 0
        self.error = None
        self.stop_flag = threading.Event()

    def run(self):
        try:
            f = open(self.path, "a")
            started = time.monotonic()
            next_rotation = started + (self.rotate_every or 0)
            while self.written < self.total and not self.stop_flag.is_set():
                now = time.monotonic()
                if self.rotate and now >= next_rotation:
                    f = self.rotate(f)
                    next_rotation += self.rotate_every
                due = min(self.total, int((now - started) * self.rate) + 1)
                if due > self.written:
                    f.write("".join(self.make_line(s) for s in range(self.written, due)))
                    f.flush()
                    self.written = due
                time.sleep(0.02)
            f.close()
        except Exception as e:  # reported by the scenario, which waits on this thread
            self.error = e


# ---------------------------------------------------------------------------------------------
# kill9: SIGKILL at random moments while lines go through parse -> scrub -> file output.


def kill9_line(seq):
    # A logfmt line whose message holds an e-mail address and an IPv4 address for scrub_pii.
    return (f"ts={time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} level=info seq={seq} "
            f"user=u{seq % 1000} msg=\"login by user{seq}@example.com from "
            f"10.{seq >> 16 & 255}.{seq >> 8 & 255}.{seq & 255} ok\"\n")


def scenario_kill9(work, scale, rng):
    total, kills, rate = scale["lines"], scale["kills"], scale["rate"]
    source_log = os.path.join(work, "app.log")
    out = os.path.join(work, "out.ndjson")
    # Default intervals: positions are written as acknowledgements advance them, so a killed run
    # repeats only what was in flight: at most 1 % of the lines over all kills.
    agent = Agent(work, f"""sources:
  app: {{type: file, include: [{source_log}]}}
transforms:
  parse: {{type: parse_logfmt, inputs: [app]}}
  scrub: {{type: scrub_pii, inputs: [parse], rules: [email, ipv4], action: redact,
          fields: [event.original]}}
outputs:
  out: {{type: file, inputs: [scrub], path: {out}}}
""")
    counts = bytearray(total)  # deliveries per sequence number (capped at 255)
    tally = {"lines": 0}
    bad = {"corrupt": [0], "unscrubbed": [0], "unknown": [0]}  # [count, first examples...]

    def flag(kind, example):
        bad[kind][0] += 1
        if len(bad[kind]) <= 3:
            bad[kind].append(example)

    reader = NdjsonTail(out)

    def consume():
        for raw in reader.new_lines():
            tally["lines"] += 1
            try:
                event = json.loads(raw)
                seq = int(event["seq"])
            except (ValueError, KeyError, TypeError):
                flag("corrupt", raw[:600])
                continue
            if not 0 <= seq < total:
                flag("unknown", seq)
                continue
            message = event.get("message", "")
            if b"@example.com" in raw or "[REDACTED:email]" not in message \
                    or "[REDACTED:ipv4]" not in message:
                flag("unscrubbed", raw[:300])
            if counts[seq] < 255:
                counts[seq] += 1

    writer = RateWriter(source_log, kill9_line, rate, total=total)
    writer.start()
    agent.start(wait=False)
    # Kills spread over the time the writer needs; some land right after a restart, before the
    # agent has even read its checkpoints. The output is only parsed afterwards, so that parsing
    # does not stretch the schedule.
    mean_cycle = total / rate / kills
    for k in range(kills):
        up = rng.uniform(0.05, 1.5 * mean_cycle)
        time.sleep(up)
        assert agent.alive(), f"the agent died by itself before kill {k + 1}:\n" + agent.log_tail()
        agent.kill9()
        down = rng.uniform(0.0, min(1.5, 0.5 * mean_cycle))
        size = os.path.getsize(out) if os.path.exists(out) else 0
        log(f"kill {k + 1}/{kills} after {up:.2f} s up; {writer.written} lines written, "
            f"output {size / 2**20:.1f} MiB; restart in {down:.2f} s")
        time.sleep(down)
        agent.start(wait=False)
    deadline = time.time() + 120 + total / 2000  # generous for 2 busy cores
    settled = Settled(agent, writer, source_log, lambda: tally["lines"])
    while time.time() < deadline:
        consume()
        if not writer.is_alive() and counts.count(0) == 0 or settled():
            break
        assert agent.alive(), "the agent died by itself after the last restart:\n" + \
            agent.log_tail()
        time.sleep(0.5)
    writer.join(5)
    assert writer.error is None, f"writer failed: {writer.error}"
    time.sleep(1.5)  # past a checkpoint interval, so the stop below has nothing left to send
    agent.stop()
    consume()
    missing = counts.count(0)
    delivered = total - missing
    duplicates = tally["lines"] - bad["corrupt"][0] - bad["unknown"][0] - delivered
    log(f"{total} lines written, {kills} kills, {agent.starts} starts; {delivered} delivered, "
        f"{duplicates} duplicates (at most {max(counts)} copies of a line), "
        f"{bad['corrupt'][0]} corrupt output lines")
    first_missing = [i for i, c in enumerate(counts) if c == 0][:5]
    problems = []
    if missing:
        problems.append(f"{missing} of {total} lines lost, e.g. seq {first_missing}")
    if bad["corrupt"][0]:
        # A write cut short by SIGKILL, then appended to by the next run.
        problems.append(f"{bad['corrupt'][0]} output lines are not JSON events, e.g. "
                        f"{bad['corrupt'][1:]}")
    if bad["unknown"][0]:
        problems.append(f"sequence numbers never written: {bad['unknown'][1:]}")
    if bad["unscrubbed"][0]:
        problems.append(f"{bad['unscrubbed'][0]} events not scrubbed, e.g. "
                        f"{bad['unscrubbed'][1:]}")
    if duplicates > total // 100:
        problems.append(f"{duplicates} duplicates: more than 1 % of {total} lines")
    assert not problems, "\n".join(problems)
    return f"{duplicates} duplicates over {kills} kills"


# ---------------------------------------------------------------------------------------------
# outage: the Elasticsearch output refused (503/500), then down, then back.


def outage_line(seq):
    return f"{seq:08d} outage soak user=u{seq % 97} action=login padding={'x' * (seq % 50)}\n"


def scenario_outage(work, scale, rng):
    rate = scale["rate"]
    source_log = os.path.join(work, "app.log")
    # One output file per receiver process: a receiver that was killed forgets its documents,
    # so a copy sent to both is a resend that Elasticsearch would answer with 409, not a dup.
    rx_out = [os.path.join(work, "es.1.ndjson"), os.path.join(work, "es.2.ndjson")]
    rx = Receiver("elasticsearch", rx_out[0], popen=spawn).start()
    agent = Agent(work, f"""sources:
  app: {{type: file, include: [{source_log}]}}
outputs:
  es:
    type: elasticsearch
    inputs: [app]
    endpoint: "{rx.url()}"
    mode: data_stream
    index: soak-outage
    retry: {{initial_backoff: 200ms, max_backoff: 5s}}
{scale["buffer"]}""").start()
    seconds = scale["healthy"] + scale["outage"] + scale["after"]
    writer = RateWriter(source_log, outage_line, rate, seconds=seconds)
    writer.start()
    samples = {"rss": [], "queue": []}

    def sample():
        samples["rss"].append(agent.rss_mb())
        samples["queue"].append(agent.metric("logship_output_queue_bytes", component_id="es"))
        assert agent.alive(), "the agent died:\n" + agent.log_tail()

    def run_for(secs):
        end = time.time() + secs
        while time.time() < end:
            sample()
            time.sleep(0.5)

    run_for(scale["healthy"])
    stored_healthy = rx.stats()["stored"]
    assert stored_healthy > 0, "nothing arrived before the outage"
    log(f"healthy: {stored_healthy} documents stored, {writer.written} lines written")

    half = scale["outage"] / 2
    rx.control({"whole": ["503", "500"] * 200_000})
    time.sleep(1)  # requests already past the fault check may still store their items
    refused_from = rx.stats()["stored"]
    run_for(half - 1)
    stats = rx.stats()
    assert stats["stored"] == refused_from, "documents were stored while the receiver refused"
    log(f"refusing (503/500) for {half:.0f} s: {writer.written} lines written, "
        f"peak RSS {max(samples['rss']):.0f} MB")

    rx.stop()
    run_for(half)
    log(f"down for {half:.0f} s: {writer.written} lines written, peak RSS "
        f"{max(samples['rss']):.0f} MB, peak queue {max(samples['queue']) / 2**20:.1f} MiB")

    rx = Receiver("elasticsearch", rx_out[1], rx.port, popen=spawn).start()
    recovered = time.time()
    rows = {"ids": collections.Counter(), "messages": collections.Counter(), "pairs": set()}
    readers = [NdjsonTail(p) for p in rx_out]

    def consume():
        for r in readers:
            for raw in r.new_lines():
                row = json.loads(raw)
                message = row["doc"]["message"]
                rows["ids"][(row["index"], row["id"])] += 1
                rows["messages"][message] += 1
                rows["pairs"].add((message, row["index"], row["id"]))
        return len(rows["messages"])

    deadline = time.time() + 120 + 2 * seconds
    settled = Settled(agent, writer, source_log, consume)
    while time.time() < deadline:
        sample()
        if not writer.is_alive() and consume() >= writer.total or settled():
            break
        time.sleep(0.5)
    writer.join(5)
    assert writer.error is None, f"writer failed: {writer.error}"
    caught_up = time.time() - recovered
    time.sleep(1)
    consume()
    final = rx.stats()
    agent.stop()
    want = {outage_line(s).rstrip("\n") for s in range(writer.total)}
    got = set(rows["messages"])
    resent = sum(rows["ids"].values()) - len(rows["ids"])
    peak_rss = max(samples["rss"])
    log(f"recovered: {len(got)} of {writer.total} lines arrived {caught_up:.1f} s after the "
        f"receiver came back; peak RSS {peak_rss:.0f} MB, peak queue "
        f"{max(samples['queue']) / 2**20:.1f} MiB; {final['conflicts']} 409s, "
        f"{resent} resent across the receiver restart")
    missing = want - got
    assert not missing, f"{len(missing)} lines lost, e.g. {sorted(missing)[:3]}"
    assert not got - want, f"unexpected documents: {sorted(got - want)[:3]}"
    # A line must always get the same _id, or Elasticsearch would keep it twice.
    assert len(rows["pairs"]) == len(got), \
        f"{len(rows['pairs']) - len(got)} lines were stored under more than one _id"
    assert final["overwrites"] == 0 and not final["errors"], final
    assert peak_rss <= RSS_LIMIT_MB, f"agent RSS peaked at {peak_rss:.0f} MB"
    return f"peak RSS {peak_rss:.0f} MB, caught up in {caught_up:.0f} s"


# ---------------------------------------------------------------------------------------------
# rotation: rename to .1 (older ones shifted, as logrotate does) and a new file, every second.


def rotation_line(seq):
    return f"rotation soak {seq:08d} {'y' * (seq % 60)}\n"


def scenario_rotation(work, scale, rng):
    logs = os.path.join(work, "logs")
    os.makedirs(logs)
    source_log = os.path.join(logs, "app.log")
    # Two sources on the same files: one whose glob also matches the rotated names, one that
    # names only app.log and so must follow each rotated file by its identity.
    outs = {"glob": os.path.join(work, "glob.ndjson"), "name": os.path.join(work, "name.ndjson")}
    agent = Agent(work, f"""sources:
  glob: {{type: file, include: ["{logs}/app.log*"], exclude: ["*.gz"]}}
  name: {{type: file, include: ["{source_log}"]}}
outputs:
  glob_out: {{type: file, inputs: [glob], path: {outs["glob"]}}}
  name_out: {{type: file, inputs: [name], path: {outs["name"]}}}
""").start()
    keep = 5
    rotations = [0]

    def rotate(f):
        for i in range(keep - 1, 0, -1):
            older = f"{source_log}.{i}"
            if os.path.exists(older):
                os.rename(older, f"{source_log}.{i + 1}")
        os.rename(source_log, source_log + ".1")
        # The application goes on writing to the renamed file until it reopens its log.
        late = rng.randrange(0, 20)
        f.write("".join(rotation_line(s) for s in range(writer.written, writer.written + late)))
        f.flush()
        writer.written += late
        f.close()
        rotations[0] += 1
        return open(source_log, "a")

    writer = RateWriter(source_log, rotation_line, scale["rate"], seconds=scale["seconds"],
                        rotate=rotate, rotate_every=1.0)
    writer.start()
    messages = {k: collections.Counter() for k in outs}
    readers = {k: NdjsonTail(p) for k, p in outs.items()}

    def consume():
        for k, reader in readers.items():
            for raw in reader.new_lines():
                messages[k][json.loads(raw)["message"]] += 1
        return min(len(m) for m in messages.values())

    last_report = time.time()
    deadline = time.time() + scale["seconds"] + 120
    settled = Settled(agent, writer, source_log,
                      lambda: (consume(), sum(sum(m.values()) for m in messages.values())))
    while time.time() < deadline:
        assert agent.alive(), "the agent died:\n" + agent.log_tail()
        if not writer.is_alive() and consume() >= writer.written or settled():
            break
        if time.time() - last_report >= 5:
            last_report = time.time()
            consume()
            log(f"{rotations[0]} rotations, {writer.written} lines written, delivered: " +
                ", ".join(f"{k} {len(m)}" for k, m in messages.items()))
        time.sleep(0.3)
    writer.join(5)
    assert writer.error is None, f"writer failed: {writer.error}"
    time.sleep(2)  # anything repeated late would show up here
    agent.stop()
    consume()
    want = collections.Counter(rotation_line(s).rstrip("\n") for s in range(writer.written))
    log(f"{rotations[0]} rotations, {writer.written} lines written, delivered: " +
        ", ".join(f"{k} {sum(m.values())}" for k, m in messages.items()))
    problems = []
    for k, got in messages.items():
        missing, extra = want - got, got - want
        if missing:
            problems.append(f"source {k}: {sum(missing.values())} lines lost, e.g. "
                            f"{sorted(missing)[:3]}")
        if extra:
            problems.append(f"source {k}: {sum(extra.values())} lines duplicated or unexpected, "
                            f"e.g. {sorted(extra)[:3]}")
    assert not problems, "; ".join(problems)
    return f"{rotations[0]} rotations, {writer.written} lines exactly once through both sources"


SCENARIOS = {"kill9": scenario_kill9, "outage": scenario_outage, "rotation": scenario_rotation}


def main():
    global BIN
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("logship")
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--scale", choices=["full", "short"], default="full")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    BIN = os.path.abspath(args.logship)
    seed = args.seed if args.seed is not None else random.randrange(1 << 31)
    atexit.register(kill_children)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so atexit runs on ctest's timeout

    work = tempfile.mkdtemp(prefix=f"logship-soak-{args.scenario}-")
    started = time.time()
    log(f"{args.scenario} ({args.scale} scale, --seed {seed}) in {work}")
    passed = failed = 0
    try:
        note = SCENARIOS[args.scenario](work, SCALES[args.scenario][args.scale],
                                        random.Random(seed))
        print(f"ok   - {args.scenario} ({time.time() - started:.1f} s): {note}", flush=True)
        passed = 1
    except Exception:
        print(f"FAIL - {args.scenario} ({time.time() - started:.1f} s, --seed {seed})",
              flush=True)
        traceback.print_exc(file=sys.stdout)
        failed = 1
    finally:
        kill_children()
        if failed:
            try:
                with open(os.path.join(work, "agent.log"), errors="replace") as f:
                    print("---- agent.log (tail)\n" + "".join(f.readlines()[-30:]))
            except OSError:
                pass
        if failed and os.environ.get("LOGSHIP_SOAK_KEEP"):
            print(f"work dir kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
