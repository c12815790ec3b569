#!/usr/bin/python3
"""`logship convert` end to end: a Promtail, a Filebeat and a Fluent Bit configuration whose
client/output is the Loki or Elasticsearch receiver of tests/receivers and whose paths name a log
this test writes are converted, the converted file is run with `logship run` (beside a file that
only sets the admin address, so tests running side by side do not collide), and the receiver must
get the lines with the labels or fields the original configuration names; a Promtail syslog
target is sent a message over TCP and a loki_push_api target a push. Also: the exit codes and the
not-translated list with file:line:column.

usage: convert_test.py PATH/TO/logship
Prints one line per check and "N passed, N failed". Needs python3-protobuf and python3-snappy.
"""
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

from testlib import Receiver, check, finish, free_port, http, wait_until

BIN = os.path.abspath(sys.argv[1])

LINES = [
    "2026-11-22T03:57:28Z INFO db: connection opened",
    "2026-11-22T03:57:29Z DEBUG db: pool size 4",
    "2026-11-22T03:57:30Z ERROR api: request failed",
]

JSON_LINE = '{"level":"error","msg":"disk full","user":"bob"}'


def convert(tool, work, name, text):
    """Writes the tool's configuration, converts it; returns (exit code, stderr, pipeline dir)."""
    src = os.path.join(work, name)
    with open(src, "w") as f:
        f.write(text)
    pipeline = os.path.join(work, "pipeline")
    os.makedirs(pipeline, exist_ok=True)
    proc = subprocess.run([BIN, "convert", "--from", tool, src, "-o",
                           os.path.join(pipeline, "converted.yaml")],
                          capture_output=True, text=True, timeout=30)
    return proc.returncode, proc.stderr, pipeline


def run(work, pipeline, until, seconds=20):
    """Runs the pipeline directory until `until()` holds (or the time is up); returns its value."""
    admin = free_port()
    with open(os.path.join(pipeline, "admin.yaml"), "w") as f:
        f.write(f"admin: {{address: 127.0.0.1:{admin}}}\n")
    log = open(os.path.join(work, "agent.log"), "w")
    agent = subprocess.Popen([BIN, "run", "-c", pipeline], stdout=subprocess.DEVNULL, stderr=log)
    try:
        return wait_until(until, seconds)
    finally:
        agent.send_signal(signal.SIGTERM)
        try:
            agent.wait(20)
        except subprocess.TimeoutExpired:
            agent.kill()
            agent.wait()


@contextlib.contextmanager
def receiver(kind, work):
    """A Loki or Elasticsearch receiver storing what it gets in WORK/KIND.ndjson."""
    r = Receiver(kind, os.path.join(work, f"{kind}.ndjson")).start()
    try:
        yield r
    finally:
        r.stop()


def sent_then_rows(send, receiver):
    """For run(): tries send() until it succeeds (the source may not listen yet), then returns the
    receiver's rows."""
    sent = []

    def poll():
        if not sent:
            try:
                if not send():
                    return None
            except OSError:
                return None
            sent.append(True)
        return receiver.rows()
    return poll


def write_log(work):
    logs = os.path.join(work, "logs")
    os.makedirs(logs, exist_ok=True)
    path = os.path.join(logs, "app.log")
    with open(path, "w") as f:
        f.write("\n".join(LINES) + "\n")
    return path


