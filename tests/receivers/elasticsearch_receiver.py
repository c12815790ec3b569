#!/usr/bin/python3
"""An Elasticsearch _bulk receiver for tests: answers GET / like a cluster (version document,
X-elastic-product header), parses _bulk NDJSON (gzip or plain), stores documents by index and
_id, and answers per item in request order as `filter_path=errors,items.*.error,items.*.status`
would. `create` on an existing _id answers 409; `index` overwrites. Faults are scripted through
POST /__control: {"whole": ["429","413","500","drop","slow"], "items": ["429","400","409"]}, each
used once, whole faults by the next requests, item faults by the next items.

usage: elasticsearch_receiver.py --out FILE [--port N]
       [--tls-cert F --tls-key F [--tls-client-ca F]]
(prints "PORT <n>" when listening; the TLS options are described in common.py)
Every stored document is appended to --out as {"index", "id", "action", "doc"}.
GET /__stats -> {"requests", "items", "stored", "conflicts", "overwrites", "errors"} (+ TLS counts
over HTTPS: "tls_failures", "tls_errors")
"""
import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

VERSION = {
    "name": "test-receiver",
    "cluster_name": "logship-test",
    "version": {"number": "8.11.0", "build_flavor": "default", "lucene_version": "9.8.0"},
    "tagline": "You Know, for Search",
}


class State:
    def __init__(self, out_path):
        self.lock = threading.Lock()
        self.out = open(out_path, "a")
        self.docs = {}
        self.requests = 0
        self.items = 0
        self.conflicts = 0
        self.overwrites = 0
        self.errors = []
        self.max_request_bytes = 0


class EsHandler(common.Handler):
    def do_GET(self):
        if self.path == "/__stats":
            s = self.server.state
            with s.lock:
                self.reply(200, json.dumps({"requests": s.requests, "items": s.items,
                                            "stored": len(s.docs), "conflicts": s.conflicts,
                                            "overwrites": s.overwrites, "errors": s.errors[:20],
                                            "max_request_bytes": s.max_request_bytes,
                                            **common.tls_stats(self.server)}))
            return
        if self.path == "/":
            self.reply(200, json.dumps(VERSION), headers={"X-elastic-product": "Elasticsearch"})
            return
        self.reply(404, "{}")

    def do_POST(self):
        if self.path == "/__control":
            self.control()
            return
        if not self.path.startswith("/_bulk"):
            self.reply(404, "{}")
            return
        data = self.body()
        fault = self.server.faults.next_whole()
        # "drop_after": store the items, then lose the answer (the client must not duplicate).
        drop_after = fault == "drop_after"
        if not drop_after and self.apply_fault(fault):
            return
        s = self.server.state
        if self.headers.get("Content-Type") != "application/x-ndjson":
            self.reply(406, '{"error":"Content-Type must be application/x-ndjson"}')
            return
        if not data.endswith(b"\n"):
            self.reply(400, '{"error":"the bulk request must be terminated by a newline"}')
            return
        lines = data.split(b"\n")[:-1]
        if len(lines) % 2:
            self.reply(400, '{"error":"action without a source line"}')
            return
        items = []
        errors = False
        with s.lock:
            s.requests += 1
            s.max_request_bytes = max(s.max_request_bytes, len(data))
        for i in range(0, len(lines), 2):
            try:
                action_doc = json.loads(lines[i])
                (action, meta), = action_doc.items()
                source = json.loads(lines[i + 1])
                if action not in ("create", "index"):
                    raise ValueError(f"unsupported action {action}")
                index, doc_id = meta["_index"], meta["_id"]
                if index != index.lower():
                    raise ValueError(f"index name must be lowercase: {index}")
            except Exception as e:
                with s.lock:
                    s.errors.append(f"malformed item: {e}")
                items.append({"index": {"status": 400, "error": {"type": "parse_exception",
                                                                 "reason": str(e)}}})
                errors = True
                continue
            status = 201
            error = None
            forced = self.server.faults.next_item()
            with s.lock:
                s.items += 1
                key = (index, doc_id)
                if forced == "429":
                    status, error = 429, {"type": "es_rejected_execution_exception",
                                          "reason": "injected"}
                elif forced == "400":
                    status, error = 400, {"type": "mapper_parsing_exception",
                                          "reason": "injected: failed to parse"}
                elif forced == "409" or (action == "create" and key in s.docs):
                    status, error = 409, {"type": "version_conflict_engine_exception",
                                          "reason": f"[{doc_id}]: document already exists"}
                    s.conflicts += 1
                    if key not in s.docs and forced == "409":
                        # An injected conflict stands for a copy stored by an earlier attempt.
                        self.store(s, key, action, source)
                else:
                    if key in s.docs:
                        s.overwrites += 1
                        status = 200
                    self.store(s, key, action, source)
            item = {"status": status}
            if error:
                item["error"] = error
                errors = True
            items.append({action: item})
        with s.lock:
            s.out.flush()
        if drop_after:
            self.drop()
            return
        self.reply(200, json.dumps({"errors": errors, "items": items}))

    @staticmethod
    def store(s, key, action, source):
        s.docs[key] = True
        s.out.write(json.dumps({"index": key[0], "id": key[1], "action": action,
                                "doc": source}) + "\n")


if __name__ == "__main__":
    out = common.arg(sys.argv, "--out", os.devnull)
    sys.exit(common.serve(EsHandler, State(out), common.port_arg(sys.argv),
                          common.tls_context(sys.argv)))
