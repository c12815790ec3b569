#!/usr/bin/env python3
"""The admin API's lock, with the real binary over HTTPS: control endpoints (/tap, /status,
/reload) need the Bearer token from admin.auth.token_file, probes and /metrics do not (until
metrics_public: false), `logship tap` and `logship status` take the token and certificate from
the same configuration, a reload takes a rotated token, every control request is logged with its
peer, and a tap of events that have not passed a scrub_pii says so.

usage: admin_auth_test.py PATH/TO/logship
"""
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from testlib import check, finish, free_port, wait_until

BIN = os.path.abspath(sys.argv[1])

work = tempfile.mkdtemp(prefix="logship-admin-")
proc = None
try:
    port = free_port()
    cert, key = os.path.join(work, "admin.crt"), os.path.join(work, "admin.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=logship-admin", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    token_file = os.path.join(work, "admin.token")
    with open(token_file, "w") as f:
        f.write("first-token-0123456789abcdef\n")  # the newline an editor leaves is not part of it
    log = os.path.join(work, "auth.log")
    with open(log, "w") as f:
        f.write("Nov 11 12:00:00 web sshd[1]: Failed password for root from 203.0.113.7 port 22 ssh2\n")
    config = os.path.join(work, "p.yaml")

    def write_config(metrics_public=True):
        with open(config, "w") as f:
            f.write(f"""data_dir: {work}/data
admin:
  address: 127.0.0.1:{port}
  auth: {{token_file: {token_file}}}
  tls: {{cert_file: {cert}, key_file: {key}}}
  metrics_public: {str(metrics_public).lower()}
sources:
  auth: {{type: file, include: [{log}], start_at: beginning}}
transforms:
  parse: {{type: parse_auth, inputs: [auth]}}
  scrub: {{type: scrub_pii, inputs: [parse]}}
outputs:
  out: {{type: file, inputs: [scrub], path: {work}/out.ndjson}}
""")

    write_config()
    context = ssl.create_default_context(cafile=cert)
    base = f"https://127.0.0.1:{port}"

    def call(path, token=None, method="GET"):
        req = urllib.request.Request(base + path, method=method)
        if token:
            req.add_header("Authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(req, timeout=10, context=context) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    agent_log = open(os.path.join(work, "agent.log"), "w")
    proc = subprocess.Popen([BIN, "run", "-c", config], stdout=agent_log, stderr=subprocess.STDOUT)

    def up():
        try:
            return call("/healthz")[0] == 200
        except (urllib.error.URLError, ConnectionError, ssl.SSLError):
            return False

    check("the agent serves HTTPS with its certificate", wait_until(up, 30))
    token = "first-token-0123456789abcdef"
    check("/healthz without a token: 200", call("/healthz")[0] == 200)
    status, body = call("/metrics")
    check("/metrics without a token: 200 (Prometheus scrapes it)",
          status == 200 and "logship_component_received_events_total" in body, body[:200])
    for path in ("/tap?component=parse&timeout_ms=10", "/status"):
        check(f"{path.split('?')[0]} without a token: 401", call(path)[0] == 401)
        check(f"{path.split('?')[0]} with a wrong token: 401", call(path, "first-token")[0] == 401)
    check("/status with the token: 200", call("/status", token)[0] == 200)
    check("POST /reload without a token: 401", call("/reload", method="POST")[0] == 401)

    status, body = call("/tap?component=parse&timeout_ms=3000&limit=1", token)
    lines = body.splitlines()
    check("/tap with the token: 200", status == 200, str(status))
    check("a tap upstream of scrub_pii says so in its first line",
          lines and lines[0].startswith('{"logship.tap.notice":') and "scrub_pii" in lines[0], body[:300])
    status, body = call("/tap?component=scrub&timeout_ms=10", token)
    check("a tap of scrub_pii's output carries no notice", status == 200 and "notice" not in body, body[:300])
    check("a tap condition longer than 4 KiB: 413",
          call("/tap?component=parse&when=" + "x" * 5000, token)[0] == 413)

    # The CLI takes the token and the certificate from the same configuration.
    with open(log, "a") as f:
        f.write("Nov 11 12:00:01 web sshd[2]: Failed password for bob from 203.0.113.8 port 22 ssh2\n")
    writer = subprocess.Popen(["bash", "-c", f"for i in $(seq 40); do echo 'Nov 11 12:00:02 web sshd[3]: "
                               f"Failed password for eve from 203.0.113.9 port 22 ssh2' >> {log}; sleep 0.1; done"])
    tap = subprocess.run([BIN, "tap", "parse", "-c", config, "--limit", "1"], capture_output=True,
                         text=True, timeout=30)
    writer.wait()
    check("logship tap -c: one event on stdout", tap.returncode == 0 and
          len(tap.stdout.splitlines()) == 1 and '"ssh_failed_password"' in tap.stdout, tap.stderr)
    check("logship tap -c: the scrub notice on stderr, not among the events",
          "have not all passed a scrub_pii" in tap.stderr and "notice" not in tap.stdout, tap.stderr)
    st = subprocess.run([BIN, "status", "-c", config], capture_output=True, text=True, timeout=30)
    check("logship status -c works over HTTPS with the token", st.returncode == 0 and "sources" in st.stdout,
          st.stderr)
    wrong = os.path.join(work, "wrong.token")
    with open(wrong, "w") as f:
        f.write("not-the-token\n")
    st = subprocess.run([BIN, "status", "-c", config, "--token-file", wrong], capture_output=True,
                        text=True, timeout=30)
    check("logship status --token-file with a wrong token fails with the 401",
          st.returncode == 1 and "401" in st.stderr, st.stderr)

    # A rotated token and private metrics take effect with a reload.
    with open(token_file, "w") as f:
        f.write("second-token-fedcba9876543210\n")
    write_config(metrics_public=False)
    proc.send_signal(signal.SIGHUP)
    rotated = wait_until(lambda: call("/status", "second-token-fedcba9876543210")[0] == 200, 20)
    check("after a reload the new token opens /status", rotated)
    check("after a reload the old token is refused", call("/status", token)[0] == 401)
    check("metrics_public: false puts /metrics behind the token",
          call("/metrics")[0] == 401 and call("/metrics", "second-token-fedcba9876543210")[0] == 200)
    check("probes stay open", call("/readyz")[0] == 200 and call("/healthz")[0] == 200)
    status, body = call("/reload", "second-token-fedcba9876543210", method="POST")
    check("POST /reload with the token: 200", status == 200, body)

    status, body = call("/metrics", "second-token-fedcba9876543210")
    check("refused and served control requests are counted",
          'logship_admin_requests_total{code="401",endpoint="/status"}' in body and
          'logship_admin_requests_total{code="200",endpoint="/tap"}' in body, body[-600:])
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    proc = None
    agent_log.close()
    text = open(os.path.join(work, "agent.log")).read()
    check("every tap is logged with the peer address",
          "admin: GET /tap?component=parse" in text and "from 127.0.0.1:" in text, text[-2000:])
    check("reloads are logged with the peer address", "admin: POST /reload from 127.0.0.1:" in text)
    check("refusals are logged at WARN, at most one line per 10 s with a count of the others",
          "WARN admin: refused GET /tap from 127.0.0.1:" in text and
          text.count("WARN admin: refused") < 4, text[-2000:])
    check("the start-up line says how the control endpoints are locked",
          "control endpoints need the Bearer token" in text)

    # A token file that cannot be read is a configuration error with its place.
    os.remove(token_file)
    v = subprocess.run([BIN, "validate", "-c", config], capture_output=True, text=True, timeout=30)
    check("an unreadable token file fails validation at file:line:column",
          v.returncode == 1 and f"{config}:4:" in v.stderr and "admin.token" in v.stderr, v.stderr)
finally:
    if proc:
        proc.kill()
        proc.wait()
    shutil.rmtree(work, ignore_errors=True)

finish()
