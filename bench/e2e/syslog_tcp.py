#!/usr/bin/env python3
"""Syslog over TCP into a file, logship against rsyslog (imtcp) on the same machine.

One sender streams SIZE_MB of octet-counted syslog (RFC 3164 auth lines and RFC 5424 application
messages, mixed) over one connection; the receiver parses every message and writes it out:
  logship  syslog source (mode tcp) -> file output (NDJSON with the parsed header fields)
  rsyslog  imtcp -> omfile, once with its file format, once with %jsonmesg% (every property as JSON)
Reported per receiver: MB of syslog per CPU-second of the receiver (user+sys of the process, all
threads, from /proc/PID/stat between the first byte and the last line written), wall MB/s and
peak RSS (VmHWM). Best (least CPU) of REPEATS runs (default 3).

usage: bench/e2e/syslog_tcp.py PATH/TO/logship [SIZE_MB, default 200]
"""
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

BIN = os.path.abspath(sys.argv[1])
SIZE_MB = int(sys.argv[2]) if len(sys.argv) > 2 else 200
REPEATS = int(os.environ.get("REPEATS", "3"))
RSYSLOGD = shutil.which("rsyslogd", path=os.environ.get("PATH", "") + ":/usr/sbin")
TCK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def corpus(path):
    """Octet-counted frames; returns the number of messages."""
    rnd = random.Random(7)
    hosts = [f"web-{i:02d}" for i in range(8)]
    users = ["root", "admin", "alice", "bob", "deploy", "git", "postgres", "ubuntu", "www-data"]
    count, size = 0, 0
    with open(path, "wb") as f:
        while size < SIZE_MB << 20:
            host, user = rnd.choice(hosts), rnd.choice(users)
            ip = f"{rnd.randint(1, 223)}.{rnd.randint(0, 255)}.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}"
            pid = rnd.randint(300, 65000)
            kind = count % 4
            if kind == 0:
                m = (f"<38>Dec  6 23:{count % 60:02d}:{count % 59:02d} {host} sshd[{pid}]: Failed password "
                     f"for invalid user {user} from {ip} port {rnd.randint(1024, 65535)} ssh2")
            elif kind == 1:
                m = (f"<86>Dec  6 23:{count % 60:02d}:{count % 59:02d} {host} sudo: {user} : TTY=pts/0 ; "
                     f"PWD=/home/{user} ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx")
            elif kind == 2:
                m = (f"<165>1 2026-12-06T23:{count % 60:02d}:{count % 59:02d}.{count % 1000:03d}Z {host} "
                     f"billing {pid} ORDER [meta@32473 user=\"{user}\" region=\"eu\"] order {count} "
                     f"placed total=42.50 currency=EUR latency_ms={rnd.randint(1, 900)}")
            else:
                m = (f"<30>Dec  6 23:{count % 60:02d}:{count % 59:02d} {host} systemd-logind[{pid}]: New "
                     f"session {count} of user {user}.")
            data = m.encode()
            frame = str(len(data)).encode() + b" " + data
            f.write(frame)
            size += len(data)
            count += 1
    return count, size


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TCK


def hwm_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def count_lines(path):
    if not os.path.exists(path):
        return 0
    n = 0
    with open(path, "rb") as f:
        while True:
            block = f.read(1 << 22)
            if not block:
                return n
            n += block.count(b"\n")


def wait_port(port, proc, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("receiver exited")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("receiver did not listen")


def run(name, start, out, data_path, messages, size):
    """Starts a receiver with start(port) -> Popen, streams the corpus, waits for every line."""
    port = free_port()
    proc = start(port)
    try:
        wait_port(port, proc)
        time.sleep(0.5)  # idle start-up work out of the measurement
        cpu0, t0 = cpu_seconds(proc.pid), time.time()

        def send():
            with socket.create_connection(("127.0.0.1", port)) as s, open(data_path, "rb") as f:
                while True:
                    block = f.read(1 << 20)
                    if not block:
                        break
                    s.sendall(block)

        sender = threading.Thread(target=send)
        sender.start()
        deadline = time.time() + SIZE_MB * 3 + 120
        while count_lines(out) < messages:
            if time.time() > deadline or proc.poll() is not None:
                raise RuntimeError(f"{name}: {count_lines(out)} of {messages} lines")
            time.sleep(0.2)
        wall, cpu = time.time() - t0, cpu_seconds(proc.pid) - cpu0
        sender.join()
        return {"name": name, "cpu": cpu, "wall": wall, "mb_cpu": size / 2**20 / cpu,
                "mb_s": size / 2**20 / wall, "hwm_mb": hwm_kb(proc.pid) / 1024}
    finally:
        proc.kill()
        proc.wait()


def main():
    work = tempfile.mkdtemp(prefix="logship-syslog-bench-")
    try:
        data = os.path.join(work, "frames.bin")
        messages, size = corpus(data)
        print(f"{messages} messages, {size / 2**20:.0f} MB of syslog (octet-counted)")

        def logship(port, out):
            conf = os.path.join(work, "logship.yaml")
            with open(conf, "w") as f:
                f.write(f"data_dir: {work}/data\nadmin: {{address: 127.0.0.1:{free_port()}}}\n"
                        f"sources:\n  tcp: {{type: syslog, mode: tcp, address: \"127.0.0.1:{port}\"}}\n"
                        f"outputs:\n  out: {{type: file, inputs: [tcp], path: {out}}}\n")
            return subprocess.Popen([BIN, "run", "-c", conf], stderr=subprocess.DEVNULL)

        def rsyslog(port, out, template):
            d = tempfile.mkdtemp(dir=work)
            conf = os.path.join(d, "rsyslog.conf")
            with open(conf, "w") as f:
                f.write(f'global(workDirectory="{d}")\nmodule(load="imtcp")\n'
                        f'template(name="json" type="string" string="%jsonmesg%\\n")\n'
                        f'input(type="imtcp" port="{port}" address="127.0.0.1")\n'
                        f'action(type="omfile" file="{out}" template="{template}")\n')
            return subprocess.Popen([RSYSLOGD, "-n", "-f", conf, "-i", os.path.join(d, "pid")],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        receivers = [("logship syslog -> file (NDJSON)", logship)]
        if RSYSLOGD:
            receivers += [
                ("rsyslog imtcp -> omfile (file format)",
                 lambda p, o: rsyslog(p, o, "RSYSLOG_FileFormat")),
                ("rsyslog imtcp -> omfile (%jsonmesg%)", lambda p, o: rsyslog(p, o, "json")),
            ]
        else:
            print("rsyslogd not found (apt-get install rsyslog): logship alone")
        print(f"{'receiver':40} {'MB/CPU-s':>9} {'CPU s':>7} {'MB/s':>7} {'RSS MB':>7}")
        for name, start in receivers:
            best = None
            for i in range(REPEATS):
                out = os.path.join(work, f"out-{i}.log")
                r = run(name, lambda p: start(p, out), out, data, messages, size)
                os.unlink(out)
                if best is None or r["cpu"] < best["cpu"]:
                    best = r
            print(f"{name:40} {best['mb_cpu']:9.1f} {best['cpu']:7.2f} {best['mb_s']:7.1f} "
                  f"{best['hwm_mb']:7.1f}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
