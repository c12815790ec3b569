#!/usr/bin/env python3
"""Kafka output and source against a real Kafka protocol peer: librdkafka's mock cluster (3
brokers) in its own process, checked with kcat.

usage: kafka_test.py PATH/TO/logship PATH/TO/kafka_mock_cluster [SCENARIO...]
Prints one line per scenario and "N passed, N failed". Everything runs on 127.0.0.1.
"""
import collections
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

from testlib import free_port, ndjson_records

BIN = os.path.abspath(sys.argv[1])
MOCK = os.path.abspath(sys.argv[2])
KCAT = shutil.which("kcat") or "/usr/bin/kcat"
STARTED = []  # processes of the running scenario


class Cluster:
    """The mock cluster helper: prints its bootstrap address, takes commands on stdin."""

    def __init__(self, topics):
        args = [MOCK, "--brokers", "3"]
        for name, partitions in topics.items():
            args += ["--topic", f"{name}:{partitions}"]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, bufsize=1)
        STARTED.append(self.proc)
        line = self.proc.stdout.readline().split()
        assert line and line[0] == "bootstrap", f"mock cluster did not start: {line}"
        self.bootstrap = line[1]
        assert all(h.startswith("127.0.0.1:") for h in self.bootstrap.split(","))

    def command(self, text):
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()
        reply = self.proc.stdout.readline().strip()
        assert reply == "ok", f"{text}: {reply}"

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def read(self, topic, debug=False, timeout=30):
        """Every message of `topic` as kcat's JSON records (and kcat's debug log if asked)."""
        args = [KCAT, "-C", "-b", self.bootstrap, "-t", topic, "-o", "beginning", "-e", "-J", "-q"]
        if debug:
            args += ["-d", "msg"]
        r = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
        records = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
        return (records, r.stderr) if debug else records

    def wait_count(self, topic, count, timeout=40):
        deadline = time.time() + timeout
        records = []
        while time.time() < deadline:
            records = self.read(topic)
            if len(records) >= count:
                return records
            time.sleep(0.3)
        return records


class Agent:
    """One logship run from a YAML body (data_dir and admin address are added)."""

    def __init__(self, work, name, body):
        self.work = work
        self.name = name
        self.config = os.path.join(work, f"{name}.yaml")
        os.makedirs(os.path.join(work, name), exist_ok=True)
        with open(self.config, "w") as f:
            f.write(f"data_dir: {work}/{name}/data\n"
                    f"admin: {{address: 127.0.0.1:{free_port()}}}\n" + body)
        self.proc = None

    def start(self):
        self.log = open(os.path.join(self.work, f"{self.name}.log"), "a")
        self.proc = subprocess.Popen([BIN, "run", "-c", self.config], stderr=self.log,
                                     stdout=subprocess.DEVNULL)
        STARTED.append(self.proc)
        return self

    def stop(self, timeout=30):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=timeout)
        assert rc == 0, f"{self.name} exited {rc}"

    def kill9(self):
        self.proc.kill()
        self.proc.wait(timeout=5)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def logtext(self):
        with open(os.path.join(self.work, f"{self.name}.log")) as f:
            return f.read()


def node_agent(work, name, logs_glob, topic="logs.app", extra=""):
    """A node agent: files -> kafka, key = the file path (one file lands in one partition)."""
    return Agent(work, name, f"""sources:
  logs:
    type: file
    include: [{logs_glob}]
    poll_interval: 50ms
    glob_interval: 200ms
    checkpoint_interval: 100ms
outputs:
  kafka:
    type: kafka
    inputs: [logs]
    brokers: "{{bootstrap}}"
    topic: "{topic}"
    key: "{{log.file.path}}"
    retry_backoff: 100ms
    flush_timeout: 2s
{extra}""")


def write_lines(path, lines):
    with open(path, "a") as f:
        for l in lines:
            f.write(l + "\n")


def payload_messages(records):
    return [json.loads(r["payload"])["message"] for r in records]


def file_messages(path):
    return [r["message"] for r in ndjson_records(path)]


def exactly(got, want):
    g, w = collections.Counter(got), collections.Counter(want)
    missing, extra = w - g, g - w
    assert not missing, f"{sum(missing.values())} missing, e.g. {list(missing)[:3]}"
    assert not extra, f"{sum(extra.values())} unexpected or duplicated, e.g. {list(extra)[:3]}"


def with_bootstrap(agent, bootstrap):
    with open(agent.config) as f:
        text = f.read()
    with open(agent.config, "w") as f:
        f.write(text.replace("{bootstrap}", bootstrap))
    return agent


