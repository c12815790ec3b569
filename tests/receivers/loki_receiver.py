#!/usr/bin/python3
"""A Loki push receiver for tests: decodes snappy-compressed protobuf (logproto.PushRequest, from
outputs/loki/logproto.proto compiled with protoc at start) and JSON pushes, checks what Loki
checks (label-set syntax and names, entries of a stream in time order within a push), and appends
every accepted entry as one JSON line to --out. Faults are scripted through POST /__control.

usage: loki_receiver.py --out FILE [--port N] [--tls-cert F --tls-key F [--tls-client-ca F]]
(prints "PORT <n>" when listening; the TLS options are described in common.py)
GET /__stats -> {"pushes", "entries", "errors": [...], "tenants": {...}} (+ TLS counts over HTTPS)
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import threading

import snappy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def load_logproto():
    out = tempfile.mkdtemp(prefix="logproto-")
    subprocess.run(["protoc", f"--python_out={out}", f"-I{ROOT}/outputs/loki",
                    f"{ROOT}/outputs/loki/logproto.proto"], check=True)
    sys.path.insert(0, out)
    import logproto_pb2
    return logproto_pb2


logproto = load_logproto()

NAME = r"[a-zA-Z_][a-zA-Z0-9_]*"
PAIR = re.compile(r'(' + NAME + r')="((?:[^"\\]|\\.)*)"')


def parse_labels(text):
    """Parses `{a="x", b="y"}` strictly; returns a dict or raises ValueError."""
    if not (text.startswith("{") and text.endswith("}")):
        raise ValueError(f"labels not in braces: {text!r}")
    inner = text[1:-1]
    out = {}
    pos = 0
    while pos < len(inner):
        m = PAIR.match(inner, pos)
        if not m:
            raise ValueError(f"bad label pair at {pos} in {text!r}")
        name, value = m.group(1), m.group(2)
        if name.startswith("__"):
            raise ValueError(f"reserved label name {name!r}")
        if name in out:
            raise ValueError(f"duplicate label {name!r}")
        out[name] = json.loads('"' + value + '"')
        pos = m.end()
        if pos < len(inner):
            if not inner.startswith(", ", pos):
                raise ValueError(f"labels must be separated by ', ' in {text!r}")
            pos += 2
    if not out:
        raise ValueError("empty label set")
    names = list(out)
    if names != sorted(names):
        raise ValueError(f"label names not sorted in {text!r}")
    return out


class State:
    def __init__(self, out_path):
        self.lock = threading.Lock()
        self.out = open(out_path, "a")
        self.pushes = 0
        self.entries = 0
        self.errors = []
        self.tenants = {}
        self.content_types = {}


class LokiHandler(common.Handler):
    def do_GET(self):
        if self.path == "/__stats":
            s = self.server.state
            with s.lock:
                self.reply(200, json.dumps({"pushes": s.pushes, "entries": s.entries,
                                            "errors": s.errors[:20], "tenants": s.tenants,
                                            "content_types": s.content_types,
                                            **common.tls_stats(self.server)}))
            return
        if self.path == "/ready":
            self.reply(200, "ready", "text/plain")
            return
        self.reply(404, "{}")

    def do_POST(self):
        if self.path == "/__control":
            self.control()
            return
        if self.path != "/loki/api/v1/push":
            self.reply(404, "not found", "text/plain")
            return
        data = self.body()
        fault = self.server.faults.next_whole()
        if self.apply_fault(fault):
            return
        ctype = self.headers.get("Content-Type", "")
        tenant = self.headers.get("X-Scope-OrgID", "")
        try:
            streams = self.decode(data, ctype)
            rows = []
            for labels_text, entries in streams:
                labels = parse_labels(labels_text)
                last = None
                for ts, line, meta in entries:
                    if last is not None and ts < last:
                        raise ValueError(f"entry out of order for stream {labels_text}")
                    last = ts
                    rows.append({"labels": labels, "ts": ts, "line": line, "meta": meta,
                                 "tenant": tenant})
        except Exception as e:  # a malformed push is what this receiver exists to catch
            s = self.server.state
            with s.lock:
                s.errors.append(str(e))
            self.reply(400, f"error parsing push: {e}", "text/plain")
            return
        s = self.server.state
        with s.lock:
            for r in rows:
                s.out.write(json.dumps(r) + "\n")
            s.out.flush()
            s.pushes += 1
            s.entries += len(rows)
            s.tenants[tenant] = s.tenants.get(tenant, 0) + len(rows)
            s.content_types[ctype] = s.content_types.get(ctype, 0) + 1
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def decode(self, data, ctype):
        if ctype == "application/x-protobuf":
            push = logproto.PushRequest()
            push.ParseFromString(snappy.uncompress(data))
            out = []
            for st in push.streams:
                entries = []
                for e in st.entries:
                    ts = e.timestamp.seconds * 1_000_000_000 + e.timestamp.nanos
                    meta = {m.name: m.value for m in e.structuredMetadata}
                    entries.append((ts, e.line, meta))
                out.append((st.labels, entries))
            return out
        if ctype.startswith("application/json"):
            doc = json.loads(data)
            out = []
            for st in doc["streams"]:
                labels = st["stream"]
                for k in labels:
                    if not re.fullmatch(NAME, k):
                        raise ValueError(f"bad label name {k!r}")
                text = "{" + ", ".join(f'{k}={json.dumps(labels[k])}' for k in sorted(labels)) + "}"
                entries = [(int(v[0]), v[1], v[2] if len(v) > 2 else {}) for v in st["values"]]
                out.append((text, entries))
            return out
        raise ValueError(f"unexpected Content-Type {ctype!r}")


if __name__ == "__main__":
    out = common.arg(sys.argv, "--out", os.devnull)
    sys.exit(common.serve(LokiHandler, State(out), common.port_arg(sys.argv),
                          common.tls_context(sys.argv)))
