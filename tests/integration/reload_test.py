#!/usr/bin/env python3
"""Hot reload with the real binary: SIGHUP and POST /reload while lines are being written. A
valid new configuration takes over without losing or repeating a line; an invalid one is refused
and the running pipeline goes on. A reload replaces only the components whose options changed:
the others keep running with their state (a detect rule's window survives it).

usage: reload_test.py PATH/TO/logship
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

from testlib import check, finish, free_port, ndjson_records, wait_until

BIN = os.path.abspath(sys.argv[1])


def wait_ready(port, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).read()
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.05)
    raise RuntimeError("the agent's admin server did not come up")


def post_reload(port):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/reload", method="POST")
    return urllib.request.urlopen(req, timeout=30).read().decode()


def metric(port, name, component):
    """The value of metric `name` summed over the series of component `component` (0 if none)."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") and f'component_id="{component}"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def messages(path):
    return [r["message"] for r in ndjson_records(path)]


work = tempfile.mkdtemp(prefix="logship-reload-")
proc = None
try:
    port = free_port()
    log = os.path.join(work, "in.log")
    open(log, "w").close()
    config = os.path.join(work, "p.yaml")

    def write_config(extra_output=False, broken=False, poll="50ms"):
        text = f"""data_dir: {work}/data
admin: {{address: 127.0.0.1:{port}}}
sources:
  in: {{type: file, include: [{log}], poll_interval: {poll}}}
outputs:
  out: {{type: file, inputs: [in], path: {work}/out.ndjson}}
"""
        if extra_output:
            text += f"  second: {{type: file, inputs: [in], path: {work}/second.ndjson}}\n"
        if broken:
            text += "  bad: {type: file, inputs: [nowhere], path: /tmp/x}\n"
        open(config + ".tmp", "w").write(text)
        os.rename(config + ".tmp", config)

    write_config()
    proc = subprocess.Popen([BIN, "run", "-c", config],
                            stderr=open(os.path.join(work, "agent.log"), "w"))
    wait_ready(port)  # SIGHUP before the agent takes it over would end the process
    total, first_part = 60000, 50000
    resume = threading.Event()

    def writer():
        with open(log, "a") as f:
            for i in range(total):
                if i == first_part:
                    f.flush()
                    resume.wait(60)  # the rest after the output is added (below)
                f.write(f"reload line {i}\n")
                if i % 500 == 0:
                    f.flush()
                    time.sleep(0.02)  # about 25k lines/s

    def agent_log():
        return open(os.path.join(work, "agent.log")).read()

    def reloaded(report, times=1):
        """Waits until the agent logged `report` `times` times: that reload is over."""
        return wait_until(lambda: agent_log().count(report) >= times, 30, step=0.02)

    out = os.path.join(work, "out.ndjson")
    second = os.path.join(work, "second.ndjson")
    t = threading.Thread(target=writer)
    t.start()
    # Every reload below starts once the one before it is over, while lines are being read.
    check("lines flow before the reloads", wait_until(lambda: len(messages(out)) > 0, 30, 0.02))
    proc.send_signal(signal.SIGHUP)  # same config: every component kept
    check("an unchanged config keeps every component", reloaded("reloaded: kept in, out\n"),
          agent_log())
    write_config(poll="60ms")
    proc.send_signal(signal.SIGHUP)  # the source is replaced while it reads
    check("a changed source is replaced, the rest kept",
          reloaded("reloaded: kept out; replaced in"), agent_log())
    write_config(broken=True)
    proc.send_signal(signal.SIGHUP)
    check("SIGHUP refuses an invalid config", reloaded("reload refused"), agent_log())
    # The writer holds the rest back; once the first part is delivered the output is added, so
    # what it must get is known exactly: the lines written after it.
    check("the first part is delivered",
          wait_until(lambda: len(messages(out)) >= first_part, 60, 0.05))
    write_config(extra_output=True)
    body = post_reload(port)
    check("POST /reload applies a valid config", "second" in body, body)
    write_config(broken=True)
    try:
        post_reload(port)
        check("POST /reload refuses an invalid config", False, "answered 200")
    except urllib.error.HTTPError as e:
        text = e.read().decode()
        check("POST /reload refuses an invalid config with its errors",
              e.code == 400 and "input 'nowhere'" in text, text)
    resume.set()
    t.join()
    check("every line reaches the first output",
          wait_until(lambda: len(messages(out)) >= total, 60, 0.05))
    check("the lines after the reload reach the second output",
          wait_until(lambda: len(messages(second)) >= total - first_part, 60, 0.05))
    proc.send_signal(signal.SIGTERM)
    check("exits 0 after the reloads", proc.wait(timeout=20) == 0)
    got = messages(out)
    want = [f"reload line {i}" for i in range(total)]
    check("every line exactly once across the reloads", sorted(got) == sorted(want),
          f"({len(got)} lines, {len(set(got))} distinct, want {total})")
    got_second = messages(second)
    check("the second output got exactly the lines written after it was added, in order",
          got_second == want[first_part:],
          f"({len(got_second)} lines, first {got_second[:1]}, last {got_second[-1:]})")
    check("the invalid configs were refused and named", agent_log().count("reload refused") == 2,
          agent_log())
