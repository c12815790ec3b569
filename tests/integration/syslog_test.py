#!/usr/bin/env python3
"""The syslog source with senders logship did not write: util-linux `logger` over TCP (octet
counting and newline framing, RFC 5424 and RFC 3164), UDP and a unix socket, and rsyslog
forwarding with omfwd over TCP (octet-counted) and over mutual TLS. Each run sends numbered
messages and checks that every one arrives exactly once with the fields its header carries. Also:
limits (max_message_bytes, max_connections), and an output that stalls: TCP senders wait and lose
nothing, UDP datagrams the kernel drops are counted.

usage: syslog_test.py PATH/TO/logship
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import ssl
import threading
import time
import urllib.request

from testlib import Pki, check, finish, free_port, missing, ndjson_records, wait_until

BIN = os.path.abspath(sys.argv[1])
LOGGER = shutil.which("logger")
RSYSLOGD = shutil.which("rsyslogd", path=os.environ.get("PATH", "") + ":/usr/sbin")


class Agent:
    def __init__(self, work, sources, output_extra=""):
        self.work = work
        self.admin = free_port()
        self.out = os.path.join(work, "out", "events.ndjson")
        self.config = os.path.join(work, "syslog.yaml")
        os.makedirs(os.path.dirname(self.out), exist_ok=True)
        names = ", ".join(sources)
        with open(self.config, "w") as f:
            f.write(f"data_dir: {work}/data\nadmin: {{address: 127.0.0.1:{self.admin}}}\nsources:\n")
            for name, spec in sources.items():
                f.write(f"  {name}: {spec}\n")
            f.write(f"outputs:\n  out: {{type: file, inputs: [{names}], path: {self.out}"
                    f"{output_extra}}}\n")

    def start(self):
        self.log = open(os.path.join(self.work, "agent.log"), "a")
        self.proc = subprocess.Popen([BIN, "run", "-c", self.config], stderr=self.log)
        assert wait_until(lambda: self.metrics() is not None, 10), "admin server did not come up"
        return self

    def metrics(self):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.admin}/metrics", timeout=5) as r:
                return r.read().decode()
        except OSError:
            return None

    def counter(self, name, **labels):
        total = 0.0
        for m in re.finditer(rf"^{name}{{([^}}]*)}} ([0-9.e+]+)$", self.metrics() or "", re.M):
            have = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
            if all(have.get(k) == v for k, v in labels.items()):
                total += float(m.group(2))
        return total

    def records(self):
        return ndjson_records(self.out)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(timeout=30) == 0, "agent did not stop cleanly"


def field(record, dotted):
    for part in dotted.split("."):
        if not isinstance(record, dict) or part not in record:
            return None
        record = record[part]
    return record


def numbered(records, tag):
    """{n: record} of the records whose syslog body is "<tag> <n> ...", and how many repeated."""
    seen, dupes = {}, 0
    for r in records:
        body = field(r, "syslog.message") or ""
        if body.startswith(tag + " "):
            n = int(body.split()[1])
            dupes += n in seen
            seen[n] = r
    return seen, dupes


def line_text(tag, i):
    return f"{tag} {i} user=alice action=login result=ok padding {'x' * (i % 40)}"


def write_lines(path, tag, count):
    with open(path, "w") as f:
        for i in range(count):
            f.write(line_text(tag, i) + "\n")


def expect_all(agent, tag, count, fields, timeout=60, bodies_from_lines=True):
    """Waits for messages 0..count-1 of `tag`, then checks exactly-once and the given fields."""
    wait_until(lambda: len(numbered(agent.records(), tag)[0]) >= count, timeout)
    seen, dupes = numbered(agent.records(), tag)
    check(f"{tag}: {count} messages arrive", len(seen) == count, f"got {len(seen)}")
    check(f"{tag}: none twice", dupes == 0, f"{dupes} duplicates")
    if not seen:
        return
    wrong = [(k, field(r, k), v) for r in seen.values() for k, v in fields.items()
             if field(r, k) != v]
    check(f"{tag}: fields from the header", not wrong, str(wrong[:3]))
    if not bodies_from_lines:
        return
    # The body is the line as written: nothing of the framing (a length, a trailing LF) stays.
    bodies = [(n, field(r, "syslog.message")) for n, r in seen.items()]
    bad = [b for n, b in bodies if b != line_text(tag, n)]
    check(f"{tag}: bodies exactly as sent", not bad, repr(bad[:2]))


def logger(*args):
    r = subprocess.run([LOGGER, *args], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"logger {args}: {r.stderr}"


def scenario_logger(work):
    if not LOGGER:
        print(missing("util-linux logger"))
        return
    tcp, udp, sock = free_port(), free_port(), os.path.join(work, "log.sock")
    agent = Agent(work, {
        "tcp": f'{{type: syslog, mode: tcp, address: "127.0.0.1:{tcp}"}}',
        "udp": f'{{type: syslog, mode: udp, address: "127.0.0.1:{udp}"}}',
        "local": f'{{type: syslog, mode: unix, address: "{sock}"}}',
    }).start()
    try:
        lines = os.path.join(work, "lines.txt")
        write_lines(lines, "octet5424", 10000)
        logger("--tcp", "--octet-count", "--rfc5424", "-n", "127.0.0.1", "-P", str(tcp),
               "-t", "billing", "-p", "local3.warning", "-f", lines)
        expect_all(agent, "octet5424", 10000, {
            "process.name": "billing", "log.syslog.facility.name": "local3",
            "log.syslog.severity.name": "warning", "log.syslog.version": "1",
            "source.ip": "127.0.0.1", "host.name": socket.gethostname(),
            "sd.timeQuality.tzKnown": "1", "log.level": "medium"})

        write_lines(lines, "line3164", 2000)
        logger("--tcp", "--rfc3164", "-n", "127.0.0.1", "-P", str(tcp), "-t", "sshd",
               "--id=4242", "-p", "auth.info", "-f", lines)
        expect_all(agent, "line3164", 2000, {
            "process.name": "sshd", "process.pid": 4242, "log.syslog.facility.name": "auth",
            "log.syslog.severity.name": "info", "source.ip": "127.0.0.1"})

        # UDP at logger's own steady pace: loopback with the default receive buffer loses none.
        write_lines(lines, "udp", 10000)
        logger("--udp", "--rfc5424", "-n", "127.0.0.1", "-P", str(udp), "-t", "udpapp",
               "-p", "daemon.err", "-f", lines)
        expect_all(agent, "udp", 10000, {"process.name": "udpapp", "log.level": "high",
                                        "log.syslog.facility.name": "daemon"})
        check("udp: no overflow counted",
              agent.counter("logship_component_discarded_events_total",
                            component_id="udp", reason="udp_overflow") == 0)

        write_lines(lines, "unix", 1000)
        logger("-d", "-u", sock, "-t", "localapp", "-f", lines)
        expect_all(agent, "unix", 1000, {"process.name": "localapp"})
        check("unix: no source.ip for a local sender",
              all(field(r, "source.ip") is None for r in numbered(agent.records(), "unix")[0].values()))
        received = agent.counter("logship_component_received_events_total", component_id="tcp")
        check("tcp: received counter", received == 12000, f"{received}")
    finally:
        agent.stop()
    check("unix: socket file removed at stop", not os.path.exists(sock))


RSYSLOG_CONF = """global(workDirectory="{work}/rsyslog")
{tls_globals}
module(load="imfile")
input(type="imfile" File="{input}" Tag="{tag}" Facility="local5" Severity="notice")
action(type="omfwd" target="127.0.0.1" port="{port}" protocol="tcp" TCP_Framing="octet-counted"
       template="RSYSLOG_SyslogProtocol23Format" {tls_action}
       action.resumeRetryCount="-1" action.resumeInterval="1")
