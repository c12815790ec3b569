#!/usr/bin/python3
"""`logship report` over two runs of the agent and a reload: the JSON figures match what was
archived, scrubbed, alerted and loaded; the HTML form renders in headless Chromium (a
screenshot is taken and must not be blank); a tampered segment makes the report say so and
exit 1.

usage: report_test.py PATH/TO/logship
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import zlib

from testlib import check, finish, free_port, http, missing, wait_until

BIN = os.path.abspath(sys.argv[1])
CHROMIUM = shutil.which("chromium")
if not CHROMIUM:
    print(missing("chromium (apt-get install chromium)"))
    sys.exit(0)

work = tempfile.mkdtemp(prefix="logship-report-")
admin_port = free_port()
config = os.path.join(work, "p.yaml")


def write_config(comment=""):
    with open(config, "w") as f:
        f.write(f"""# {comment}
data_dir: {work}/data
admin: {{address: "127.0.0.1:{admin_port}"}}
tiers:
  audit: {{retention: 7y, legal_hold: true}}
  app: {{retention: 30d}}
sources:
  logs: {{type: file, include: [{work}/in/*.log]}}
transforms:
  auth: {{type: parse_auth, inputs: [logs]}}
  scrub: {{type: scrub_pii, inputs: [auth]}}
  tier:
    type: classify_tier
    inputs: [scrub]
    rules: [{{tier: audit, when: {{field: message, matches: 'sshd'}}}}]
    default: app
  brute:
    type: detect
    inputs: [scrub]
    name: ssh_brute_force
    when: {{field: event.action, equals: ssh_failed_password}}
    group_by: [source.ip]
    threshold: 5
    window: 1m
outputs:
  vault: {{type: archive, inputs: [tier], path: {work}/archive, max_segment_bytes: 4KiB}}
  alerts: {{type: file, inputs: [brute], path: {work}/alerts.ndjson}}
""")


def sent(component):
    try:
        text = http("GET", f"http://127.0.0.1:{admin_port}/metrics")[1].decode()
    except Exception:
        return -1
    for line in text.splitlines():
        if line.startswith("logship_component_sent_events_total") and f'component_id="{component}"' in line:
            return int(float(line.rsplit(" ", 1)[1]))
    return 0


def append(lines):
    with open(os.path.join(work, "in", "auth.log"), "a") as f:
        f.write("".join(l + "\n" for l in lines))


def report(*args):
    p = subprocess.run([BIN, "report", "-c", config, "--since", "2020-01-01T00:00:00Z", *args],
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def png_is_drawn(path):
    """True when the screenshot holds more than one colour: its rows are not all the same."""
    data = open(path, "rb").read()
    if not data.startswith(b"\x89PNG"):
        return False
    idat, pos = b"", 8
    while pos < len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(idat)
    return len(set(raw)) > 16


def run_agent(lines, then=None):
    agent = subprocess.Popen([BIN, "run", "-c", config],
                             stderr=open(os.path.join(work, "agent.log"), "a"))
    before = max(0, sent("vault"))
    wait_until(lambda: sent("vault") >= 0, 20)
    append(lines)
    wait_until(lambda: sent("vault") >= len(lines), 30)
    if then:
        then(agent)
    agent.send_signal(signal.SIGTERM)
    return agent.wait(timeout=30)


agent = None
try:
    os.makedirs(os.path.join(work, "in"))
    write_config("first")
    code, out, err = report()
    check("before anything is archived the report is clean (a new host is not a tampered one)",
          code == 0 and json.loads(out)["integrity"]["ok"] is True, out[:300] + err[:300])
    failures = [f"Nov 22 03:57:{i:02d} host sshd[{100 + i}]: Failed password for root from 203.0.113.7 port {4000 + i} ssh2"
                for i in range(12)]
    signups = [f"Nov 22 04:00:{i:02d} host app[7]: signup from user{i}@example.com" for i in range(30)]
    check("the first run exits 0", run_agent(failures + signups) == 0)

    def reload(agent):
        write_config("second")
        agent.send_signal(signal.SIGHUP)
        wait_until(lambda: "reloaded" in open(os.path.join(work, "agent.log")).read(), 20)

    more = [f"Nov 23 05:00:{i:02d} host app[7]: contact admin{i}@example.org" for i in range(8)]
    check("the second run, with a reload, exits 0", run_agent(more, reload) == 0)

    code, out, err = report()
    check("report exits 0 on an intact archive", code == 0, err)
    r = json.loads(out)
    check("the schema is named", r["schema"] == "logship.report/1")
    check("per tier, the events archived", r["tiers"]["audit"]["events"] == 12 and
          r["tiers"]["app"]["events"] == 38, json.dumps(r["tiers"])[:300])
    check("per tier, retention and legal hold as configured",
          r["tiers"]["audit"]["legal_hold"] is True and r["tiers"]["app"]["retention_seconds"] == 30 * 86400)
    check("per tier, the oldest and newest event", r["tiers"]["audit"]["oldest_event"].endswith("-11-22T03:57:00Z")
          and r["tiers"]["app"]["newest_event"].endswith("-11-23T05:00:07Z"),
          (r["tiers"]["audit"]["oldest_event"], r["tiers"]["app"]["newest_event"]))
    check("volume per day", sorted(r["tiers"]["app"]["by_day"]) == sorted(
        {r["tiers"]["app"]["oldest_event"][:10], r["tiers"]["app"]["newest_event"][:10]}) and
        sum(d["events"] for d in r["tiers"]["app"]["by_day"].values()) == 38)
    check("integrity ok", r["integrity"]["ok"] is True and r["integrity"]["checks"][0]["segments"] >= 2)
    check("PII matches per rule, over both runs", r["pii"]["matches"].get("email") == 38 and
          r["pii"]["matches"].get("ipv4") == 12, r["pii"])
    check("alerts per rule", r["alerts"]["ssh_brute_force"]["fired"] >= 1, r["alerts"])
    vault = r["outputs"]["vault"]
    check("the archive output: received = delivered = in its manifests",
          vault["received"] == vault["delivered"] == vault["archived"] == 50 and
          vault["dropped"] == 0 and vault["dead_lettered"] == 0, vault)
    changes = r["configuration"]
    check("configurations loaded: start, reload, start, with their SHA-256",
          [c["reason"] for c in changes] == ["start", "start", "reload"] and
          changes[0]["sha256"] == changes[1]["sha256"] != changes[2]["sha256"], changes)
    check("the journal covered two runs", r["journal"]["runs"] == 2, r["journal"])
    code, out, _ = report("--since", "2099-01-01T00:00:00Z")
    check("a later period holds nothing", code == 0 and json.loads(out)["tiers"]["audit"]["events"] == 0)

    code, page, _ = report("--format", "html")
    html_path = os.path.join(work, "report.html")
    open(html_path, "w").write(page)
    check("the HTML form is one self-contained page with its chart",
          code == 0 and "<svg" in page and "audit" in page and "http" not in page.replace("http://www.w3.org/2000/svg", ""))
    shot = os.path.join(work, "report.png")
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--screenshot={shot}", "--window-size=1000,1400", "file://" + html_path],
                   capture_output=True, timeout=120)
    check("headless Chromium renders it (a screenshot with content)",
          os.path.exists(shot) and png_is_drawn(shot))
    if os.environ.get("REPORT_SCREENSHOT"):
        shutil.copy(shot, os.environ["REPORT_SCREENSHOT"])
    code, md, _ = report("--format", "markdown")
    check("the Markdown form", code == 0 and "| audit | 12 |" in md)

    # A sealed segment changed: the report says so, names it, and exits 1.
    seg_dir = os.path.join(work, "archive", "audit")
    day = sorted(d for d in os.listdir(seg_dir) if d[0].isdigit())[0]
    segment = os.path.join(seg_dir, day, sorted(os.listdir(os.path.join(seg_dir, day)))[0])
    with open(segment, "ab") as f:
        f.write(b"forged")
    code, out, _ = report()
    r = json.loads(out)
    check("a tampered segment: integrity.ok is false, the segment named, exit 1",
          code == 1 and r["integrity"]["ok"] is False and
          any(os.path.basename(segment) in p for p in r["integrity"]["checks"][0]["problems"]),
          r["integrity"])
    code, md, _ = report("--format", "markdown")
    check("and the Markdown form says TAMPERED", code == 1 and "TAMPERED" in md)
    # The whole archive gone: the journal still knows what went into it.
    shutil.rmtree(os.path.join(work, "archive"))
    code, out, _ = report()
    problems = json.loads(out)["integrity"]["checks"][0]["problems"]
    check("an archive removed whole is named against the journal's count",
          code == 1 and problems == ["no archive here, though the journal says 50 events were "
                                     "delivered to it"], problems)
finally:
    if os.environ.get("KEEP_WORK") != "1":
        shutil.rmtree(work, ignore_errors=True)
finish()
