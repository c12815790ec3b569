#!/usr/bin/python3
"""The HTTP outputs against real peers with the real binary: file source -> loki / elasticsearch
output -> the receivers in tests/receivers (which decode the real wire formats), and the webhook
output -> Debian's prometheus-alertmanager.

usage: http_outputs_test.py PATH/TO/logship [SCENARIO...]
Every scenario checks that each line arrives exactly once with its fields; fault scenarios inject
errors through the receivers; outage scenarios stop the receiver for 30 s and check that the
sources pause (bounded logship_output_queue_bytes) and that nothing is lost. The tls_* scenarios
serve HTTPS from the receivers with a CA and certificates made by the openssl command at run time,
and check that the outputs verify the server (CA, name) and present a client certificate. Prints
one line per scenario and "N passed, N failed". Needs python3-protobuf, python3-snappy and openssl
(Debian).
"""
import json
import re
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

from testlib import Pki, Receiver, free_port, http, wait_until

BIN = os.path.abspath(sys.argv[1])
OUTAGE_SECONDS = 30


def receiver(kind, work, port=0, **tls):
    """A receiver of `kind` storing what it gets in WORK/KIND.received.ndjson."""
    return Receiver(kind, os.path.join(work, f"{kind}.received.ndjson"), port, **tls)


class Agent:
    def __init__(self, work, output_yaml, extra=""):
        self.work = work
        self.admin = free_port()
        self.config = os.path.join(work, "p.yaml")
        self.write_config(output_yaml, extra)
        self.proc = None

    def write_config(self, output_yaml, extra=""):
        work = self.work
        with open(self.config, "w") as f:
            f.write(f"""data_dir: {work}/data
admin: {{address: 127.0.0.1:{self.admin}}}
{extra}
sources:
  logs:
    type: file
    include: [{work}/logs/*.log]
    poll_interval: 50ms
    glob_interval: 200ms
    idle_flush: 300ms
    checkpoint_interval: 200ms
outputs:
{output_yaml}
""")

    def start(self):
        self.log = open(os.path.join(self.work, "agent.log"), "a")
        self.proc = subprocess.Popen([BIN, "run", "-c", self.config], stderr=self.log,
                                     stdout=subprocess.DEVNULL)
        ok = wait_until(lambda: self.get("/healthz")[0] == 200, 10)
        assert ok, "agent did not come up: " + open(os.path.join(self.work, "agent.log")).read()
        return self

    def get(self, path):
        try:
            return http("GET", f"http://127.0.0.1:{self.admin}{path}", timeout=2)
        except OSError:
            return 0, b""

    def metric(self, name, **labels):
        """Sum of the samples of `name` whose labels include `labels`."""
        status, body = self.get("/metrics")
        total = 0.0
        for line in body.decode().splitlines():
            if not line.startswith(name + "{") and not line.startswith(name + " "):
                continue
            head, value = line.rsplit(" ", 1)
            if all(f'{k}="{v}"' in head for k, v in labels.items()):
                total += float(value)
        return total

    def metrics_matching(self, name, **labels):
        """The `status` label values (or the whole label text when there is none) of the samples
        of `name` whose labels include `labels` and whose value is not 0."""
        status, body = self.get("/metrics")
        found = []
        for line in body.decode().splitlines():
            if not line.startswith(name + "{"):
                continue
            head, value = line.rsplit(" ", 1)
            if float(value) == 0 or not all(f'{k}="{v}"' in head for k, v in labels.items()):
                continue
            m = re.search(r'status="([^"]*)"', head)
            found.append(m.group(1) if m else head)
        return found

    def reload(self, output_yaml, extra=""):
        """Rewrites the config and reloads it through POST /reload; returns the reply."""
        self.write_config(output_yaml, extra)
        try:
            status, body = http("POST", f"http://127.0.0.1:{self.admin}/reload", b"", timeout=20)
        except OSError as e:
            raise AssertionError(f"POST /reload failed: {e}")
        assert status == 200, f"reload answered {status}: {body[:300]!r}"
        return body.decode()

    def output_health(self):
        """{output id: healthy} from /status."""
        status, body = self.get("/status")
        assert status == 200, status
        return {o["id"]: o["healthy"] for o in json.loads(body)["outputs"]}

    def log_text(self):
        with open(os.path.join(self.work, "agent.log")) as f:
            return f.read()

    def rss_mb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                code = self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("agent did not stop within 20 s of SIGTERM")
            assert code == 0, f"agent exited {code}"


