#!/usr/bin/python3
"""The http source with the real binary, on 127.0.0.1: NDJSON, JSON, text, gzip and zstd bodies;
Loki pushes built here from Loki's push API documentation (JSON, and protobuf + snappy written
field by field); logship's own loki output into it; the bearer token; HTTPS with client
certificates; 413; 429 while the output is stalled; and a loss test: every record answered 2xx
arrives, although the agent is killed and the destination restarted while a client sends; and
logship's http output into it (NDJSON and JSON arrays).

usage: http_source_test.py PATH/TO/logship [SCENARIO...]
Needs python3-snappy, the zstd and openssl commands (Debian packages of setup.sh).
"""
import gzip
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback

import snappy

from testlib import Pki, Receiver, check, finish, free_port, ndjson_records, wait_until

BIN = os.path.abspath(sys.argv[1])
TOKEN = "s3cret-token"
LOKI_PATH = "/loki/api/v1/push"


class Agent:
    """One logship process running `pipeline` (the YAML of its sources and outputs)."""

    def __init__(self, work, name, pipeline):
        self.work, self.name = work, name
        self.config = os.path.join(work, f"{name}.yaml")
        self.log = os.path.join(work, f"{name}.log")
        with open(self.config, "w") as f:
            f.write(f"data_dir: {work}/{name}-data\n"
                    f"admin: {{address: 127.0.0.1:{free_port()}}}\n"
                    "shutdown_timeout: 3s\n" + pipeline)
        self.proc = None

    def start(self, listen_port=None):
        """Starts the agent; with `listen_port`, waits until its http source accepts."""
        self.proc = subprocess.Popen([BIN, "run", "-c", self.config], stderr=open(self.log, "a"))
        if listen_port is not None:
            up = wait_until(lambda: self.alive() and accepts(listen_port), 20, 0.05)
            assert up, f"{self.name} does not listen on {listen_port}: {self.tail()}"
        return self

    def alive(self):
        assert self.proc.poll() is None, f"{self.name} exited: {self.tail()}"
        return True

    def tail(self):
        with open(self.log, errors="replace") as f:
            return f.read()[-3000:]

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=20)

    def kill(self):
        self.proc.kill()
        self.proc.wait(timeout=10)


def accepts(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def post(port, path, body, content_type=None, encoding=None, token=TOKEN, context=None,
         timeout=15):
    """POSTs `body`; returns (status, Retry-After, response text), or (None, None, why) when the
    connection failed."""
    if context is None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    else:
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout, context=context)
    headers = {}
    if content_type:
        headers["Content-Type"] = content_type
    if encoding:
        headers["Content-Encoding"] = encoding
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request("POST", path, body=body, headers=headers)
        r = conn.getresponse()
        return r.status, r.getheader("Retry-After"), r.read().decode(errors="replace")
    except (OSError, http.client.HTTPException) as e:
        return None, None, repr(e)
    finally:
        conn.close()


def zstd(data):
    return subprocess.run(["zstd", "-q", "-c"], input=data, capture_output=True, check=True).stdout


# Loki's push request in protobuf wire format, from its schema (package logproto):
# PushRequest{streams=1}, StreamAdapter{labels=1, entries=2}, EntryAdapter{timestamp=1, line=2,
# structuredMetadata=3}, LabelPairAdapter{name=1, value=2}, google.protobuf.Timestamp{seconds=1,
# nanos=2}; the body is snappy's block format.
def varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def length_field(number, payload):
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def varint_field(number, n):
    return varint(number << 3) + varint(n)


