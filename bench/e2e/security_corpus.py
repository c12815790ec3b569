#!/usr/bin/env python3
"""Writes the security-pipeline corpus: equal bytes of an RFC 3164 auth log and of JSON application
events, shaped like a production host's (line kinds, sizes, PII density).

  security_corpus.py SIZE_MB OUT_DIR    -> OUT_DIR/auth.log, OUT_DIR/app.ndjson

auth.log (about 135 bytes a line): sshd failed/invalid/accepted logins from public IPv4 addresses
and ports, disconnects and sessions, sudo with commands, PAM, postfix with e-mail addresses, CRON
and systemd-logind, from 8 hosts and about 35 users.
app.ndjson (about 317 bytes a line): ts (RFC 3339, ms), level, service, msg (short text, sometimes
SQL), user (an e-mail address), ip (a private IPv4 address), method, path (ids and query strings),
status, latency_ms, trace_id (32 hex), span_id (16 hex), and in some a user agent.
The same size and seed always give the same bytes.
"""
import json
import os
import random
import sys

size_mb, out_dir = int(sys.argv[1]), sys.argv[2]
os.makedirs(out_dir, exist_ok=True)
rnd = random.Random(20261206)

hosts = ["web-01.prod.eu-west-1", "web-02.prod.eu-west-1", "db-01.prod.eu-west-1",
         "api-01.prod.us-east-1", "api-02.prod.us-east-1", "bastion.prod.eu-west-1",
         "mail-relay.prod.eu-west-1", "ci-runner-03.build.internal"]
first = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
         "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter",
         "xena", "yuri", "zoe", "liam", "emma", "noah"]
system_users = ["root", "admin", "deploy", "git", "ubuntu", "postgres", "www-data", "jenkins",
                "ansible", "backup"]
users = first + system_users  # 35
domains = ["example.com", "corp.example.net", "mail.example.org", "customer.io"]
months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
commands = ["/usr/bin/systemctl restart nginx", "/usr/bin/apt-get update",
            "/usr/bin/journalctl -u sshd --since today", "/bin/cat /var/log/auth.log",
            "/usr/bin/docker ps -a", "/usr/sbin/iptables -L -n", "/usr/bin/tail -f /var/log/syslog"]
b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def public_ip():
    while True:
        a = rnd.randint(1, 223)
        if a not in (10, 127, 169, 172, 192):
            return f"{a}.{rnd.randint(0, 255)}.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}"


def email():
    return f"{rnd.choice(first)}.{rnd.choice(first)}{rnd.randint(1, 99)}@{rnd.choice(domains)}"


def auth_line(t):
    host = rnd.choice(hosts)
    user = rnd.choice(users)
    stamp = f"{months[t // 2_678_400 % 12]} {t // 86400 % 28 + 1:2d} " \
            f"{t // 3600 % 24:02d}:{t // 60 % 60:02d}:{t % 60:02d}"
    ip, port, pid = public_ip(), rnd.randint(1024, 65535), rnd.randint(300, 65000)
    r = rnd.random()
    if r < 0.22:
        prog, msg = "sshd", f"Failed password for {user} from {ip} port {port} ssh2"
    elif r < 0.32:
        prog, msg = "sshd", f"Failed password for invalid user {user} from {ip} port {port} ssh2"
    elif r < 0.38:
        prog, msg = "sshd", f"Invalid user {user} from {ip} port {port}"
    elif r < 0.47:
        key = "".join(rnd.choice(b64) for _ in range(43))
        prog, msg = "sshd", f"Accepted publickey for {user} from {ip} port {port} ssh2: ED25519 SHA256:{key}"
    elif r < 0.51:
        prog, msg = "sshd", f"Accepted password for {user} from {ip} port {port} ssh2"
    elif r < 0.56:
        prog = "sshd"
        msg = (f"pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= "
               f"rhost={ip}  user={user}")
    elif r < 0.60:
        prog = "sshd"
        msg = f"pam_unix(sshd:session): session opened for user {user}(uid={rnd.randint(1000, 1100)}) by (uid=0)"
    elif r < 0.66:
        prog = "sudo"
        msg = f"{user} : TTY=pts/{rnd.randint(0, 9)} ; PWD=/home/{user} ; USER=root ; COMMAND={rnd.choice(commands)}"
    elif r < 0.69:
        prog = "sudo"
        msg = f"pam_unix(sudo:session): session opened for user root(uid=0) by {user}(uid={rnd.randint(1000, 1100)})"
    elif r < 0.72:
        qid = "".join(rnd.choice("0123456789ABCDEF") for _ in range(10))
        prog, msg = "postfix/qmgr", f"{qid}: from=<{email()}>, size={rnd.randint(800, 90000)}, nrcpt=1 (queue active)"
    elif r < 0.79:
        qid = "".join(rnd.choice("0123456789ABCDEF") for _ in range(10))
        prog = "postfix/smtp"
        msg = (f"{qid}: to=<{email()}>, relay=mx.example.net[{public_ip()}]:25, "
               f"delay=0.{rnd.randint(10, 99)}, dsn=2.0.0, status=sent (250 2.0.0 OK)")
    elif r < 0.85:
        prog = "CRON"
        msg = rnd.choice(["pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
                          "(root) CMD (cd / && run-parts --report /etc/cron.hourly)",
                          "pam_unix(cron:session): session closed for user root"])
    elif r < 0.91:
        prog, n = "systemd-logind", rnd.randint(1, 9999)
        msg = rnd.choice([f"New session {n} of user {user}.",
                          f"Session {n} logged out. Waiting for processes to exit.",
                          f"Removed session {n}."])
    elif r < 0.97:
        prog, msg = "sshd", f"Received disconnect from {ip} port {port}:11: disconnected by user"
    else:
        prog = "sshd"
        msg = f"Disconnected from invalid user {user} {ip} port {port} [preauth]"
    return f"{stamp} {host} {prog}[{pid}]: {msg}"