def write_lines(work, name, n, prefix):
    os.makedirs(os.path.join(work, "logs"), exist_ok=True)
    lines = [f"{prefix}-{i:06d} user=u{i % 97} action=login result=ok padding={'x' * (i % 40)}"
             for i in range(n)]
    with open(os.path.join(work, "logs", name), "a") as f:
        f.write("\n".join(lines) + "\n")
    return lines


def check_exactly_once(got, expected, what):
    missing = set(expected) - set(got)
    assert not missing, f"{what}: {len(missing)} lines missing, e.g. {sorted(missing)[:3]}"
    seen = {}
    for m in got:
        seen[m] = seen.get(m, 0) + 1
    dups = [m for m, c in seen.items() if c > 1]
    assert not dups, f"{what}: {len(dups)} lines more than once, e.g. {dups[:3]}"
    extra = set(got) - set(expected)
    assert not extra, f"{what}: unexpected lines {sorted(extra)[:3]}"


LOKI_OUTPUT = """  loki:
    type: loki
    inputs: [logs]
    endpoint: "{url}"
    labels: {{host: "{{host.name}}", job: "logship-test", level: "{{log.level}}"}}
    batch: {{max_events: {max_events}, timeout: 200ms}}
    retry: {{initial_backoff: 100ms, max_backoff: 2s}}
{extra}"""


def loki_messages(receiver):
    rows = receiver.rows()
    return rows, [json.loads(r["line"])["message"] for r in rows]


def scenario_loki_exactly_once(work):
    lines = write_lines(work, "app.log", 100_000, "loki")
    rx = receiver("loki", work).start()
    agent = Agent(work, LOKI_OUTPUT.format(url=rx.url(), max_events=5000, extra="")).start()
    try:
        ok = wait_until(lambda: rx.stats()["entries"] >= len(lines), 120, 0.5)
        assert ok, f"only {rx.stats()['entries']} of {len(lines)} entries arrived"
        time.sleep(0.5)
        stats = rx.stats()
        assert not stats["errors"], stats["errors"]
        assert stats["content_types"] == {"application/x-protobuf": stats["pushes"]}, stats
        rows, messages = loki_messages(rx)
        check_exactly_once(messages, lines, "loki")
        first = json.loads(rows[0]["line"])
        assert first["log"]["file"]["path"].endswith("/logs/app.log"), first
        assert isinstance(first["log"]["offset"], int) and first["host"]["name"], first
        assert rows[0]["labels"]["job"] == "logship-test" and rows[0]["labels"]["host"], rows[0]
        assert "level" not in rows[0]["labels"]  # empty values leave the label out
        assert agent.get("/readyz")[0] == 200
        assert agent.metric("logship_output_http_requests_total", output="loki",
                            status="204") == stats["pushes"]
    finally:
        agent.stop()
        rx.stop()