def loki_protobuf(streams):
    """`streams`: [(label set text, [(ns, line, {metadata})])] -> snappy-compressed PushRequest."""
    push = b""
    for labels, entries in streams:
        stream = length_field(1, labels.encode())
        for ns, line, metadata in entries:
            timestamp = varint_field(1, ns // 10**9) + varint_field(2, ns % 10**9)
            entry = length_field(1, timestamp) + length_field(2, line.encode())
            for name, value in metadata.items():
                entry += length_field(3, length_field(1, name.encode()) +
                                      length_field(2, value.encode()))
            stream += length_field(2, entry)
        push += length_field(1, stream)
    return snappy.compress(push)


def http_to_file(w, source_options="", output_options="", name="agent", out=None):
    """Starts an agent whose http source (with `source_options`, YAML flow-map entries) feeds a
    file output to `out` (with `output_options`); returns the agent, the source's port and the
    file."""
    port = free_port()
    out = out or os.path.join(w, "out.ndjson")
    agent = Agent(w, name, f"""sources:
  in: {{type: http, address: "127.0.0.1:{port}"{", " + source_options if source_options else ""}}}
outputs:
  out: {{type: file, inputs: [in], path: {out}{", " + output_options if output_options else ""}}}
""").start(port)
    return agent, port, out


def write_log(w, prefix, count):
    """A log file of `count` lines with quotes and non-ASCII text; returns its path and lines."""
    log = os.path.join(w, "in.log")
    lines = [f"{prefix} {i} \"quoted\" ünïcode" for i in range(count)]
    with open(log, "w") as f:
        f.write("".join(line + "\n" for line in lines))
    return log, lines


def records_once_there(path, count, seconds=30):
    """The records of `path` once it holds `count` of them, or what it holds after `seconds`."""
    def arrived():
        rows = ndjson_records(path)
        return rows if len(rows) >= count else None
    return wait_until(arrived, seconds) or ndjson_records(path)


def records_by_message(path):
    return {r.get("message"): r for r in ndjson_records(path)}


def s1_formats_and_refusals(w):
    with open(os.path.join(w, "token"), "w") as f:
        f.write(TOKEN + "\n")
    agent, port, out = http_to_file(
        w, f"max_body_bytes: 64KiB, auth: {{token_file: {w}/token}}, "
        "label_fields: {level: log.level}")
    try:
        ndjson = b'{"message":"nd 1","user":{"name":"bob"},"n":7}\n{"message":"nd 2"}\nnot json\n'
        cases = [
            ("ndjson", ("/", ndjson, "application/x-ndjson", None), 200),
            ("json array", ("/any/path", b'[{"message":"arr 1"},{"message":"arr 2","x":"y"}]',
                            "application/json", None), 200),
            ("text", ("/", b"text 1\r\ntext 2\n", "text/plain; charset=utf-8", None), 200),
            ("gzip", ("/", gzip.compress(b'{"message":"gz 1"}\n'), "application/x-ndjson",
                      "gzip"), 200),
            ("zstd", ("/", zstd(b"zstd 1\nzstd 2\n"), "text/plain", "zstd"), 200),
            ("loki json", (LOKI_PATH, json.dumps({"streams": [{
                "stream": {"job": "varlogs", "level": "high"},
                "values": [["1700000000123456789", "loki json 1"],
                           ["1700000001000000000", "loki json 2",
                            {"trace_id": "0242ac120002", "user_id": "superUser123"}]]}]}).encode(),
                "application/json", None), 204),
            ("loki protobuf", (LOKI_PATH, loki_protobuf([
                ('{app="api", level="high"}', [(1700000002000000005, "loki pb 1", {}),
                                                (1700000003000000000, "loki pb 2",
                                                 {"correlation_id": "c-7"})])]),
                "application/x-protobuf", None), 204),
            ("malformed JSON is 400", ("/", b'[{"message":"lost"},', "application/json", None),
             400),
            ("unknown media type is 415", ("/", b"<a/>", "application/xml", None), 415),
            ("unknown encoding is 415", ("/", b"x", "text/plain", "br"), 415),
            ("too large is 413", ("/", b"x" * (65 << 10), "text/plain", None), 413),
            ("too large once inflated is 413",
             ("/", gzip.compress(b"0" * (1 << 20)), "text/plain", "gzip"), 413),
            ("corrupt gzip is 400", ("/", b"not gzip", "text/plain", "gzip"), 400),
        ]
        for name, (path, body, ctype, enc), want in cases:
            status, _, text = post(port, path, body, ctype, enc)
            check(f"{name}: {want}", status == want, f"got {status} {text}")
        status, _, _ = post(port, "/", b"no token\n", "text/plain", token=None)
        check("no token: 401", status == 401, f"got {status}")
        status, _, _ = post(port, "/", b"wrong token\n", "text/plain", token="guess")
        check("wrong token: 401", status == 401, f"got {status}")

        want = {"nd 1", "nd 2", "not json", "arr 1", "arr 2", "text 1", "text 2", "gz 1",
                "zstd 1", "zstd 2", "loki json 1", "loki json 2", "loki pb 1", "loki pb 2"}
        got = wait_until(lambda: (lambda r: r if set(r) >= want else None)(
            records_by_message(out)), 10)
        got = records_by_message(out)
        check("every accepted record arrived, nothing refused did", set(got) == want,
              f"missing {want - set(got)}, extra {set(got) - want}")
        if set(got) != want:
            return
        check("source.ip on every event",
              all(r.get("source", {}).get("ip") == "127.0.0.1" for r in got.values()))
        check("NDJSON members are fields", got["nd 1"]["user"]["name"] == "bob" and
              got["nd 1"]["n"] == 7, got["nd 1"])
        check("JSON array members are fields", got["arr 2"].get("x") == "y", got["arr 2"])
        check("Loki labels are fields", got["loki json 1"]["labels"]["job"] == "varlogs" and
              got["loki pb 1"]["labels"]["app"] == "api", got["loki pb 1"])
        check("a mapped label sets its field", got["loki pb 1"]["log"]["level"] == "high" and
              got["loki json 2"]["log"]["level"] == "high", got["loki pb 1"])
        check("Loki timestamps to the nanosecond",
              got["loki json 1"]["@timestamp"] == "2023-11-14T22:13:20.123456789Z" and
              got["loki pb 1"]["@timestamp"] == "2023-11-14T22:13:22.000000005Z",
              (got["loki json 1"]["@timestamp"], got["loki pb 1"]["@timestamp"]))
        check("structured metadata", got["loki json 2"]["trace"]["id"] == "0242ac120002" and
              got["loki json 2"]["user_id"] == "superUser123" and
              got["loki pb 2"].get("correlation_id") == "c-7", (got["loki json 2"],
                                                                 got["loki pb 2"]))
    finally:
        agent.stop()


def s2_https_with_client_certificates(w):
    pki = Pki(w)
    agent, port, out = http_to_file(
        w, f"tls: {{cert_file: {pki.server_cert}, key_file: {pki.server_key}, "
        f"ca_file: {pki.ca}, verify_client: true}}")
    try:
        status, _, text = post(port, "/", b"over tls\n", "text/plain", context=pki.client_context())
        check("https with a client certificate: 200", status == 200, f"got {status} {text}")
        anonymous = ssl.create_default_context(cafile=pki.ca)
        status, _, text = post(port, "/", b"anonymous\n", "text/plain", context=anonymous)
        check("https without a client certificate is refused", status is None, f"got {status}")
        status, _, text = post(port, "/", b"plain http\n", "text/plain")
        check("plain http to the https port is refused", status is None, f"got {status}")
        wait_until(lambda: records_by_message(out), 10)
        check("only the authenticated record arrived", set(records_by_message(out)) ==
              {"over tls"}, records_by_message(out))
    finally:
        agent.stop()


def s3_429_while_the_output_is_stalled(w):
    destination = os.path.join(w, "not-yet")
    out = os.path.join(destination, "out.ndjson")
    # The destination directory is missing: the file output fails and retries, what it holds
    # stays in its queue, and past 1 KiB the source is told the output is full.
    agent, port, _ = http_to_file(
        w, output_options="retry_interval: 100ms, buffer: {type: memory, max_bytes: 1KiB}",
        out=out)
    try:
        first = {}
        body = "".join(f"held line {i} {'x' * 40}\n" for i in range(40)).encode()
        sender = threading.Thread(target=lambda: first.update(
            result=post(port, "/", body, "text/plain", timeout=30)))
        sender.start()
        time.sleep(1.0)
        check("no answer while the output cannot write", sender.is_alive() and not first)
        status, retry_after, text = post(port, "/", b"refused line\n", "text/plain")
        check("429 while the output is full", status == 429, f"got {status} {text}")
        check("429 carries Retry-After", retry_after is not None and retry_after.isdigit(),
              retry_after)
        os.makedirs(destination)
        sender.join(timeout=20)
        check("the held request is answered 200 once written",
              first.get("result", (None,))[0] == 200, first)
        status, _, _ = post(port, "/", b"later line\n", "text/plain")
        check("accepted again once the output drained", status == 200, f"got {status}")
        messages = [r["message"] for r in ndjson_records(out)]
        want = [f"held line {i} {'x' * 40}" for i in range(40)] + ["later line"]
        check("the held lines and the later one arrived, the refused one did not",
              sorted(messages) == sorted(want), messages[-3:])
    finally:
        agent.stop()


def s4_logship_loki_output_into_the_http_source(w):
    receiver, port, out = http_to_file(
        w, "label_fields: {host: host.name}, loki_line_format: json", name="receiver")
    log, lines = write_log(w, "round trip", 50)
    loki = f"""type: loki
    inputs: [in]
    endpoint: http://127.0.0.1:{port}
    batch: {{timeout: 100ms}}"""
    sender = Agent(w, "sender", f"""sources:
  in: {{type: file, include: [{log}], start_at: beginning, poll_interval: 50ms}}
outputs:
  protobuf:
    {loki}
    labels: {{host: "{{host.name}}", via: protobuf}}
    structured_metadata: {{source_file: log.file.path}}
  json:
    {loki}
    encoding: json
    line_format: message
    labels: {{host: "{{host.name}}", via: json}}
    structured_metadata: {{source_file: log.file.path}}
""").start()
    try:
        rows = records_once_there(out, 2 * len(lines))
        host = socket.gethostname()
        for via in ("protobuf", "json"):
            got = [r for r in rows if r.get("labels", {}).get("via") == via]
            check(f"{via}: every line arrived once", sorted(r.get("message") for r in got) ==
                  sorted(lines), f"{len(got)} rows")
            check(f"{via}: the host label became host.name",
                  all(r.get("host", {}).get("name") == host for r in got),
                  got[:1])
            check(f"{via}: structured metadata became a field",
                  all(r.get("source_file") == log for r in got), got[:1])
        pb = [r for r in rows if r.get("labels", {}).get("via") == "protobuf"]
        check("protobuf JSON lines restore the event's fields",
              all(r.get("log", {}).get("file", {}).get("path") == log for r in pb), pb[:1])
    finally:
        sender.stop()
        receiver.stop()


def s8_logship_http_output_into_the_http_source(w):
    with open(os.path.join(w, "token"), "w") as f:
        f.write(TOKEN + "\n")
    receiver, port, out = http_to_file(w, f"auth: {{token_file: {w}/token}}", name="receiver")
    log, lines = write_log(w, "http round trip", 40)
    http = f"""type: http
    inputs: [tagged]
    auth: {{strategy: bearer, token_file: {w}/token}}
    batch: {{timeout: 100ms, max_events: 15}}"""
    sender = Agent(w, "sender", f"""sources:
  in: {{type: file, include: [{log}], start_at: beginning, poll_interval: 50ms}}
transforms:
  tagged: {{type: remap, inputs: [in], set: {{user.name: alice}}}}
outputs:
  ndjson:
    {http}
    endpoint: http://127.0.0.1:{port}/ingest/ndjson
    compression: gzip
  json:
    {http}
    endpoint: http://127.0.0.1:{port}/ingest/json?via=json
    encoding: json
""").start()
    try:
        rows = records_once_there(out, 2 * len(lines))
        check("every line arrived twice (NDJSON and a JSON array)",
              sorted(r.get("message") for r in rows) == sorted(lines * 2), f"{len(rows)} rows")
        check("the fields travel with the events",
              all(r.get("user", {}).get("name") == "alice" and
                  r.get("log", {}).get("file", {}).get("path") == log for r in rows), rows[:1])
        stamps = {}
        for r in rows:
            stamps.setdefault(r.get("message"), set()).add(r.get("@timestamp"))
        check("both copies of a line keep its time", all(len(t) == 1 for t in stamps.values()),
              list(stamps.items())[:2])
    finally:
        sender.stop()
        receiver.stop()


def s5_no_loss_across_a_crash_and_a_destination_restart(w):
    port = free_port()
    rx = Receiver("loki", os.path.join(w, "received.ndjson")).start()
    agent = Agent(w, "agent", f"""sources:
  in: {{type: http, address: "127.0.0.1:{port}"}}
outputs:
  loki:
    type: loki
    inputs: [in]
    endpoint: {rx.url()}
    line_format: message
    labels: {{job: loss}}
    batch: {{timeout: 50ms}}
    retry: {{initial_backoff: 100ms, max_backoff: 500ms}}
    buffer: {{type: disk, max_bytes: 64MiB, fsync_interval: 20ms}}
""").start(port)
    batches, per_batch = 150, 20
    answered = []  # ids of records answered 2xx
    attempts = {"non_2xx": 0}

    def send():
        for b in range(batches):
            ids = [f"rec-{b}-{i}" for i in range(per_batch)]
            body = "".join(json.dumps({"message": i}) + "\n" for i in ids).encode()
            deadline = time.time() + 60
            while time.time() < deadline:
                status, retry_after, _ = post(port, "/", body, "application/x-ndjson", timeout=10)
                if status == 200:
                    answered.extend(ids)
                    break
                attempts["non_2xx"] += 1
                time.sleep(min(float(retry_after or 0.1), 0.5))

    client = threading.Thread(target=send)
    client.start()
    try:
        wait_until(lambda: len(answered) >= 50 * per_batch, 30, 0.02)
        agent.kill()  # a crash: what was answered 2xx is in the disk buffer
        agent.start(port)
        wait_until(lambda: len(answered) >= 100 * per_batch, 30, 0.02)
        rx_port = rx.port
        rx.stop()  # the destination goes away and comes back on its port
        time.sleep(0.5)
        rx = Receiver("loki", os.path.join(w, "received.ndjson"), port=rx_port).start()
        client.join(timeout=120)
        check("the client got every batch answered 2xx", len(answered) == batches * per_batch,
              f"{len(answered)} of {batches * per_batch}")

        def received():
            return [r["line"] for r in ndjson_records(os.path.join(w, "received.ndjson"))]
        wait_until(lambda: set(answered) <= set(received()), 60)
        got = received()
        lost = set(answered) - set(got)
        check("every record answered 2xx arrived", not lost, f"{len(lost)} lost, e.g. "
              f"{sorted(lost)[:3]}")
        duplicates = len(got) - len(set(got))
        print(f"     {len(got)} entries received for {len(set(got))} records: {duplicates} "
              f"repeated after the crash (at least once), {attempts['non_2xx']} requests "
              "answered otherwise and sent again")
        check("nothing arrived that was never sent", set(got) <= {
            f"rec-{b}-{i}" for b in range(batches) for i in range(per_batch)})
    finally:
        client.join(timeout=1)
        agent.stop()
        rx.stop()


def s6_a_reload_replaces_the_source_on_its_port(w):
    agent, port, out = http_to_file(w)
    try:
        check("answered before the reload", post(port, "/", b"before\n", "text/plain")[0] == 200)
        with open(agent.config) as f:
            text = f.read()
        with open(agent.config, "w") as f:
            f.write(text.replace(f'address: "127.0.0.1:{port}"',
                                 f'address: "127.0.0.1:{port}", max_connections: 8'))
        agent.proc.send_signal(signal.SIGHUP)
        replaced = wait_until(lambda: "replaced in" in agent.tail(), 10)
        check("the changed source was replaced", replaced, agent.tail())
        status = wait_until(lambda: post(port, "/", b"after\n", "text/plain")[0] == 200, 10)
        check("the new source answers on the same port", status)
        check("both records arrived", wait_until(
            lambda: set(records_by_message(out)) == {"before", "after"}, 10),
            records_by_message(out))
    finally:
        agent.stop()


def s7_the_example_validates(w):
    example = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "conf",
                           "examples", "http_receiver.yaml")
    r = subprocess.run([BIN, "validate", "-c", example], capture_output=True, text=True,
                       timeout=30, env=dict(os.environ, LOGSHIP_DATA_DIR=w))
    check("conf/examples/http_receiver.yaml validates", r.returncode == 0, r.stderr)


SCENARIOS = [s1_formats_and_refusals, s2_https_with_client_certificates,
             s3_429_while_the_output_is_stalled, s4_logship_loki_output_into_the_http_source,
             s5_no_loss_across_a_crash_and_a_destination_restart,
             s6_a_reload_replaces_the_source_on_its_port, s7_the_example_validates,
             s8_logship_http_output_into_the_http_source]


def main():
    wanted = sys.argv[2:]
    for scenario in SCENARIOS:
        if wanted and scenario.__name__ not in wanted:
            continue
        work = tempfile.mkdtemp(prefix="logship-http-source-")
        print(f"# {scenario.__name__}", flush=True)
        try:
            scenario(work)
        except Exception:
            traceback.print_exc()
            check(scenario.__name__, False, "raised")
        finally:
            shutil.rmtree(work, ignore_errors=True)
    finish()


if __name__ == "__main__":
    main()
