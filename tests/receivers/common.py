"""Shared parts of the test receivers: a threaded HTTP/1.1 server on 127.0.0.1 with a port chosen
at run time, request bodies decoded per Content-Encoding, and a scripted list of faults that the
test fills through POST /__control and that each request consumes in turn.

With `--tls-cert FILE --tls-key FILE` the server speaks HTTPS; `--tls-client-ca FILE` also makes
it require a client certificate signed by that CA. Failed handshakes are counted in `tls_stats`
(each receiver's GET /__stats includes them) so a test can tell a refused handshake apart from a
connection that never came."""
import gzip
import json
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Faults:
    """Faults for the next requests, consumed one per request: "500", "429", "413", "400",
    "drop" (close the connection without an answer), "slow" (answer after `slow_seconds`)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.whole = []
        self.items = []
        self.slow_seconds = 2.0

    def set(self, spec):
        with self.lock:
            self.whole = list(spec.get("whole", []))
            self.items = list(spec.get("items", []))
            self.slow_seconds = float(spec.get("slow_seconds", self.slow_seconds))

    def next_whole(self):
        with self.lock:
            return self.whole.pop(0) if self.whole else None

    def next_item(self):
        with self.lock:
            return self.items.pop(0) if self.items else None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def body(self):
        n = int(self.headers.get("Content-Length", "0"))
        data = self.rfile.read(n) if n else b""
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            data = gzip.decompress(data)
        elif encoding == "zstd":
            import zstandard  # only when a test asks for zstd
            data = zstandard.ZstdDecompressor().decompress(data)
        return data

    def reply(self, status, body=b"", content_type="application/json", headers=None):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(2)
        except OSError:
            pass

    def apply_fault(self, fault):
        """Answers for a whole-request fault; True when the request is done."""
        if fault is None:
            return False
        if fault == "drop":
            self.drop()
            return True
        if fault == "slow":
            time.sleep(self.server.faults.slow_seconds)
            return False
        headers = {"Retry-After": "1"} if fault == "429" else None
        self.reply(int(fault), json.dumps({"error": "injected " + fault}), headers=headers)
        return True

    def control(self):
        spec = json.loads(self.body() or b"{}")
        self.server.faults.set(spec)
        self.reply(200, "{}")


class TlsServer(ThreadingHTTPServer):
    """Handshakes in the connection's own thread (not in accept), so a client that stalls or is
    refused does not hold up the others."""

    def __init__(self, address, handler_class, context):
        super().__init__(address, handler_class)
        self.context = context
        self.tls_lock = threading.Lock()
        self.tls_errors = []

    def finish_request(self, request, client_address):
        request.settimeout(10)
        try:
            conn = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            with self.tls_lock:
                self.tls_errors.append(str(e))
            request.close()
            return
        conn.settimeout(None)
        try:
            self.RequestHandlerClass(conn, client_address, self)
        finally:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()


def tls_stats(server):
    """Failed handshakes and the last errors for /__stats; empty for a plain HTTP server."""
    if not isinstance(server, TlsServer):
        return {}
    with server.tls_lock:
        return {"tls_failures": len(server.tls_errors), "tls_errors": server.tls_errors[-20:]}


def tls_context(argv):
    """A server-side SSLContext from --tls-cert/--tls-key[/--tls-client-ca], or None."""
    cert, key, client_ca = (arg(argv, "--tls-cert"), arg(argv, "--tls-key"),
                            arg(argv, "--tls-client-ca"))
    if not cert:
        if key or client_ca:
            sys.exit("--tls-key and --tls-client-ca need --tls-cert")
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    if client_ca:
        context.load_verify_locations(client_ca)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


def serve(handler_class, state, port=0, tls=None):
    """Serves until killed; `tls` is an SSLContext from tls_context() for HTTPS."""
    if tls is None:
        server = ThreadingHTTPServer(("127.0.0.1", port), handler_class)
    else:
        server = TlsServer(("127.0.0.1", port), handler_class, tls)
    server.daemon_threads = True
    server.faults = Faults()
    server.state = state
    print(f"PORT {server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    return 0


def port_arg(argv):
    for i, a in enumerate(argv):
        if a == "--port" and i + 1 < len(argv):
            return int(argv[i + 1])
    return 0


def arg(argv, name, default=None):
    for i, a in enumerate(argv):
        if a == name and i + 1 < len(argv):
            return argv[i + 1]
    return default


if __name__ == "__main__":
    sys.exit("a library for loki_receiver.py and elasticsearch_receiver.py")
