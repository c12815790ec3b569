#!/usr/bin/python3
"""OpenTelemetry logs in and out, with the real binary and a real OTLP client:

  sdk       the OpenTelemetry JavaScript SDK's OTLP exporters (npm, protobuf and JSON) send log
            records with trace context and attributes to the opentelemetry source -> file output:
            each arrives once with trace.id, span.id, service.name, its severity and typed fields;
  replies   the source answers as OTLP/HTTP says: 200 with an ExportLogsServiceResponse in the
            request's encoding, 400 with a google.rpc.Status, 415 for other content types;
  pressure  and asks the client to retry later (Retry-After): 429 while its output is full, 503
            when the output gave up on a request's records;
  roundtrip logship -> opentelemetry output (protobuf, then JSON) -> logship opentelemetry source:
            fields come back as they left, and a receiver that is down at first loses nothing;
  and conf/examples/opentelemetry_gateway.yaml validates.

usage: opentelemetry_test.py PATH/TO/logship REPO_DIR
Needs node (Debian's nodejs) and the npm packages ./setup.sh test installs into build/test-tools.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request

from testlib import check, finish, free_port, missing, wait_until, ndjson_records

BIN = os.path.abspath(sys.argv[1])
REPO = os.path.abspath(sys.argv[2])
NODE_MODULES = os.path.join(REPO, "build", "test-tools", "node_modules")
SENDER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "otel_js_sender.js")
RECORDS = 200  # per exporter

if shutil.which("node") is None:
    print(missing("node (apt-get install nodejs)"))
    sys.exit(0)
for package in ("api", "api-logs", "sdk-logs", "resources", "exporter-logs-otlp-http",
                "exporter-logs-otlp-proto"):
    if not os.path.isdir(os.path.join(NODE_MODULES, "@opentelemetry", package)):
        print(missing(f"@opentelemetry/{package} (./setup.sh test installs it in build/test-tools)"))
        sys.exit(0)

work = tempfile.mkdtemp(prefix="logship-otel-")


class Agent:
    """One logship process with its own data_dir and admin port, running `body` (sources,
    transforms, outputs)."""

    def __init__(self, name, body):
        self.dir = os.path.join(work, name)
        os.makedirs(self.dir, exist_ok=True)
        self.admin = free_port()
        self.config = os.path.join(self.dir, "p.yaml")
        with open(self.config, "w") as f:
            f.write(f"data_dir: {self.dir}/data\nadmin: {{address: 127.0.0.1:{self.admin}}}\n"
                    + body)
        self.proc = None

    def start(self):
        self.log = open(os.path.join(self.dir, "agent.log"), "a")
        self.proc = subprocess.Popen([BIN, "run", "-c", self.config], stderr=self.log,
                                     stdout=subprocess.DEVNULL)

        def up():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.admin}/healthz", timeout=2):
                    return True
            except OSError:
                return False

        assert wait_until(up, 10), "agent did not come up: " + self.log_text()
        return self

    def log_text(self):
        with open(os.path.join(self.dir, "agent.log")) as f:
            return f.read()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def receiving_agent(name, port):
    """opentelemetry source on `port` -> NDJSON file; returns the agent and the file."""
    out = os.path.join(work, name, "received.ndjson")
    return Agent(name, f"""sources:
  otlp: {{type: opentelemetry, address: "127.0.0.1:{port}"}}
outputs:
  file: {{type: file, inputs: [otlp], path: {out}}}
"""), out


def post(port, body, content_type, timeout=10, headers=None):
    """(status, Content-Type, body) of a POST to /v1/logs; with `headers` (a dict), the response
    headers are put there."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/logs", data=body, method="POST")
    req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            response = (r.status, r.headers.get("Content-Type", ""), r.read(), r.headers)
    except urllib.error.HTTPError as e:
        response = (e.code, e.headers.get("Content-Type", ""), e.read(), e.headers)
    if headers is not None:
        headers.update(response[3])
    return response[:3]


def json_request(messages):
    return json.dumps({"resourceLogs": [{"scopeLogs": [{"logRecords": [
        {"body": {"stringValue": m}} for m in messages]}]}]}).encode()


def send_with_sdk(port, protocol, run):
    env = dict(os.environ, NODE_PATH=NODE_MODULES)
    result = subprocess.run(["node", SENDER, f"http://127.0.0.1:{port}/v1/logs", protocol,
                             str(RECORDS), str(run)], env=env, capture_output=True, text=True,
                            timeout=120)
    return result.returncode, result.stdout.strip(), result.stderr[-2000:]


def flat(record, prefix=""):
    """An NDJSON record's nested objects as dotted names, as events hold them."""
    out = {}
    for key, value in record.items():
        name = prefix + key
        if isinstance(value, dict):
            out.update(flat(value, name + "."))
        else:
            out[name] = value
    return out