services = ["checkout", "auth", "search", "payments", "inventory", "notifications"]
paths = ["/api/v1/orders/{id}", "/api/v1/users/{id}/profile", "/api/v2/search?q={q}&page={n}",
         "/api/v1/carts/{id}/items?limit={n}", "/healthz", "/login",
         "/api/v1/payments/{id}/capture", "/static/app.{id}.js"]
messages = ["request completed", "order created", "cache miss for product", "user login succeeded",
            "upstream responded slowly", "payment captured", "rate limit close",
            "token refreshed", "validation failed: quantity must be positive"]
sql = ["SELECT id, total, status FROM orders WHERE customer_id = {n} AND status = 'open' LIMIT 50",
       "UPDATE carts SET updated_at = now() WHERE id = {n}",
       "INSERT INTO audit_log (actor, action, target) VALUES ({n}, 'update', 'profile')"]
agents = ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
          "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
          "curl/7.88.1", "okhttp/4.12.0"]
levels = ["info"] * 14 + ["debug"] * 3 + ["warn"] * 2 + ["error"]


def app_line(t):
    ms = t * 1000 + rnd.randint(0, 999)
    s = ms // 1000
    ts = (f"2026-11-{s // 86400 % 28 + 1:02d}T{s // 3600 % 24:02d}:{s // 60 % 60:02d}:"
          f"{s % 60:02d}.{ms % 1000:03d}Z")
    path = rnd.choice(paths).format(id=rnd.randint(1000, 9_999_999), n=rnd.randint(1, 50),
                                    q=rnd.choice(["laptop", "usb+c+cable", "red%20shoes"]))
    msg = rnd.choice(sql).format(n=rnd.randint(1, 99999)) if rnd.random() < 0.1 else rnd.choice(messages)
    d = {"ts": ts, "level": rnd.choice(levels), "service": rnd.choice(services), "msg": msg,
         "user": email(), "ip": f"10.{rnd.randint(0, 255)}.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}",
         "method": rnd.choice(["GET", "GET", "GET", "POST", "PUT", "DELETE"]), "path": path,
         "status": rnd.choice([200] * 8 + [201, 204, 304, 400, 401, 404, 500]),
         "latency_ms": round(rnd.random() * 400, 1),
         "trace_id": f"{rnd.getrandbits(128):032x}", "span_id": f"{rnd.getrandbits(64):016x}"}
    if rnd.random() < 0.08:
        d["user_agent"] = rnd.choice(agents)
    return json.dumps(d, separators=(",", ":"))


def write(path, make, target):
    written = 0
    t = 1_762_000_000 % 31_536_000
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        buf = []
        while written < target:
            t += rnd.randint(0, 2)
            line = make(t)
            buf.append(line)
            written += len(line) + 1
            if len(buf) == 10000:
                out.write("\n".join(buf) + "\n")
                buf = []
        if buf:
            out.write("\n".join(buf) + "\n")


half = (size_mb << 20) // 2
write(os.path.join(out_dir, "auth.log"), auth_line, half)
write(os.path.join(out_dir, "app.ndjson"), app_line, half)