def promtail(work):
    log = write_log(work)
    with receiver("loki", work) as loki:
        rc, err, pipeline = convert("promtail", work, "promtail.yaml", f"""
server:
  http_listen_port: 9080
positions:
  filename: {work}/positions/positions.yaml
clients:
  - url: {loki.url()}/loki/api/v1/push
scrape_configs:
  - job_name: app
    static_configs:
      - targets: [localhost]
        labels:
          job: app
          __path__: {work}/logs/*.log
    pipeline_stages:
      - regex:
          expression: '^(?P<time>\\S+) (?P<level>\\w+) (?P<component>\\w+): (?P<msg>.*)$'
      - timestamp:
          source: time
          format: RFC3339
      - labels:
          level:
          component:
      - static_labels:
          team: platform
      - drop:
          source: level
          value: DEBUG
      - match:
          selector: '{{component="api"}} |= "failed"'
          stages:
            - static_labels:
                alert: "yes"
  - job_name: json
    static_configs:
      - labels:
          job: json
          __path__: {work}/logs/*.json
    pipeline_stages:
      - json:
          expressions:
            user:
            severity: level
      - labels:
          user:
          severity:
""")
        check("promtail: everything translated, exit 0", rc == 0, err)
        check("promtail: the server section is noted with its line",
              "promtail.yaml:2:1: note: server" in err, err)
        with open(os.path.join(work, "logs", "app.json"), "w") as f:
            f.write(JSON_LINE + "\n")
        rows = run(work, pipeline, lambda: len(loki.rows()) >= 3 and loki.rows())
        json_rows = [r for r in rows or [] if r["labels"].get("job") == "json"]
        check("promtail: a json stage leaves the line whole, labels stage labels from it, the "
              "level as written",
              [(r["line"], r["labels"].get("user"), r["labels"].get("severity"))
               for r in json_rows] == [(JSON_LINE, "bob", "error")], json_rows)
        rows = sorted([r for r in rows or [] if r not in json_rows], key=lambda r: r["line"])
        check("promtail: Loki got the two lines not dropped, as they were",
              [r["line"] for r in rows] == [LINES[0], LINES[2]], rows)
        if len(rows) == 2:
            check("promtail: stream labels from static_configs, regex + labels, static_labels",
                  rows[0]["labels"] == {"job": "app", "filename": log, "level": "INFO",
                                        "component": "db", "team": "platform"}, rows[0]["labels"])
            check("promtail: a match stage's stages apply to the lines its selector selects",
                  rows[1]["labels"].get("alert") == "yes" and "alert" not in rows[0]["labels"],
                  [r["labels"] for r in rows])
            check("promtail: the timestamp stage set the entry time",
                  str(rows[1]["ts"]).startswith("1795319850"), rows[1]["ts"])


def promtail_target(work, name, scrape_config, send, expected):
    """A network target of Promtail (`scrape_config`, formatted with port and work) converted and
    run; send(port) gives it an entry, and Loki must get [(line, labels)] == expected."""
    port = free_port()
    with receiver("loki", work) as loki:
        rc, err, pipeline = convert("promtail", work, "promtail.yaml", f"""positions:
  filename: {work}/positions/positions.yaml
clients:
  - url: {loki.url()}/loki/api/v1/push
scrape_configs:
""" + scrape_config.format(port=port, work=work))
        check(f"promtail {name}: everything translated, exit 0", rc == 0, err)
        rows = run(work, pipeline, sent_then_rows(lambda: send(port), loki)) or []
        check(f"promtail {name}: Loki got the line with the labels named",
              [(r["line"], r["labels"]) for r in rows] == expected, rows)


def send_syslog(port):
    with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
        s.sendall(b"<34>1 2026-11-22T03:57:28Z web-1 nginx 123 - - upstream timed out\n")
    return True


def send_loki_push(port):
    push = {"streams": [{"stream": {"job": "batch"},
                         "values": [["1795319850000000000", "job done"]]}]}
    status, _ = http("POST", f"http://127.0.0.1:{port}/loki/api/v1/push",
                     json.dumps(push).encode(), timeout=5)
    return status // 100 == 2


def promtail_syslog(work):
    """A syslog target: the syslog source, the body as the line, labels from meta labels."""
    promtail_target(work, "syslog", """  - job_name: syslog
    syslog:
      listen_address: 127.0.0.1:{port}
      labels:
        job: syslog
    relabel_configs:
      - source_labels: [__syslog_message_hostname]
        target_label: host
      - source_labels: [__syslog_message_app_name]
        target_label: app
""", send_syslog, [("upstream timed out", {"job": "syslog", "host": "web-1", "app": "nginx"})])