"""


def run_rsyslog(work, name, port, count, tls_globals="", tls_action=""):
    """rsyslogd (not as a daemon) forwarding `count` numbered lines from a file it tails."""
    d = os.path.join(work, name)
    os.makedirs(os.path.join(d, "rsyslog"))
    source = os.path.join(d, "input.log")
    write_lines(source, name, count)
    conf = os.path.join(d, "rsyslog.conf")
    with open(conf, "w") as f:
        f.write(RSYSLOG_CONF.format(work=d, input=source, tag=name + ":", port=port,
                                    tls_globals=tls_globals, tls_action=tls_action))
    log = open(os.path.join(d, "rsyslogd.log"), "w")
    return subprocess.Popen([RSYSLOGD, "-n", "-f", conf, "-i", os.path.join(d, "rsyslogd.pid")],
                            stdout=log, stderr=subprocess.STDOUT)


def scenario_rsyslog(work):
    if not RSYSLOGD:
        print(missing("rsyslog (Debian packages rsyslog and rsyslog-openssl)"))
        return
    pki = Pki(work)
    tcp, tls = free_port(), free_port()
    agent = Agent(work, {
        "tcp": f'{{type: syslog, mode: tcp, address: "127.0.0.1:{tcp}"}}',
        "tls": (f'{{type: syslog, mode: tcp, address: "127.0.0.1:{tls}", tls: '
                f'{{cert_file: {pki.server_cert}, key_file: {pki.server_key}, '
                f'ca_file: {pki.ca}, verify_client: true}}}}'),
    }).start()
    senders = []
    try:
        senders.append(run_rsyslog(work, "rsyslogtcp", tcp, 10000))
        expect_all(agent, "rsyslogtcp", 10000, {
            "process.name": "rsyslogtcp", "log.syslog.facility.name": "local5",
            "log.syslog.severity.name": "notice", "log.syslog.version": "1",
            "source.ip": "127.0.0.1"}, timeout=90)
        tls_globals = (f'global(DefaultNetstreamDriver="ossl" DefaultNetstreamDriverCAFile="{pki.ca}" '
                       f'DefaultNetstreamDriverCertFile="{pki.client_cert}" '
                       f'DefaultNetstreamDriverKeyFile="{pki.client_key}")')
        tls_action = ('StreamDriver="ossl" StreamDriverMode="1" StreamDriverAuthMode="x509/name" '
                      'StreamDriverPermittedPeers="localhost"')
        senders.append(run_rsyslog(work, "rsyslogtls", tls, 2000, tls_globals, tls_action))
        expect_all(agent, "rsyslogtls", 2000, {"process.name": "rsyslogtls",
                                               "log.syslog.facility.name": "local5"}, timeout=90)
        # A client without a certificate is refused by verify_client.
        context = ssl.create_default_context(cafile=pki.ca)
        refused = False
        try:
            with socket.create_connection(("127.0.0.1", tls), timeout=5) as raw:
                with context.wrap_socket(raw, server_hostname="localhost") as s:
                    s.sendall(b"<13>1 - - nocert - - - nocert 1 should not arrive\n")
                    refused = s.recv(1) == b""
        except socket.timeout:
            refused = False  # the server neither refused nor answered
        except (ssl.SSLError, OSError):
            refused = True
        time.sleep(2)
        check("tls: a client without a certificate is refused",
              refused and not numbered(agent.records(), "nocert")[0])
    finally:
        for s in senders:
            s.terminate()
            s.wait(timeout=10)
        agent.stop()


def scenario_limits(work):
    port = free_port()
    agent = Agent(work, {"tcp": (f'{{type: syslog, mode: tcp, address: "127.0.0.1:{port}", '
                                 f'max_message_bytes: 1024, max_connections: 2}}')}).start()
    try:
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(b"<13>Jan  1 00:00:00 host big: limit 0 " + b"y" * 5000 + b"\n"
                      b"<13>Jan  1 00:00:00 host small: limit 1 fits\n")
            wait_until(lambda: len(numbered(agent.records(), "limit")[0]) == 2, 10)
        seen, _ = numbered(agent.records(), "limit")
        check("limits: a long message is cut to max_message_bytes and flagged",
              len(seen) == 2 and len(seen[0]["message"]) == 1024 and field(seen[0], "log.truncated") is True
              and field(seen[1], "log.truncated") is None, str(seen)[:300])
        check("limits: the cut is counted",
              agent.counter("logship_component_discarded_events_total", component_id="tcp",
                            reason="truncated_message") == 1)
        held = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
        time.sleep(0.3)
        extra = socket.create_connection(("127.0.0.1", port))
        extra.settimeout(5)
        try:
            closed = extra.recv(1) == b""
        except ConnectionResetError:
            closed = True
        check("limits: a connection past max_connections is closed", closed)
        check("limits: the refusal is counted",
              agent.counter("logship_component_errors_total", component_id="tcp",
                            reason="max_connections") == 1)
        for s in held + [extra]:
            s.close()
    finally:
        agent.stop()


def scenario_stalled_output(work):
    """While the output cannot write, TCP is not read (the sender waits) and the kernel drops
    UDP past the receive buffer, counted; when it can write again every TCP message arrives."""
    tcp, udp = free_port(), free_port()
    agent = Agent(work, {
        "tcp": f'{{type: syslog, mode: tcp, address: "127.0.0.1:{tcp}"}}',
        "udp": (f'{{type: syslog, mode: udp, address: "127.0.0.1:{udp}", '
                f'receive_buffer_bytes: 64KiB}}'),
    }, output_extra=", retry_interval: 100ms, buffer: {type: memory, max_bytes: 64KiB}")
    os.rmdir(os.path.dirname(agent.out))  # the output cannot write until it is back
    agent.start()
    try:
        count = 100000  # 15 MB: more than the kernel's socket buffers hold
        payload = b"".join(
            (f"<14>Jan  1 00:00:00 host stall: stalled {i} " + "z" * 100 + "\n").encode()
            for i in range(count))
        sent = threading.Event()

        def send():
            with socket.create_connection(("127.0.0.1", tcp)) as s:
                s.sendall(payload)
            sent.set()

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        udp_sent = 5000
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            for i in range(udp_sent):
                u.sendto(f"<14>Jan  1 00:00:00 host dgram: dgram {i} {'w' * 200}".encode(),
                         ("127.0.0.1", udp))
        time.sleep(1.5)
        check("stall: the TCP sender is held back, not dropped", not sent.is_set())
        overflow = wait_until(lambda: agent.counter("logship_component_discarded_events_total",
                                                    component_id="udp", reason="udp_overflow"), 10)
        check("stall: UDP the kernel dropped is counted as udp_overflow", overflow > 0)
        os.makedirs(os.path.dirname(agent.out))  # the destination comes back
        sender.join(timeout=60)
        expect_all(agent, "stalled", count, {"process.name": "stall"}, timeout=60,
                   bodies_from_lines=False)
        wait_until(lambda: len(numbered(agent.records(), "dgram")[0]) + overflow >= udp_sent, 20)
        got = len(numbered(agent.records(), "dgram")[0])
        overflow = agent.counter("logship_component_discarded_events_total",
                                 component_id="udp", reason="udp_overflow")
        check("stall: every datagram arrived or was counted as dropped",
              got + overflow == udp_sent, f"{got} arrived + {overflow} counted != {udp_sent}")
    finally:
        agent.stop()


def main():
    for scenario in (scenario_logger, scenario_rsyslog, scenario_limits, scenario_stalled_output):
        work = tempfile.mkdtemp(prefix="logship-syslog-")
        try:
            scenario(work)
        except Exception as e:  # noqa: BLE001 - a scenario that raises is a failed check
            check(scenario.__name__, False, f"{type(e).__name__}: {e}")
            for name in ("agent.log",):
                path = os.path.join(work, name)
                if os.path.exists(path):
                    print(open(path).read()[-3000:])
        finally:
            shutil.rmtree(work, ignore_errors=True)
    finish()


if __name__ == "__main__":
    main()