def s01_produce_counts_content_zstd_keys(w):
    cluster = Cluster({"logs.app": 4})
    try:
        logs = os.path.join(w, "logs")
        os.makedirs(logs)
        want = []
        for name, n in (("a", 3000), ("b", 2000), ("c", 7)):
            lines = [f"{name} line {i} user=bob action=login ok" for i in range(n)]
            write_lines(os.path.join(logs, f"{name}.log"), lines)
            want += lines
        agent = with_bootstrap(node_agent(w, "node", f"{logs}/*.log"), cluster.bootstrap).start()
        records = cluster.wait_count("logs.app", len(want))
        time.sleep(0.5)
        records, debug = cluster.read("logs.app", debug=True)
        exactly(payload_messages(records), want)
        partitions_of = collections.defaultdict(set)
        for r in records:
            event = json.loads(r["payload"])
            assert r["key"] == event["log"]["file"]["path"], r
            assert event["host"]["name"], event
            assert "@timestamp" in event
            headers = dict(zip(r.get("headers", [])[::2], r.get("headers", [])[1::2]))
            assert headers.get("host") == event["host"]["name"], headers
            assert "severity" not in headers and "tier" not in headers, headers
            partitions_of[r["key"]].add(r["partition"])
        assert all(len(p) == 1 for p in partitions_of.values()), partitions_of
        codecs = [l.rsplit(",", 1)[-1].strip(" )") for l in debug.splitlines()
                  if "Enqueue" in l and "logs.app" in l]
        assert "zstd" in codecs, codecs[:5]
        assert set(codecs) <= {"zstd", "uncompressed"}, set(codecs)
        agent.stop()
        assert "output 'kafka' (kafka)" in agent.logtext()
    finally:
        cluster.close()


def s02_injected_errors_and_broker_down_no_loss_no_duplicates(w):
    cluster = Cluster({"logs.app": 3})
    try:
        logs = os.path.join(w, "logs")
        os.makedirs(logs)
        agent = with_bootstrap(node_agent(w, "node", f"{logs}/*.log"), cluster.bootstrap).start()
        want = []
        # NOT_LEADER_FOR_PARTITION (6), NOT_ENOUGH_REPLICAS (19), REQUEST_TIMED_OUT (7).
        cluster.command("produce_errors 6 6 19 7")
        for wave in range(6):
            lines = [f"wave {wave} line {i}" for i in range(500)]
            write_lines(os.path.join(logs, f"w{wave % 2}.log"), lines)
            want += lines
            if wave == 1:
                cluster.command("broker_down 2")
            if wave == 3:
                cluster.command("broker_up 2")
                cluster.command("produce_errors 4 19")
            time.sleep(0.4)
        records = cluster.wait_count("logs.app", len(want), timeout=60)
        time.sleep(1.5)  # late duplicates would show up now
        records = cluster.read("logs.app")
        exactly(payload_messages(records), want)
        agent.stop()
    finally:
        cluster.close()


def s03_shutdown_purges_and_restart_delivers(w):
    cluster = Cluster({"logs.app": 2})
    try:
        logs = os.path.join(w, "logs")
        os.makedirs(logs)
        for b in (1, 2, 3):
            cluster.command(f"broker_down {b}")
        want = [f"held line {i}" for i in range(800)]
        write_lines(os.path.join(logs, "a.log"), want)
        agent = with_bootstrap(node_agent(w, "node", f"{logs}/*.log"), cluster.bootstrap).start()
        time.sleep(2)
        started = time.time()
        agent.stop(timeout=30)
        assert time.time() - started < 20, "shutdown took too long"
        for b in (1, 2, 3):
            cluster.command(f"broker_up {b}")
        assert cluster.read("logs.app") == [], "delivered while every broker was down"
        agent.start()
        cluster.wait_count("logs.app", len(want))
        time.sleep(1)
        exactly(payload_messages(cluster.read("logs.app")), want)
        agent.stop()
    finally:
        cluster.close()


def aggregator(w, name, bootstrap):
    return Agent(w, name, f"""tiers:
  app: {{retention: 30d}}
sources:
  kafka:
    type: kafka
    brokers: "{bootstrap}"
    topics: [logs.app]
    group_id: aggregators
    batch_events: 200
    commit_interval: 200ms
    librdkafka: {{session.timeout.ms: "6000", heartbeat.interval.ms: "300"}}
outputs:
  out: {{type: file, inputs: [kafka], path: {w}/{name}/out.ndjson}}
""")