finally:
    if proc and proc.poll() is None:
        proc.kill()
    shutil.rmtree(work, ignore_errors=True)

# An output of the new configuration that cannot start (its disk buffer's directory is taken by a
# file): the reload is answered 400 and logged as an ERROR, /readyz says 503, the agent goes on.
work = tempfile.mkdtemp(prefix="logship-reload-")
proc = None
try:
    port = free_port()
    log = os.path.join(work, "in.log")
    open(log, "w").close()
    config = os.path.join(work, "p.yaml")
    base = f"""data_dir: {work}/data
admin: {{address: 127.0.0.1:{port}}}
sources:
  in: {{type: file, include: [{log}]}}
outputs:
  out: {{type: file, inputs: [in], path: {work}/out.ndjson}}
"""
    open(config, "w").write(base)
    proc = subprocess.Popen([BIN, "run", "-c", config],
                            stderr=open(os.path.join(work, "agent.log"), "w"))
    wait_ready(port)
    os.makedirs(os.path.join(work, "data", "buffers"), exist_ok=True)
    open(os.path.join(work, "data", "buffers", "stuck"), "w").close()
    open(config, "w").write(base + f"  stuck: {{type: file, inputs: [in], path: {work}/stuck.ndjson, "
                            "buffer: {type: disk}}\n")
    try:
        post_reload(port)
        check("POST /reload says an output failed to start", False, "answered 200")
    except urllib.error.HTTPError as e:
        text = e.read().decode()
        check("POST /reload says an output failed to start",
              e.code == 400 and "not every output started" in text and "stuck" in text, text)
    log_text = open(os.path.join(work, "agent.log")).read()
    check("and the agent logs it as an error", " ERROR " in log_text and "failed to start" in log_text,
          log_text[-600:])
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5)
        check("/readyz says 503 while the output does not run", False, "answered 200")
    except urllib.error.HTTPError as e:
        check("/readyz says 503 while the output does not run", e.code == 503, str(e.code))
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=20)
    check("the agent still exits 0", code == 0,
          f"exit {code}: " + open(os.path.join(work, "agent.log")).read()[-800:])
finally:
    if proc and proc.poll() is None:
        proc.kill()
    shutil.rmtree(work, ignore_errors=True)


def wait_lines(path, n, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path) and sum(1 for _ in open(path)) >= n:
            return True
        time.sleep(0.05)
    return False


