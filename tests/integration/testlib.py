"""What the integration and soak scripts share: loopback ports, HTTP calls, polling, and the
receivers of tests/receivers run as child processes."""
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

RECEIVERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "receivers")
PYTHON = "/usr/bin/python3"  # Debian's, which has python3-protobuf and python3-snappy


def missing(what):
    """For a test that cannot run here (a tool, a privilege): its note on a developer's machine;
    in CI (CI=true) a failure, where a skip would pass for a success."""
    if os.environ.get("CI") == "true":
        raise AssertionError(f"required in CI: {what}")
    return f"(skipped: {what})"


_results = {"passed": 0, "failed": 0}


def check(name, cond, detail=""):
    """One named assertion of a script: "ok   - name" or "FAIL - name detail"."""
    _results["passed" if cond else "failed"] += 1
    print(f"{'ok  ' if cond else 'FAIL'} - {name} {'' if cond else detail}".rstrip(), flush=True)


def finish():
    """Prints "N passed, N failed" and exits 1 when any check failed."""
    print(f"{_results['passed']} passed, {_results['failed']} failed")
    sys.exit(1 if _results["failed"] else 0)


def sanitized(binary):
    """Whether `binary` is built with AddressSanitizer, whose shadow memory and redzones more than
    triple the agent's RSS (memory bounds are scaled for it)."""
    return "libasan" in subprocess.run(["ldd", binary], capture_output=True, text=True).stdout


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http(method, url, body=None, timeout=5, context=None):
    req = urllib.request.Request(url, data=body, method=method)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=context) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def wait_until(fn, seconds, step=0.2):
    deadline = time.time() + seconds
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(step)
    return fn()


def ndjson_records(path):
    """The complete lines of an NDJSON file logship may still be writing, parsed; a line not yet
    ended (a large event takes several writes) is left for the next read."""
    if not os.path.exists(path):
        return []
    records = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.endswith("\n"):
                break
            if line.strip():
                records.append(json.loads(line))
    return records


class Receiver:
    """A Loki or Elasticsearch receiver writing what it stored to `out`. `pki` (a Pki) makes it
    serve HTTPS with the server certificate; `client_ca` also makes it require a client
    certificate, and the test talks to it as the Pki's client. `popen` starts the process (the
    soak tests pass theirs, which ties the child's life to the script's)."""

    def __init__(self, kind, out, port=0, pki=None, client_ca=False, popen=subprocess.Popen):
        self.kind, self.out, self.port = kind, out, port
        self.pki, self.client_ca, self.popen = pki, client_ca, popen
        self.context = pki.client_context() if pki else None
        self.proc = None

    def start(self):
        script = os.path.join(RECEIVERS, f"{self.kind}_receiver.py")
        args = [PYTHON, script, "--out", self.out, "--port", str(self.port)]
        if self.pki:
            args += ["--tls-cert", self.pki.server_cert, "--tls-key", self.pki.server_key]
            if self.client_ca:
                args += ["--tls-client-ca", self.pki.ca]
        self.proc = self.popen(args, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"{self.kind} receiver did not start: {line!r}")
        self.port = int(line.split()[1])
        return self

    def stop(self):
        if self.proc:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def url(self):
        return f"{'https' if self.pki else 'http'}://127.0.0.1:{self.port}"

    def control(self, spec):
        status, _ = http("POST", self.url() + "/__control", json.dumps(spec).encode(),
                         context=self.context)
        assert status == 200

    def stats(self):
        status, body = http("GET", self.url() + "/__stats", context=self.context)
        return json.loads(body)

    def rows(self):
        return ndjson_records(self.out)


class Pki:
    """A throwaway CA, a server certificate for 127.0.0.1 and localhost, and a client
    certificate, made at run time with the openssl command line."""

    def __init__(self, work):
        self.openssl = shutil.which("openssl")
        assert self.openssl, "the tls scenarios need the openssl command (Debian package openssl)"
        self.dir = os.path.join(work, "pki")
        os.makedirs(self.dir)
        self.ca = os.path.join(self.dir, "ca.pem")
        self.run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                 "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                 "-subj", "/CN=logship test CA",
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        self.server_cert, self.server_key = self.issue(
            "server", "/CN=127.0.0.1", 2,
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
        self.client_cert, self.client_key = self.issue(
            "client", "/CN=logship-agent", 3, "extendedKeyUsage=clientAuth\n")

    def run(self, *args):
        r = subprocess.run([self.openssl, *args], cwd=self.dir, capture_output=True, text=True,
                           timeout=30)
        assert r.returncode == 0, f"openssl {args[0]} failed: {r.stderr}"

    def issue(self, name, subject, serial, extensions):
        with open(os.path.join(self.dir, f"{name}.ext"), "w") as f:
            f.write(extensions)
        self.run("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                 "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject)
        self.run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                 "-set_serial", str(serial), "-days", "2", "-extfile", f"{name}.ext",
                 "-out", f"{name}.pem")
        return os.path.join(self.dir, f"{name}.pem"), os.path.join(self.dir, f"{name}.key")

    def client_context(self):
        """How the test itself talks to the receivers: trusting the CA, with the client cert."""
        context = ssl.create_default_context(cafile=self.ca)
        context.load_cert_chain(self.client_cert, self.client_key)
        return context
