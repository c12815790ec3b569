#!/usr/bin/env python3
"""Includes point down only (ARCHITECTURE.md, README "Layout"): every project include of the
production tree must be one its folder is allowed. Fails with file:line for each that is not.

  agent/support            the foundation: includes nothing above it
  agent/api                support
  agent/core               support, api
  agent/topology           support, api, core
  agent/sources/<name>     support, api, core, its own folder
  parsers|pipelines|outputs/<name>
                           support, api, core, its own folder, its area's common/
  agent/cli                the composition root: anything

usage: layering_test.py [REPO]
"""
import os
import re
import sys

REPO = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
FOUNDATION = ("agent/support/", "agent/api/", "agent/core/")


def allowed(folder, target):
    """Whether a file in `folder` (e.g. "pipelines/detect/") may include `target`."""
    if folder.startswith("agent/cli/"):
        return True
    if target.startswith(folder):
        return True
    if folder.startswith("agent/support/"):
        # Its folders (otlp/) build on the rest of the foundation.
        return target.startswith("agent/support/")
    if folder == "agent/api/":
        return target.startswith("agent/support/")
    if folder == "agent/core/":
        return target.startswith(("agent/support/", "agent/api/"))
    if folder.startswith(("agent/topology/", "agent/sources/")):
        return target.startswith(FOUNDATION)
    area = folder.split("/")[0]
    if area in ("parsers", "pipelines", "outputs"):
        return target.startswith(FOUNDATION) or target.startswith(area + "/common/")
    return False


def main():
    violations = []
    checked = 0
    for top in ("agent", "parsers", "pipelines", "outputs"):
        for dirpath, _, files in os.walk(os.path.join(REPO, top)):
            for name in sorted(files):
                if not name.endswith((".h", ".cc", ".in")):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, REPO)
                folder = os.path.dirname(rel) + "/"
                with open(path, encoding="utf-8") as f:
                    for number, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if not m or "/" not in m.group(1):
                            continue
                        target = m.group(1)
                        if not target.startswith(("agent/", "parsers/", "pipelines/", "outputs/")):
                            continue
                        checked += 1
                        if not allowed(folder, target):
                            violations.append(f"{rel}:{number}: includes {target}")
    for v in violations:
        print("FAIL - " + v)
    print(f"{checked} includes checked, {len(violations)} pointing the wrong way")
    return 1 if violations or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