def promtail_push(work):
    """A loki_push_api target: the http source takes a Loki push, its labels kept by the names this
    file sets (job, from the second scrape config)."""
    promtail_target(work, "push", """  - job_name: push
    loki_push_api:
      server:
        http_listen_address: 127.0.0.1
        http_listen_port: {port}
      labels:
        pushserver: push1
  - job_name: names
    static_configs:
      - labels:
          job: names
          __path__: {work}/none/*.log
""", send_loki_push, [("job done", {"job": "batch", "pushserver": "push1"})])


def filebeat(work):
    write_log(work)
    with receiver("elasticsearch", work) as es:
        rc, err, pipeline = convert("filebeat", work, "filebeat.yml", f"""
filebeat.inputs:
- type: filestream
  id: app
  paths: [{work}/logs/*.log]
  fields:
    app: billing
    retries: 3
  processors:
    - rename:
        fields:
          - from: fields.app
            to: service.name
path.data: {work}/data
processors:
  - add_fields:
      target: project
      fields:
        name: demo
  - drop_event:
      when:
        contains:
          message: DEBUG
output.elasticsearch:
  hosts: ["{es.url()}"]
  index: "filebeat-test"
""")
        check("filebeat: everything translated, exit 0", rc == 0, err)
        rows = run(work, pipeline, lambda: len(es.rows()) >= 2 and es.rows())
        docs = sorted([r["doc"] for r in rows or []], key=lambda d: d["message"])
        check("filebeat: Elasticsearch got the lines drop_event kept",
              [d["message"] for d in docs] == [LINES[0], LINES[2]], docs)
        check("filebeat: into the index named",
              all(r["index"] == "filebeat-test" for r in rows or []),
              [r["index"] for r in rows or []])
        if docs:
            d = docs[0]
            check("filebeat: fields + rename give service.name",
                  d.get("service", {}).get("name") == "billing", d)
            check("filebeat: add_fields with a target gives project.name",
                  d.get("project", {}).get("name") == "demo", d)
            check("filebeat: the renamed field is gone", "app" not in d.get("fields", {}), d)
            check("filebeat: an unquoted number stays a number", d["fields"].get("retries") == 3, d)


def fluent_bit_classic(work, loki):
    return "fluent-bit.conf", f"""[SERVICE]
    Parsers_File  parsers.conf
    storage.path  {work}/data

[INPUT]
    Name            tail
    Tag             app.log
    Path            {work}/logs/*.log
    Read_from_Head  On

[FILTER]
    Name      parser
    Match     app.*
    Key_Name  log
    Parser    app
    Reserve_Data On

[FILTER]
    Name     grep
    Match    app.*
    Exclude  level DEBUG

[FILTER]
    Name    modify
    Match   app.*
    Rename  component service

[OUTPUT]
    Name    loki
    Match   app.*
    Host    127.0.0.1
    Port    {loki.port}
    Labels  job=fluent-bit, level=$level, service=$service
"""


def fluent_bit_yaml(work, loki):
    return "fluent-bit.yaml", f"""service:
  parsers_file: parsers.conf
  storage.path: {work}/data
pipeline:
  inputs:
    - name: tail
      tag: app.log
      path: {work}/logs/*.log
      read_from_head: true
  filters:
    - name: parser
      match: app.*
      key_name: log
      parser: app
      reserve_data: on
    - name: grep
      match: app.*
      exclude: level DEBUG
    - name: modify
      match: app.*
      rename: component service
  outputs:
    - name: loki
      match: app.*
      host: 127.0.0.1
      port: {loki.port}
      labels: job=fluent-bit, level=$level, service=$service
"""


