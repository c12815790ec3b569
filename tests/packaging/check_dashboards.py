#!/usr/bin/env python3
"""Checks the Grafana dashboards and Prometheus rules in packaging/ against each other and the code.

  check_dashboards.py REPO_DIR WORK_DIR

Prints one "ok   - ..." or "FAIL - ..." line per check. Writes WORK_DIR/dashboard-exprs.yaml,
every panel and variable query as a recording rule, for `promtool check rules` to parse.
"""
import glob
import json
import os
import re
import sys

import yaml

repo, work = sys.argv[1], sys.argv[2]
failures = 0


def check(what, ok, detail=""):
    global failures
    print(("ok   - " if ok else "FAIL - ") + what)
    if not ok:
        failures += 1
        if detail:
            print("    " + detail)


# Metric names the code defines: prometheus-cpp families are named with .Name("...") or, for the
# process collector, family("...").
defined = set()
for folder in ("agent", "pipelines", "outputs", "parsers"):
    for path in glob.glob(os.path.join(repo, folder, "**", "*.cc"), recursive=True):
        with open(path, encoding="utf-8", errors="replace") as f:
            defined.update(re.findall(r'(?:\.Name\(|family\()\s*"(logship_[a-z0-9_]+)"', f.read()))
check("the code defines logship_* metrics (%d found)" % len(defined), len(defined) >= 10)

# Metric names the shipped log_to_metric example publishes.
with open(os.path.join(repo, "packaging/examples/security-metrics.yaml")) as f:
    example = yaml.safe_load(f)
published = set()
for t in example.get("transforms", {}).values():
    if t.get("type") == "log_to_metric":
        published.update(m["name"] for m in t.get("metrics", []))
check("the log_to_metric example publishes metrics (%s)" % ", ".join(sorted(published)),
      {"security_events_total", "cere_unauthorized_access_attempts_total"} <= published)

known = defined | published | {"up", "ALERTS"}
# PromQL words that look like identifiers but are not metric names.
promql_words = {
    "sum", "min", "max", "avg", "count", "topk", "bottomk", "by", "without", "on", "ignoring",
    "group_left", "group_right", "and", "or", "unless", "rate", "irate", "increase", "delta",
    "deriv", "changes", "vector", "time", "sort_desc", "sort", "predict_linear", "absent",
    "label_values", "offset", "bool", "histogram_quantile", "humanize", "humanize1024",
}


def metric_names(expr):
    # Drop label matchers, strings, and durations, then keep identifiers not followed by "(".
    stripped = re.sub(r'"[^"]*"', '""', expr)
    stripped = re.sub(r"\{[^}]*\}", "", stripped)
    stripped = re.sub(r"\[[^\]]*\]", "", stripped)
    stripped = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", stripped)
    names = set()
    for m in re.finditer(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(\s*\()?", stripped):
        word, call = m.group(1), m.group(2)
        if call or word in promql_words or re.fullmatch(r"[0-9eE]+", word):
            continue
        names.add(word)
    return names


def substitute(expr):
    # Grafana's variables, as Grafana would expand them, so promtool can parse the result.
    expr = expr.replace("$__rate_interval", "5m").replace("$__range", "1h")
    expr = expr.replace("$__interval", "1m")
    return re.sub(r"\$\{?([a-z_]+)\}?", ".*", expr)


rules = []
dashboards = sorted(glob.glob(os.path.join(repo, "packaging/grafana/*.json")))
check("two dashboards or more", len(dashboards) >= 2, str(dashboards))
uids = set()
for path in dashboards:
    name = os.path.basename(path)
    try:
        with open(path) as f:
            d = json.load(f)
    except ValueError as e:
        check(name + " is valid JSON", False, str(e))
        continue
    check(name + ": uid, title and schemaVersion", bool(d.get("uid")) and bool(d.get("title"))
          and isinstance(d.get("schemaVersion"), int) and d["uid"] not in uids)
    uids.add(d.get("uid"))
    variables = {v["name"]: v for v in d.get("templating", {}).get("list", [])}
    check(name + ": a Prometheus datasource variable", variables.get("datasource", {}).get("type") == "datasource"
          and variables["datasource"].get("query") == "prometheus")
    panels = d.get("panels", [])
    ids = [p.get("id") for p in panels]
    check(name + ": panel ids unique", len(ids) == len(set(ids)) and None not in ids)
    # Panels inside the 24-column grid and not overlapping.
    cells = {}
    grid_ok, overlap = True, []
    for p in panels:
        g = p.get("gridPos", {})
        if not all(isinstance(g.get(k), int) for k in "xywh") or g["x"] + g["w"] > 24:
            grid_ok = False
            continue
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                if (x, y) in cells:
                    overlap.append((p["title"], cells[(x, y)]))
                cells[(x, y)] = p["title"]
    check(name + ": every panel inside the grid, none overlapping", grid_ok and not overlap,
          str(overlap[:3]))
    used_vars = set()
    exprs = []
    for p in panels:
        if p.get("type") == "row":
            continue
        ds = p.get("datasource", {})
        targets = p.get("targets", [])
        if ds.get("uid") != "${datasource}" or not targets:
            check(name + ": panel '%s' uses ${datasource} and has queries" % p.get("title"), False)
        for t in targets:
            exprs.append((p["title"], t.get("expr", "")))
    for v in variables.values():
        if v.get("type") == "query":
            q = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
            m = re.fullmatch(r"label_values\((.*),\s*([a-z_]+)\)", q)
            check(name + ": variable '%s' is label_values(selector, label)" % v["name"], bool(m), q)
            if m:
                exprs.append(("variable " + v["name"], m.group(1)))
    unknown = {}
    for title, expr in exprs:
        used_vars.update(re.findall(r"\$\{?([a-z]+)\b", expr))
        for metric in metric_names(expr) - known:
            unknown.setdefault(metric, title)
        rules.append({"record": "dashboard:%s:%d" % (re.sub(r"[^a-z]", "_", name[:-5]), len(rules)),
                      "expr": substitute(expr)})
    check(name + ": %d queries, every metric defined by the code or the log_to_metric example" % len(exprs),
          not unknown, "unknown: %s" % unknown)
    missing_vars = {v for v in used_vars if not v.startswith("__") and v not in variables}
    check(name + ": every $variable used is defined", not missing_vars, str(missing_vars))

# The same name check on the alert rules.
for path in sorted(glob.glob(os.path.join(repo, "packaging/prometheus/*-rules.yaml"))):
    with open(path) as f:
        groups = yaml.safe_load(f)["groups"]
    names = set()
    for g in groups:
        for r in g["rules"]:
            names |= metric_names(r["expr"])
    check(os.path.basename(path) + ": every metric defined by the code or the log_to_metric example",
          not (names - known), "unknown: %s" % sorted(names - known))

with open(os.path.join(work, "dashboard-exprs.yaml"), "w") as f:
    yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}, f)
sys.exit(1 if failures else 0)