def scenario_sdk():
    port = free_port()
    agent, out = receiving_agent("sdk", port)
    agent.start()
    try:
        levels = ["debug", "info", "medium", "high", "critical"]  # DEBUG INFO WARN ERROR FATAL
        for run, protocol in ((1, "proto"), (2, "json")):
            code, stdout, stderr = send_with_sdk(port, protocol, run)
            check(f"sdk {protocol}: the exporter reports every record exported",
                  code == 0 and stdout == f"SENT {RECORDS} FAILED 0", f"{code} {stdout} {stderr}")
            prefix = f"{run:016x}"

            def mine():
                return [flat(r) for r in ndjson_records(out)
                        if r.get("trace", {}).get("id", "").startswith(prefix)]

            rows = wait_until(lambda: len(mine()) >= RECORDS and mine(), 20) or []
            by_order = {}
            for r in rows:
                by_order.setdefault(r.get("order.id"), []).append(r)
            check(f"sdk {protocol}: each of {RECORDS} records arrives once",
                  len(rows) == RECORDS and sorted(by_order) == list(range(RECORDS))
                  and all(len(v) == 1 for v in by_order.values()),
                  f"{len(rows)} rows, {len(by_order)} orders")
            wrong = []
            for i, (r,) in sorted(by_order.items()):
                expect = {
                    "message": f"order {i} of run {run}",
                    "trace.id": prefix + f"{i + 1:016x}",
                    "span.id": f"{i + 1:016x}",
                    "log.level": levels[i % 5],
                    "service.name": "checkout-js",
                    "service.version": "3.2.1",
                    "deployment.environment": "test",
                    "otel.scope.name": "cart",
                    "otel.scope.version": "1.0.0",
                    "order.total": i + 0.5,
                    "order.paid": i % 2 == 0,
                    "user.name": f"user{i}",
                }
                diff = {k: (r.get(k), v) for k, v in expect.items() if r.get(k) != v}
                if diff or type(r["order.id"]) is not int or type(r["order.paid"]) is not bool:
                    wrong.append((i, diff))
            check(f"sdk {protocol}: trace context, resource, scope, severity and typed attributes "
                  "arrive", rows and not wrong, str(wrong[:3]))
    finally:
        agent.stop()


def scenario_replies():
    port = free_port()
    agent, out = receiving_agent("replies", port)
    agent.start()
    try:
        status, ctype, body = post(port, b"{}", "application/json")
        check("replies: an empty JSON request is answered 200 {}",
              (status, ctype, body) == (200, "application/json", b"{}"), f"{status} {ctype} {body}")
        one = {"resourceLogs": [{"scopeLogs": [{"logRecords": [{
            "timeUnixNano": "1700000000000000000", "body": {"stringValue": "hello otlp"},
            "severityNumber": 17, "traceId": "4bf92f3577b34da6a3ce929d0e0e4736",
            "spanId": "00f067aa0ba902b7"}]}]}]}
        status, ctype, body = post(port, json.dumps(one).encode(), "application/json")
        check("replies: a JSON request is answered 200 with an ExportLogsServiceResponse",
              (status, ctype, body) == (200, "application/json", b"{}"), f"{status} {ctype} {body}")
        got = wait_until(lambda: [r for r in ndjson_records(out) if r["message"] == "hello otlp"], 10)
        check("replies: its record is delivered with trace context and severity",
              got and got[0]["trace"] == {"id": "4bf92f3577b34da6a3ce929d0e0e4736"}
              and got[0]["span"] == {"id": "00f067aa0ba902b7"} and got[0]["log"]["level"] == "high"
              and got[0]["@timestamp"] == "2023-11-14T22:13:20.000000000Z", str(got))
        status, ctype, body = post(port, b'{"resourceLogs": 7}', "application/json")
        error = json.loads(body) if ctype == "application/json" else {}
        check("replies: a JSON body that is no request is answered 400 with a Status",
              status == 400 and error.get("code") == 3 and "resourceLogs" in error.get("message", ""),
              f"{status} {ctype} {body}")
        status, ctype, body = post(port, b"\x0a\xff\xff\xff\xff\x0f", "application/x-protobuf")
        check("replies: a protobuf body that is no request is answered 400 in protobuf",
              status == 400 and ctype == "application/x-protobuf" and body.startswith(b"\x08\x03"),
              f"{status} {ctype} {body}")
        status, ctype, body = post(port, b"hello", "text/plain")
        check("replies: another content type is answered 415", status == 415, f"{status} {body}")
    finally:
        agent.stop()


