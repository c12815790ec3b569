#!/usr/bin/env python3
"""The file source's per-event bounds, with the real binary: one hostile 100 MB line, written as
CRI partial pieces (a container printing without a newline) or as a multiline group, becomes one
event cut at max_line_bytes, flagged and counted, the rest dropped; the lines after it arrive;
and the agent's memory grows by far less than the line's size while it reads it (measured from the
agent's own resident size before the line is written, so that the bound holds for the sanitized
build too, whose baseline is larger).

usage: bounds_test.py PATH/TO/logship
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from testlib import check, finish, free_port, http, ndjson_records, wait_until

BIN = os.path.abspath(sys.argv[1])
HUGE = 100 << 20
GROWTH_LIMIT_MIB = 48


def status_mib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return 0


def run(work, name, source_yaml, write_input, expect_first, marker):
    out = os.path.join(work, f"{name}.ndjson")
    port = free_port()
    config = os.path.join(work, f"{name}.yaml")
    with open(config, "w") as f:
        f.write(f"""data_dir: {work}/data-{name}
admin: {{address: 127.0.0.1:{port}}}
sources:
  in:
{source_yaml}
outputs:
  out: {{type: file, inputs: [in], path: {out}}}
""")
    proc = subprocess.Popen([BIN, "run", "-c", config], stderr=open(f"{out}.log", "w"))
    try:
        # Running and idle (its admin server answers) before the input exists.
        wait_until(lambda: metrics_of(port) is not None, 30)
        time.sleep(0.5)
        baseline = status_mib(proc.pid, "VmRSS")
        write_input()
        done = wait_until(lambda: any(marker in json.dumps(r) for r in ndjson_records(out)), 120, 0.5)
        growth = status_mib(proc.pid, "VmHWM") - baseline
        metrics = http("GET", f"http://127.0.0.1:{port}/metrics")[1].decode()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    records = ndjson_records(out)
    check(f"{name}: the line after the huge one arrives", done, f"{len(records)} events")
    huge = [r for r in records if r["message"].startswith(expect_first)]
    # CRI pieces are cut at the byte; a multiline group keeps whole lines up to the limit.
    check(f"{name}: the huge line is one event of at most max_line_bytes (1 MiB), flagged "
          "log.truncated",
          len(huge) == 1 and (1 << 20) - 1024 < len(huge[0]["message"]) <= 1 << 20 and
          huge[0].get("log", {}).get("truncated") is True,
          f"{[(len(r['message']), r.get('log')) for r in huge]}")
    check(f"{name}: nothing of the dropped rest arrives as events of its own",
          len(records) == 3, f"{len(records)} events: {[r['message'][:40] for r in records]}")
    check(f"{name}: the cut is counted", 'reason="truncated_event"' in metrics and
          'reason="truncated_event_rest"' in metrics)
    check(f"{name}: memory grows by {growth:.0f} MiB, under {GROWTH_LIMIT_MIB} MiB, for a 100 MB "
          f"line (from {baseline:.0f} MiB)", baseline > 0 and growth < GROWTH_LIMIT_MIB)
    log = open(f"{out}.log").read()
    check(f"{name}: a WARN line says so", "longer than max_line_bytes" in log, log[-500:])


def metrics_of(port):
    try:
        return http("GET", f"http://127.0.0.1:{port}/metrics")[1]
    except OSError:
        return None


work = tempfile.mkdtemp(prefix="logship-bounds-")
try:
    # CRI: 100 MB of 16 KiB partial pieces, then the final piece; one line before, one after.
    pods = os.path.join(work, "pods")
    os.makedirs(pods)
    cri_log = os.path.join(pods, "0.log")

    def write_cri():
        piece = "2024-05-01T10:00:00.000000001Z stdout P " + "x" * (16 << 10) + "\n"
        with open(cri_log, "w") as f:
            f.write("2024-05-01T10:00:00.000000000Z stdout F before\n")
            for _ in range(HUGE // (16 << 10)):
                f.write(piece)
            f.write("2024-05-01T10:00:00.000000002Z stdout F end-of-huge\n")
            f.write("2024-05-01T10:00:00.000000003Z stdout F after-the-huge-line\n")
    run(work, "cri", f"    {{type: file, include: [{cri_log}], format: cri, start_at: beginning}}",
        write_cri, "xxxx", "after-the-huge-line")

    # Multiline: a start line followed by 100 MB of continuation lines.
    ml_log = os.path.join(work, "app.log")

    def write_multiline():
        with open(ml_log, "w") as f:
            f.write("2024-05-01 first event\n")
            f.write("2024-05-01 Traceback (most recent call last):\n")
            cont = "  " + "y" * 1022 + "\n"
            for _ in range(HUGE // len(cont)):
                f.write(cont)
            f.write("2024-05-01 after-the-huge-group\n")
    run(work, "multiline",
        f"    {{type: file, include: [{ml_log}], start_at: beginning,\n"
        f"      multiline: {{start: '^\\d{{4}}-', max_lines: 1000000, max_bytes: 1GiB}}}}",
        write_multiline, "2024-05-01 Traceback", "after-the-huge-group")
finally:
    shutil.rmtree(work, ignore_errors=True)

finish()