# Only what changed is rebuilt: a detect rule kept across a reload still counts the hits it saw
# before it, while a changed output is replaced and an added one starts.
work = tempfile.mkdtemp(prefix="logship-reload-")
proc = None
try:
    port = free_port()
    auth, app = os.path.join(work, "auth.log"), os.path.join(work, "app.log")
    for f in (auth, app):
        open(f, "w").close()
    config = os.path.join(work, "p.yaml")

    def write_config(app_out, extra=False):
        text = f"""data_dir: {work}/data
admin: {{address: 127.0.0.1:{port}}}
sources:
  auth: {{type: file, include: [{auth}], poll_interval: 50ms}}
  app: {{type: file, include: [{app}], poll_interval: 50ms}}
transforms:
  failures:
    type: detect
    inputs: [auth]
    summary: repeated failures
    when: {{field: message, matches: 'failed login'}}
    threshold: 3
    window: 10m
outputs:
  alerts: {{type: file, inputs: [failures], path: {work}/alerts.ndjson}}
  app_out: {{type: file, inputs: [app], path: {work}/{app_out}}}
"""
        if extra:
            text += f"  everything: {{type: file, inputs: [auth, app], path: {work}/all.ndjson}}\n"
        open(config + ".tmp", "w").write(text)
        os.rename(config + ".tmp", config)

    write_config("app1.ndjson")
    proc = subprocess.Popen([BIN, "run", "-c", config],
                            stderr=open(os.path.join(work, "agent.log"), "w"))

    def append(path, lines):
        with open(path, "a") as f:
            f.writelines(line + "\n" for line in lines)

    append(app, [f"app line {i}" for i in range(100)])
    append(auth, ["failed login for root", "failed login for admin"])
    check("lines flow before the reload", wait_lines(os.path.join(work, "app1.ndjson"), 100))
    wait_ready(port)
    check("the detect rule read the two hits before the reload",
          wait_until(lambda: metric(port, "logship_component_received_events_total",
                                    "failures") >= 2, 30, 0.05))
    write_config("app2.ndjson", extra=True)
    report = post_reload(port)
    check("the report names what was kept, replaced and added",
          "kept auth, app, failures, alerts; replaced app_out; added everything" in report, report)
    append(app, [f"app line {i}" for i in range(100, 200)])
    append(auth, ["failed login for guest"])
    check("the kept detect rule fires on its third hit, two of them seen before the reload",
          wait_lines(os.path.join(work, "alerts.ndjson"), 1),
          open(os.path.join(work, "agent.log")).read())
    check("the replaced output's successor gets the new lines",
          wait_lines(os.path.join(work, "app2.ndjson"), 100))
    check("the added output gets the new lines", wait_lines(os.path.join(work, "all.ndjson"), 101))
    proc.send_signal(signal.SIGTERM)
    check("exits 0", proc.wait(timeout=20) == 0)
    got = []
    for name in ("app1.ndjson", "app2.ndjson"):
        got += [json.loads(l)["message"] for l in open(os.path.join(work, name))]
    check("every app line exactly once across the replaced output",
          sorted(got) == sorted(f"app line {i}" for i in range(200)), f"{len(got)} lines")
    alerts = open(os.path.join(work, "alerts.ndjson")).readlines()
    alert = json.loads(alerts[0]) if alerts else {}
    check("the alert counts all three hits", alert.get("event", {}).get("count") == 3, alert)
finally:
    if proc and proc.poll() is None:
        proc.kill()
    shutil.rmtree(work, ignore_errors=True)

# An output that cannot deliver (its directory is missing) is fixed by a reload: what it held is
# read again by its source, restarted from its saved position, so the fixed output gets every line.
work = tempfile.mkdtemp(prefix="logship-reload-")
proc = None
try:
    port = free_port()
    log = os.path.join(work, "in.log")
    config = os.path.join(work, "p.yaml")

    def write_config(out_dir):
        text = f"""data_dir: {work}/data
admin: {{address: 127.0.0.1:{port}}}
shutdown_timeout: 1s
sources:
  in: {{type: file, include: [{log}], poll_interval: 50ms}}
outputs:
  out: {{type: file, inputs: [in], path: {work}/{out_dir}/out.ndjson, retry_interval: 100ms}}
"""
        open(config + ".tmp", "w").write(text)
        os.rename(config + ".tmp", config)

    with open(log, "w") as f:
        f.writelines(f"stuck line {i}\n" for i in range(1000))
    write_config("missing")
    proc = subprocess.Popen([BIN, "run", "-c", config],
                            stderr=open(os.path.join(work, "agent.log"), "w"))
    wait_ready(port)
    check("the output fails and holds the lines",
          wait_until(lambda: metric(port, "logship_component_errors_total", "out") >= 2, 30, 0.05))
    os.makedirs(os.path.join(work, "fixed"))
    write_config("fixed")
    report = post_reload(port)
    check("the stuck output and the source that fed it are replaced",
          "replaced in, out" in report, report)
    out = os.path.join(work, "fixed", "out.ndjson")
    check("the fixed output gets the lines the stuck one held", wait_lines(out, 1000))
    proc.send_signal(signal.SIGTERM)
    check("exits 0", proc.wait(timeout=20) == 0)
    got = [json.loads(l)["message"] for l in open(out)]
    check("every line exactly once", sorted(got) == sorted(f"stuck line {i}" for i in range(1000)),
          f"{len(got)} lines")
finally:
    if proc and proc.poll() is None:
        proc.kill()
    shutil.rmtree(work, ignore_errors=True)
finish()