def scenario_loki_json_tenants_and_faults(work):
    lines = write_lines(work, "app.log", 20_000, "lokij")
    rx = receiver("loki", work).start()
    rx.control({"whole": ["500", "429", "drop", "slow", "503", "drop", "500"],
                "slow_seconds": 1.5})
    extra = "    encoding: json\n    tenant: \"team-{host.name}\"\n    concurrency: 3\n"
    agent = Agent(work, LOKI_OUTPUT.format(url=rx.url(), max_events=1000, extra=extra)).start()
    try:
        ok = wait_until(lambda: rx.stats()["entries"] >= len(lines), 120, 0.5)
        assert ok, f"only {rx.stats()['entries']} of {len(lines)} entries arrived"
        time.sleep(1)
        stats = rx.stats()
        assert not stats["errors"], stats["errors"]
        assert list(stats["content_types"]) == ["application/json"], stats
        assert len(stats["tenants"]) == 1 and list(stats["tenants"])[0].startswith("team-")
        _, messages = loki_messages(rx)
        check_exactly_once(messages, lines, "loki json")
        # 500, 429, 503, 500 retried; a dropped connection is either retried or, on a reused
        # keep-alive connection, sent again at once on a new one.
        assert agent.metric("logship_output_http_retries_total", output="loki") >= 4
        assert agent.metric("logship_output_http_requests_total", output="loki",
                            status="429") == 1
        assert not os.path.exists(os.path.join(work, "data", "dead_letter", "loki.ndjson"))
    finally:
        agent.stop()
        rx.stop()