def s04_consumer_group_splits_and_takes_over(w):
    cluster = Cluster({"logs.app": 6})
    try:
        logs = os.path.join(w, "logs")
        os.makedirs(logs)
        a = aggregator(w, "agg_a", cluster.bootstrap).start()
        b = aggregator(w, "agg_b", cluster.bootstrap).start()
        deadline = time.time() + 30
        while time.time() < deadline:
            if "assigned" in a.logtext() and "assigned" in b.logtext():
                break
            time.sleep(0.2)
        time.sleep(2)  # let the cooperative rebalance settle
        node = with_bootstrap(node_agent(w, "node", f"{logs}/*.log",
                                         extra="tiers:\n  app: {retention: 30d}\n"),
                              cluster.bootstrap).start()
        wave1 = []
        for f in range(12):  # twelve files: twelve keys spread over the six partitions
            lines = [f"file {f} first {i}" for i in range(250)]
            write_lines(os.path.join(logs, f"f{f}.log"), lines)
            wave1 += lines
        out_a, out_b = f"{w}/agg_a/out.ndjson", f"{w}/agg_b/out.ndjson"
        deadline = time.time() + 40
        while time.time() < deadline:
            if len(set(file_messages(out_a)) | set(file_messages(out_b))) >= len(wave1):
                break
            time.sleep(0.3)
        got_a, got_b = file_messages(out_a), file_messages(out_b)
        assert got_a and got_b, f"partitions not split: a={len(got_a)} b={len(got_b)}"
        exactly(got_a + got_b, wave1)
        # The restored events keep the node's fields.
        with open(out_a) as f:
            first = json.loads(f.readline())
        assert first["log"]["file"]["path"].startswith(logs), first
        assert first["host"]["name"], first

        # Kill -9 one aggregator while a second wave streams in: the other takes its partitions.
        wave2 = []
        for step in range(10):
            lines = [f"file {f} second {step} {i}" for f in range(12) for i in range(30)]
            for f in range(12):
                write_lines(os.path.join(logs, f"f{f}.log"),
                            [l for l in lines if l.startswith(f"file {f} ")])
            wave2 += lines
            if step == 4:
                a.kill9()
            time.sleep(0.3)
        want = wave1 + wave2
        deadline = time.time() + 60
        while time.time() < deadline:
            if set(want) <= set(file_messages(out_a)) | set(file_messages(out_b)):
                break
            time.sleep(0.5)
        time.sleep(1)
        got_a, got_b = file_messages(out_a), file_messages(out_b)
        missing = set(want) - set(got_a) - set(got_b)
        assert not missing, f"{len(missing)} never delivered, e.g. {sorted(missing)[:3]}"
        count_a, count_b = collections.Counter(got_a), collections.Counter(got_b)
        assert all(v == 1 for v in count_a.values()), "a duplicate within one aggregator"
        assert all(v == 1 for v in count_b.values()), "a duplicate within one aggregator"
        duplicated = set(count_a) & set(count_b)
        # Only what A had read but not committed is read again, and only from the second wave.
        assert duplicated <= set(wave2), "a first-wave event was delivered twice"
        a_second = [m for m in got_a if m in set(wave2)]
        assert len(duplicated) <= len(a_second), (len(duplicated), len(a_second))
        print(f"     kill -9 takeover: {len(duplicated)} duplicates "
              f"(aggregator A had read {len(a_second)} second-wave events)")
        node.stop()
        b.stop()
    finally:
        cluster.close()


SCENARIOS = [
    s01_produce_counts_content_zstd_keys,
    s02_injected_errors_and_broker_down_no_loss_no_duplicates,
    s03_shutdown_purges_and_restart_delivers,
    s04_consumer_group_splits_and_takes_over,
]


def main():
    wanted = set(sys.argv[3:])
    passed = failed = 0
    for scenario in SCENARIOS:
        if wanted and scenario.__name__ not in wanted and scenario.__name__[:3] not in wanted:
            continue
        work = tempfile.mkdtemp(prefix="logship-kafka-")
        started = time.time()
        try:
            scenario(work)
            print(f"ok   - {scenario.__name__} ({time.time() - started:.1f}s)")
            passed += 1
            shutil.rmtree(work, ignore_errors=True)
        except Exception:
            print(f"FAIL - {scenario.__name__} ({time.time() - started:.1f}s); work dir {work}")
            traceback.print_exc(file=sys.stdout)
            failed += 1
        finally:
            # Agents a failed scenario left running: only the processes it started.
            while STARTED:
                proc = STARTED.pop()
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