def fluent_bit(work, config):
    """The same Fluent Bit pipeline in the format `config` writes."""
    write_log(work)
    with receiver("loki", work) as loki:
        with open(os.path.join(work, "parsers.conf"), "w") as f:
            f.write("""[PARSER]
    Name        app
    Format      regex
    Regex       ^(?<time>\\S+) (?<level>\\w+) (?<component>\\w+): (?<text>.*)$
    Time_Key    time
    Time_Format %Y-%m-%dT%H:%M:%SZ
""")
        name, text = config(work, loki)
        rc, err, pipeline = convert("fluent-bit", work, name, text)
        check(f"{name}: everything translated, exit 0", rc == 0, err)
        rows = run(work, pipeline, lambda: len(loki.rows()) >= 2 and loki.rows())
        rows = sorted(rows or [], key=lambda r: json.loads(r["line"]).get("message", ""))
        lines = [json.loads(r["line"]) for r in rows]
        check(f"{name}: Loki got the lines grep kept, as JSON records",
              [l.get("message") for l in lines] == [LINES[0], LINES[2]], lines)
        if len(rows) == 2:
            check(f"{name}: labels from Labels and the parsed, renamed keys",
                  rows[1]["labels"] == {"job": "fluent-bit", "level": "ERROR", "service": "api"},
                  rows[1]["labels"])
            check(f"{name}: the parser's named groups are fields of the record",
                  lines[1].get("text") == "request failed" and lines[1].get("level") == "ERROR",
                  lines[1])


def exit_codes(work):
    bad = os.path.join(work, "bad.yaml")
    with open(bad, "w") as f:
        f.write("scrape_configs: [\n")
    proc = subprocess.run([BIN, "convert", "--from", "promtail", bad], capture_output=True,
                          text=True)
    check("a file that does not parse: exit 2 with file:line:column",
          proc.returncode == 2 and proc.stderr.startswith(bad + ":2:"), proc.stderr)
    proc = subprocess.run([BIN, "convert", "--from", "filebeat", os.path.join(work, "none.yml")],
                          capture_output=True, text=True)
    check("a file that cannot be read: exit 2",
          proc.returncode == 2 and "cannot read" in proc.stderr,
          proc.stderr)
    proc = subprocess.run([BIN, "convert", "--from", "syslog-ng", bad], capture_output=True,
                          text=True)
    check("an unknown tool: exit 2 with the usage", proc.returncode == 2 and "usage" in proc.stderr,
          proc.stderr)
    part = os.path.join(work, "partial.yaml")
    with open(part, "w") as f:
        f.write("""clients:
  - url: http://127.0.0.1:3100/loki/api/v1/push
scrape_configs:
  - job_name: app
    static_configs:
      - labels: {job: app, __path__: /var/log/app.log}
    pipeline_stages:
      - replace:
          expression: 'secret=(\\S+)'
          replace: '***'
      - tenant:
          source: team
""")
    out = os.path.join(work, "partial.out.yaml")
    proc = subprocess.run([BIN, "convert", "--from", "promtail", part, "-o", out],
                          capture_output=True, text=True)
    check("something not translated: exit 1", proc.returncode == 1, proc.stderr)
    check("each not translated part listed with file:line:column",
          f"{part}:8:9: not translated: scrape_configs[0].pipeline_stages[0].replace"
          in proc.stderr and
          f"{part}:11:9: not translated: scrape_configs[0].pipeline_stages[1].tenant"
          in proc.stderr,
          proc.stderr)
    valid = subprocess.run([BIN, "validate", "-c", out], capture_output=True, text=True)
    check("what was translated still validates", valid.returncode == 0, valid.stderr)


def main():
    scenarios = [("promtail", promtail), ("promtail_syslog", promtail_syslog),
                 ("promtail_push", promtail_push), ("filebeat", filebeat),
                 ("fluent_bit_classic", lambda work: fluent_bit(work, fluent_bit_classic)),
                 ("fluent_bit_yaml", lambda work: fluent_bit(work, fluent_bit_yaml)),
                 ("exit_codes", exit_codes)]
    for name, scenario in scenarios:
        work = tempfile.mkdtemp(prefix=f"logship-convert-{name}-")
        try:
            scenario(work)
        except Exception as e:  # one scenario's failure must not hide the others' results
            check(f"{name} ran", False, repr(e))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    finish()


main()