def scenario_pressure():
    dead = free_port()  # nothing listens there: the output cannot deliver

    def forwarding_agent(name, port, output_options):
        """opentelemetry source on `port` -> opentelemetry output to nowhere."""
        return Agent(name, f"""shutdown_timeout: 1s
sources:
  otlp: {{type: opentelemetry, address: "127.0.0.1:{port}"}}
outputs:
  otel:
    type: opentelemetry
    inputs: [otlp]
    endpoint: "http://127.0.0.1:{dead}"
    batch: {{timeout: 50ms}}
{output_options}""")

    port = free_port()
    agent = forwarding_agent("pressure-errored", port,
                             "    retry: {initial_backoff: 50ms, max_attempts: 2}\n")
    agent.start()
    try:
        headers = {}
        status, _, body = post(port, json_request(["lost for now"]), "application/json",
                               headers=headers)
        check("pressure: records the output gave up on are answered 503 with Retry-After",
              status == 503 and headers.get("Retry-After"), f"{status} {body} {headers}")
    finally:
        agent.stop()

    port = free_port()
    agent = forwarding_agent("pressure-full", port,
                             "    retry: {initial_backoff: 200ms, max_backoff: 1s}\n"
                             "    buffer: {type: memory, max_bytes: 1KiB}\n")
    agent.start()
    try:
        # The first request fills the output's queue and waits for a delivery that cannot come.
        def fill():
            try:
                post(port, json_request(["x" * 600] * 8), "application/json", timeout=3)
            except OSError:
                pass  # no answer within the timeout: it waits for its delivery

        waiting = threading.Thread(target=fill, daemon=True)
        waiting.start()
        wait_until(lambda: "Connection refused" in agent.log_text(), 10)  # it is in the output
        answers = []

        def refused():
            headers = {}
            try:
                status, _, _ = post(port, json_request(["one more"]), "application/json",
                                    timeout=3, headers=headers)
            except OSError as e:  # taken in before the queue was full: it waits as well
                status = str(e)
            answers.append((status, headers.get("Retry-After")))
            return status == 429 and headers.get("Retry-After")

        check("pressure: while the output is full, requests are answered 429 with Retry-After",
              wait_until(refused, 10, step=0.3), str(answers[-3:]))
        waiting.join(5)
    finally:
        agent.stop()


def scenario_roundtrip():
    lines = []
    for i in range(100):
        lines.append(json.dumps({
            "@timestamp": f"2026-01-02T03:04:{i % 60:02d}.{i:09d}Z",
            "message": f"payment {i} declined",
            "level": ["info", "error", "warning", "debug"][i % 4],
            "service": {"name": f"payments-{i % 3}", "version": "9.9.9"},
            "trace": {"id": f"{i + 1:032x}"},
            "span": {"id": f"{i + 1:016x}"},
            "http": {"response": {"status_code": 400 + i}},
            "payment": {"amount": i + 0.25, "retried": i % 2 == 1},
            "user": {"name": f"payer{i}"},
        }))
    for encoding in ("protobuf", "json"):
        port = free_port()
        receiver, out = receiving_agent(f"roundtrip-{encoding}-receiver", port)
        sender = Agent(f"roundtrip-{encoding}-sender", f"""sources:
  logs: {{type: file, include: ["{work}/roundtrip-{encoding}-in/*.log"], poll_interval: 50ms}}
transforms:
  fields: {{type: parse_json, inputs: [logs]}}
outputs:
  otel:
    type: opentelemetry
    inputs: [fields]
    endpoint: "http://127.0.0.1:{port}"
    encoding: {encoding}
    batch: {{max_events: 30, timeout: 100ms}}
    retry: {{initial_backoff: 100ms, max_backoff: 500ms}}
""")
        os.makedirs(f"{work}/roundtrip-{encoding}-in")
        with open(f"{work}/roundtrip-{encoding}-in/app.log", "w") as f:
            f.write("\n".join(lines) + "\n")
        # The receiver comes up after the sender has tried: what it sent before is retried.
        sender.start()
        refused = wait_until(lambda: "Connection refused" in sender.log_text(), 10)
        receiver.start()
        try:
            rows = wait_until(lambda: len(ndjson_records(out)) >= len(lines) and ndjson_records(out),
                              30) or []
            rows = [flat(r) for r in rows]
            by_message = {r["message"]: r for r in rows}
            check(f"roundtrip {encoding}: every event arrives once, the receiver down at first",
                  refused and "delivering again" in sender.log_text()
                  and len(rows) == len(lines) and len(by_message) == len(lines),
                  f"{len(rows)} rows; sender log: {sender.log_text()[-800:]}")
            wrong = []
            for line in lines:
                sent = flat(json.loads(line))
                got = by_message.get(sent["message"], {})
                expect = dict(sent)
                expect["log.level"] = {"info": "info", "error": "high", "warning": "medium",
                                       "debug": "debug"}[expect.pop("level")]
                diff = {k: (got.get(k), v) for k, v in expect.items() if got.get(k) != v}
                if diff or type(got.get("http.response.status_code")) is not int:
                    wrong.append((sent["message"], diff))
            check(f"roundtrip {encoding}: fields, types, time, severity and trace context come back",
                  rows and not wrong, str(wrong[:2]))
        finally:
            sender.stop()
            receiver.stop()


def scenario_example():
    example = os.path.join(REPO, "conf", "examples", "opentelemetry_gateway.yaml")
    r = subprocess.run([BIN, "validate", "-c", example], capture_output=True, text=True,
                       env=dict(os.environ, LOGSHIP_DATA_DIR=work))
    check("conf/examples/opentelemetry_gateway.yaml validates", r.returncode == 0, r.stderr)


try:
    scenario_example()
    scenario_sdk()
    scenario_replies()
    scenario_pressure()
    scenario_roundtrip()
except AssertionError as e:
    check("scenarios ran", False, str(e))
finally:
    if os.environ.get("KEEP_WORK") != "1":
        shutil.rmtree(work, ignore_errors=True)
finish()