def outage(work, kind, make_output, count):
    """Receiver down for OUTAGE_SECONDS while `count` lines wait; then back."""
    lines = write_lines(work, "app.log", count, kind)
    port = free_port()
    rx = receiver(kind, work, port)
    agent = Agent(work, make_output(f"http://127.0.0.1:{port}")).start()
    try:
        # Healthy until its first request fails: sample the outage from then on.
        assert wait_until(lambda: agent.get("/readyz")[0] == 503, 10), "/readyz never said 503"
        queue_samples = []
        read_samples = []
        ready_codes = set()
        rss = []
        end = time.time() + OUTAGE_SECONDS
        while time.time() < end:
            queue_samples.append(agent.metric("logship_output_queue_bytes", component_id=kind))
            read_samples.append(agent.metric("logship_component_sent_events_total",
                                             component_id="logs"))
            ready_codes.add(agent.get("/readyz")[0])
            rss.append(agent.rss_mb())
            time.sleep(1)
        assert 0 < max(queue_samples) <= 12 * 2**20, f"queue grew to {max(queue_samples)} bytes"
        assert read_samples[-1] < count, "the source read everything although nothing was sent"
        assert read_samples[-1] == read_samples[len(read_samples) // 2], \
            f"the source kept reading while the output was down: {read_samples}"
        assert ready_codes == {503}, f"/readyz answered {ready_codes} during the outage"
        assert max(rss) < 400, f"agent memory grew to {max(rss)} MB"
        rx.start()
        return rx, agent, lines
    except BaseException:
        agent.stop()
        raise


def scenario_loki_outage(work):
    def output(url):
        return LOKI_OUTPUT.format(url=url, max_events=2000,
                                  extra="    buffer: {type: memory, max_bytes: 4MiB}\n")
    rx, agent, lines = outage(work, "loki", output, 100_000)
    try:
        ok = wait_until(lambda: rx.stats()["entries"] >= len(lines), 180, 0.5)
        assert ok, f"only {rx.stats()['entries']} of {len(lines)} entries arrived"
        time.sleep(0.5)
        _, messages = loki_messages(rx)
        check_exactly_once(messages, lines, "loki after outage")
        assert wait_until(lambda: agent.get("/readyz")[0] == 200, 10)
    finally:
        agent.stop()
        rx.stop()


ES_OUTPUT = """  elasticsearch:
    type: elasticsearch
    inputs: [logs]
    endpoint: "{url}"
    mode: data_stream
    index: "logs-{{host.name}}-%Y.%m.%d"
    batch: {{max_events: {max_events}, timeout: 200ms}}
    retry: {{initial_backoff: 100ms, max_backoff: 2s}}
{extra}"""


def es_messages(receiver):
    rows = receiver.rows()
    return rows, [r["doc"]["message"] for r in rows]


def scenario_es_exactly_once(work):
    lines = write_lines(work, "app.log", 100_000, "es")
    rx = receiver("elasticsearch", work).start()
    status, _ = http("GET", rx.url() + "/")
    assert status == 200
    agent = Agent(work, ES_OUTPUT.format(url=rx.url(), max_events=5000, extra="")).start()
    try:
        ok = wait_until(lambda: rx.stats()["stored"] >= len(lines), 120, 0.5)
        assert ok, f"only {rx.stats()['stored']} of {len(lines)} documents arrived"
        time.sleep(0.5)
        stats = rx.stats()
        assert not stats["errors"] and stats["conflicts"] == 0, stats
        rows, messages = es_messages(rx)
        check_exactly_once(messages, lines, "elasticsearch")
        doc = rows[0]["doc"]
        assert rows[0]["action"] == "create" and rows[0]["index"].startswith("logs-"), rows[0]
        assert "@timestamp" in doc and doc["log"]["file"]["path"].endswith("app.log"), doc
        assert len(rows[0]["id"]) == 32
    finally:
        agent.stop()
        rx.stop()


def scenario_es_faults(work):
    """Item-level faults first, then whole-request faults (a dropped answer after storing
    would otherwise hide which items failed)."""
    rx = receiver("elasticsearch", work).start()
    rx.control({"items": ["429", "400", "409", "429", "503", "400", "429"]})
    lines = write_lines(work, "app.log", 10_000, "esf")
    agent = Agent(work, ES_OUTPUT.format(url=rx.url(), max_events=1000,
                                         extra="    concurrency: 3\n")).start()
    dead_path = os.path.join(work, "data", "dead_letter", "elasticsearch.ndjson")

    def settled():
        dead = sum(1 for _ in open(dead_path)) if os.path.exists(dead_path) else 0
        return rx.stats()["stored"] + dead >= len(lines)
    try:
        assert wait_until(settled, 120, 0.5), f"stored {rx.stats()['stored']} of {len(lines)}"
        rx.control({"whole": ["429", "413", "500", "drop", "drop_after", "slow", "503",
                              "drop_after"], "slow_seconds": 1.5})
        lines += write_lines(work, "app.log", 10_000, "esg")
        assert wait_until(settled, 120, 0.5), f"stored {rx.stats()['stored']} of {len(lines)}"
        time.sleep(1)
        rows, messages = es_messages(rx)
        dead = [json.loads(l) for l in open(dead_path)]
        assert len(dead) == 2, f"expected the 2 injected 400s dead-lettered, got {len(dead)}"
        for d in dead:
            assert d["error"]["code"] == 400 and "mapper_parsing_exception" in d["error"]["message"]
        # Every line exactly once: stored, or dead-lettered; and never stored twice.
        check_exactly_once(messages + [d["message"] for d in dead], lines, "elasticsearch faults")
        stats = rx.stats()
        assert stats["overwrites"] == 0 and not stats["errors"], stats
        assert stats["conflicts"] >= 1, stats  # the resent answers of dropped requests were 409s
        assert agent.metric("logship_output_rejected_events_total", output="elasticsearch",
                            reason="mapper_parsing_exception") == 2
        retries = agent.metric("logship_output_http_retries_total", output="elasticsearch")
        assert retries >= 4, f"only {retries} retries"  # 429, 500, 503 and the item retries
    finally:
        agent.stop()
        rx.stop()


def scenario_es_outage(work):
    def output(url):
        return ES_OUTPUT.format(url=url, max_events=2000,
                                extra="    buffer: {type: memory, max_bytes: 4MiB}\n")
    rx, agent, lines = outage(work, "elasticsearch", output, 100_000)
    try:
        ok = wait_until(lambda: rx.stats()["stored"] >= len(lines), 180, 0.5)
        assert ok, f"only {rx.stats()['stored']} of {len(lines)} documents arrived"
        time.sleep(0.5)
        _, messages = es_messages(rx)
        check_exactly_once(messages, lines, "elasticsearch after outage")
        assert wait_until(lambda: agent.get("/readyz")[0] == 200, 10)
    finally:
        agent.stop()
        rx.stop()


# Outputs that cannot deliver hold up a reload or a stop this long, not the default 10 s.
TLS_EXTRA = "shutdown_timeout: 2s\n"


def es_tls_output(name, url, tls):
    """An elasticsearch output `name` into indices named after it; `tls` is a YAML flow map."""
    return f"""  {name}:
    type: elasticsearch
    inputs: [logs]
    endpoint: "{url}"
    index: "{name}-%Y.%m.%d"
    batch: {{max_events: 500, timeout: 200ms}}
    retry: {{initial_backoff: 100ms, max_backoff: 1s}}
    connect_timeout: 3s
""" + (f"    tls: {tls}\n" if tls else "")


def es_messages_of(receiver, output):
    return [r["doc"]["message"] for r in receiver.rows() if r["index"].startswith(output + "-")]


def wait_refused(rx, agent, output, seconds=15):
    """The receiver saw failed handshakes and `output` finished requests without a response."""
    ok = wait_until(lambda: rx.stats()["tls_failures"] >= 2 and agent.metric(
        "logship_output_http_requests_total", output=output, status="error") >= 2, seconds)
    assert ok, f"no refused handshakes seen: {rx.stats()}"


def scenario_tls_ca_file(work):
    """HTTPS to a server whose CA is given in ca_file: Elasticsearch by the endpoint's IP, Loki
    by server_name localhost (the certificate's DNS name)."""
    pki = Pki(work)
    lines = write_lines(work, "app.log", 3000, "tls")
    es = receiver("elasticsearch", work, pki=pki).start()
    loki = receiver("loki", work, pki=pki).start()
    outputs = es_tls_output("es", es.url(), f"{{ca_file: {pki.ca}}}") + LOKI_OUTPUT.format(
        url=loki.url(), max_events=500,
        extra=f"    tls: {{ca_file: {pki.ca}, server_name: localhost}}\n")
    agent = Agent(work, outputs, TLS_EXTRA).start()
    try:
        ok = wait_until(lambda: es.stats()["stored"] >= len(lines)
                        and loki.stats()["entries"] >= len(lines), 30, 0.3)
        assert ok, f"of {len(lines)}: es stored {es.stats()['stored']}, " \
                   f"loki {loki.stats()['entries']}"
        time.sleep(0.5)
        check_exactly_once(es_messages_of(es, "es"), lines, "elasticsearch over https")
        check_exactly_once(loki_messages(loki)[1], lines, "loki over https")
        for rx in (es, loki):
            stats = rx.stats()
            assert stats["tls_failures"] == 0 and not stats["errors"], stats
        for output in ("es", "loki"):
            assert agent.metric("logship_output_http_requests_total", output=output,
                                status="error") == 0
        assert agent.get("/readyz")[0] == 200
    finally:
        agent.stop()
        es.stop()
        loki.stop()


def scenario_tls_verify_refuses(work):
    """Without ca_file the system store is used, which does not know the test CA: nothing is
    sent, the agent is not ready and says why; once the CA is configured (reload), every line
    arrives once."""
    pki = Pki(work)
    lines = write_lines(work, "app.log", 3000, "noca")
    rx = receiver("elasticsearch", work, pki=pki).start()
    agent = Agent(work, es_tls_output("es", rx.url(), ""), TLS_EXTRA).start()
    try:
        wait_refused(rx, agent, "es")
        stats = rx.stats()
        assert stats["requests"] == 0, stats
        assert any("unknown ca" in e for e in stats["tls_errors"]), stats["tls_errors"]
        assert wait_until(lambda: agent.get("/readyz")[0] == 503, 5), "ready without a server"
        assert agent.output_health() == {"es": False}
        assert agent.metric("logship_output_http_requests_total", output="es", status="200") == 0
        assert agent.metric("logship_component_errors_total", component_id="es",
                            reason="tls handshake") >= 1
        assert "output 'es' -> https://127.0.0.1:" in agent.log_text()
        assert "tls handshake: certificate verify failed" in agent.log_text()

        fixed = es_tls_output("es", rx.url(), f"{{ca_file: {pki.ca}}}")
        reply = agent.reload(fixed, TLS_EXTRA)
        ok = wait_until(lambda: rx.stats()["stored"] >= len(lines), 30, 0.3)
        assert ok, f"after the reload ({reply.strip()}) only {rx.stats()['stored']} of " \
                   f"{len(lines)} documents arrived"
        time.sleep(0.5)
        check_exactly_once(es_messages_of(rx, "es"), lines, "elasticsearch after the CA was set")
        assert wait_until(lambda: agent.get("/readyz")[0] == 200, 5)
    finally:
        agent.stop()
        rx.stop()


def scenario_tls_server_name(work):
    """A server_name the certificate does not cover is refused; verify: false connects anyway
    (neither the chain, unknown without ca_file, nor the name is checked)."""
    pki = Pki(work)
    lines = write_lines(work, "app.log", 3000, "sni")
    rx = receiver("elasticsearch", work, pki=pki).start()
    wrong_name = f"{{ca_file: {pki.ca}, server_name: wrong.example}}"
    outputs = (es_tls_output("wrong", rx.url(), wrong_name)
               + es_tls_output("insecure", rx.url(), "{verify: false, server_name: wrong.example}"))
    agent = Agent(work, outputs, TLS_EXTRA).start()
    try:
        ok = wait_until(lambda: len(es_messages_of(rx, "insecure")) >= len(lines), 30, 0.3)
        assert ok, f"verify: false: {len(es_messages_of(rx, 'insecure'))} of {len(lines)} arrived"
        wait_refused(rx, agent, "wrong")
        time.sleep(0.5)
        check_exactly_once(es_messages_of(rx, "insecure"), lines, "verify: false")
        assert es_messages_of(rx, "wrong") == [], "a server with another name was trusted"
        assert agent.metric("logship_output_http_requests_total", output="wrong",
                            status="200") == 0
        assert agent.output_health() == {"wrong": False, "insecure": True}
        assert agent.get("/readyz")[0] == 503
        assert agent.metric("logship_component_errors_total", component_id="wrong",
                            reason="tls handshake") >= 1
        assert "output 'wrong' -> " in agent.log_text()
    finally:
        agent.stop()
        rx.stop()


def scenario_tls_client_cert(work):
    """A server that requires a client certificate: the output with cert_file/key_file delivers,
    the one without delivers nothing."""
    pki = Pki(work)
    lines = write_lines(work, "app.log", 3000, "mtls")
    rx = receiver("elasticsearch", work, pki=pki, client_ca=True).start()
    with_cert = f"{{ca_file: {pki.ca}, cert_file: {pki.client_cert}, key_file: {pki.client_key}}}"
    outputs = (es_tls_output("with_cert", rx.url(), with_cert)
               + es_tls_output("no_cert", rx.url(), f"{{ca_file: {pki.ca}}}"))
    agent = Agent(work, outputs, TLS_EXTRA).start()
    try:
        ok = wait_until(lambda: len(es_messages_of(rx, "with_cert")) >= len(lines), 30, 0.3)
        assert ok, f"with a client cert: {len(es_messages_of(rx, 'with_cert'))} of {len(lines)}"
        wait_refused(rx, agent, "no_cert")
        time.sleep(0.5)
        check_exactly_once(es_messages_of(rx, "with_cert"), lines, "with a client certificate")
        assert es_messages_of(rx, "no_cert") == [], "accepted without a client certificate"
        stats = rx.stats()
        assert any("did not return a certificate" in e for e in stats["tls_errors"]), stats
        assert agent.metric("logship_output_http_requests_total", output="no_cert",
                            status="200") == 0
        assert agent.output_health() == {"with_cert": True, "no_cert": False}
        assert agent.get("/readyz")[0] == 503
        # With TLS 1.3 the client learns of the refusal only after its handshake ends: from the
        # server's alert when it reads the answer, or as a reset when its write comes first.
        refusals = [l for l in agent.log_text().splitlines() if "output 'no_cert' -> " in l]
        assert any("certificate required" in l or "reset by peer" in l for l in refusals), refusals
    finally:
        agent.stop()
        rx.stop()


def scenario_alertmanager(work):
    """auth lines -> parse_auth -> detect -> webhook -> Debian's prometheus-alertmanager."""
    am, base = start_alertmanager(work)

    def alerts():
        try:
            status, body = http("GET", base + "/api/v2/alerts")
            return json.loads(body) if status == 200 else []
        except OSError:
            return []
    agent = None
    try:
        output = f"""  alerts:
    type: webhook
    inputs: [brute_force]
    format: alertmanager
    endpoint: "{base}/api/v2/alerts"
    resend_interval: 2s
    min_interval: 1s
    min_severity: high
    generator_url: "http://logship.test/rules"
    retry: {{initial_backoff: 100ms, max_backoff: 1s}}
"""
        extra = """transforms:
  auth:
    type: parse_auth
    inputs: [logs]
  brute_force:
    type: detect
    inputs: [auth]
    name: ssh_brute_force
    when: {field: event.action, equals: ssh_failed_password}
    group_by: [source.ip]
    threshold: 5
    window: 4s
    allowed_lateness: 1s
    severity: critical
    samples: 2
    resolve: true
"""
        agent = Agent(work, output, extra).start()
        os.makedirs(os.path.join(work, "logs"), exist_ok=True)
        with open(os.path.join(work, "logs", "auth.log"), "a") as f:
            for i in range(6):
                for ip in ("10.0.0.7", "10.0.0.8"):
                    f.write(f"Nov 22 03:57:{20 + i:02d} web-1 sshd[42{i}]: Failed password for "
                            f"root from {ip} port {50000 + i} ssh2\n")
        firing = wait_until(lambda: len(alerts()) >= 2 and alerts(), 20)
        assert firing and len(firing) == 2, f"alerts in Alertmanager: {firing}"
        by_ip = {a["labels"].get("source_ip"): a for a in firing}
        assert set(by_ip) == {"10.0.0.7", "10.0.0.8"}, firing
        a = by_ip["10.0.0.7"]
        assert a["labels"]["alertname"] == "ssh_brute_force", a
        assert a["labels"]["severity"] == "critical", a
        assert "10.0.0.7" in a["annotations"]["summary"], a
        assert "Failed password" in a["annotations"].get("samples", ""), a
        assert a["status"]["state"] == "active" and a["generatorURL"] == "http://logship.test/rules"
        sent = agent.metric("logship_output_http_requests_total", output="alerts", status="200")
        # Still active after several re-sends; then resolved once the window passes quietly.
        time.sleep(4.5)
        assert agent.metric("logship_output_http_requests_total", output="alerts",
                            status="200") >= sent + 1, "active alerts were not re-sent"
        with open(os.path.join(work, "logs", "auth.log"), "a") as f:
            f.write("Nov 22 03:58:00 web-1 sshd[99]: Accepted publickey for bob from 10.0.0.9 "
                    "port 1 ssh2\n")
        gone = wait_until(lambda: not alerts(), 30)
        assert gone, f"alerts not resolved: {alerts()}"
    finally:
        if agent:
            agent.stop()
        am.kill()
        am.wait()


def start_alertmanager(work):
    """Debian's prometheus-alertmanager on a free loopback port; returns (process, base URL)."""
    port = free_port()
    os.makedirs(os.path.join(work, "am"), exist_ok=True)
    am_config = os.path.join(work, "am.yml")
    with open(am_config, "w") as f:
        f.write("route: {receiver: blackhole, group_wait: 1s}\nreceivers: [{name: blackhole}]\n")
    am_log = open(os.path.join(work, "alertmanager.log"), "w")
    am = subprocess.Popen(["/usr/bin/prometheus-alertmanager", f"--config.file={am_config}",
                           f"--storage.path={work}/am",
                           f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
                          stdout=am_log, stderr=am_log)
    base = f"http://127.0.0.1:{port}"
    assert wait_until(lambda: http_ok(base + "/-/ready"), 20), "alertmanager did not start"
    return am, base


def scenario_alertmanager_backfilled_and_future_logs(work):
    """Alerts of logs whose dates lie weeks back (a backfill) or days ahead of this clock (a log
    copied from another host, replayed from last December, or with a full timestamp in the
    future) all reach Alertmanager: no 4xx from it, nothing dead-lettered."""
    am, base = start_alertmanager(work)
    agent = None
    try:
        output = f"""  alerts:
    type: webhook
    inputs: [brute_force]
    format: alertmanager
    endpoint: "{base}/api/v2/alerts"
    resend_interval: 2s
    retry: {{initial_backoff: 100ms, max_backoff: 1s}}
"""
        extra = """transforms:
  auth: {type: parse_auth, inputs: [logs]}
  brute_force:
    type: detect
    inputs: [auth]
    name: ssh_brute_force
    when: {field: event.action, equals: ssh_failed_password}
    group_by: [source.ip]
    threshold: 3
    window: 5m
    severity: critical
"""
        agent = Agent(work, output, extra).start()
        now = time.time()
        yearless = lambda t: time.strftime("%b %e %H:%M:%S", time.gmtime(t))
        iso = lambda t: time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))
        cases = {"10.1.0.1": lambda i: f"{yearless(now - 21 * 86400 + i)} web-1 sshd[7]: ",
                 "10.1.0.2": lambda i: f"{yearless(now + 3 * 86400 + i)} web-1 sshd[7]: ",
                 "10.1.0.3": lambda i: f"<38>1 {iso(now + 3 * 86400 + i)} web-1 sshd 7 - - "}
        os.makedirs(os.path.join(work, "logs"), exist_ok=True)
        # One file each: each has its own event time (in one file, last year's lines after
        # this month's would be late for detect, as they should).
        for n, (ip, head) in enumerate(cases.items()):
            with open(os.path.join(work, "logs", f"auth-{n}.log"), "a") as f:
                for i in range(4):
                    f.write(head(i) + f"Failed password for root from {ip} port {4000 + i} ssh2\n")

        def alerts():
            try:
                status, body = http("GET", base + "/api/v2/alerts")
                return json.loads(body) if status == 200 else []
            except OSError:
                return []
        held = wait_until(lambda: len(alerts()) >= 3 and alerts(), 20)
        assert held and {a["labels"]["source_ip"] for a in held} == set(cases), held
        by_ip = {a["labels"]["source_ip"]: a for a in held}
        # Events dated ahead of the clock count as now: the alert starts no later than now.
        future = by_ip["10.1.0.3"]
        assert future["startsAt"] <= iso(time.time() + 1), future
        assert by_ip["10.1.0.1"]["startsAt"].startswith(iso(now - 21 * 86400)[:10]), by_ip
        assert all(a["status"]["state"] == "active" for a in held), held
        time.sleep(2.5)  # a re-send of all three
        statuses = agent.metrics_matching("logship_output_http_requests_total", output="alerts")
        assert statuses and all(s == "200" for s in statuses), statuses
        assert not agent.metrics_matching("logship_output_rejected_events_total", output="alerts")
        assert not os.path.exists(os.path.join(work, "data", "dead_letter", "alerts.ndjson"))
    finally:
        if agent:
            agent.stop()
        am.kill()
        am.wait()


def http_ok(url):
    try:
        return http("GET", url)[0] == 200
    except OSError:
        return False


SCENARIOS = {name[len("scenario_"):]: fn for name, fn in globals().items()
             if name.startswith("scenario_")}


def main():
    wanted = sys.argv[2:] or list(SCENARIOS)
    passed = failed = 0
    for name in wanted:
        work = tempfile.mkdtemp(prefix=f"logship-http-{name}-")
        started = time.time()
        try:
            SCENARIOS[name](work)
            print(f"ok   - {name} ({time.time() - started:.1f} s)", flush=True)
            passed += 1
            shutil.rmtree(work, ignore_errors=True)
        except Exception:
            print(f"FAIL - {name} (work dir kept: {work})", flush=True)
            traceback.print_exc()
            log = os.path.join(work, "agent.log")
            if os.path.exists(log):
                print("---- agent.log (tail)\n" + "".join(open(log).readlines()[-30:]))
            failed += 1
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
