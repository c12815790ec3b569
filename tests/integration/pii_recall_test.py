#!/usr/bin/env python3
"""scrub_pii on structured events, measured: the real binary runs file -> parse_json -> scrub_pii
(default rules, every field) -> file over a labelled corpus of its own (pii_corpus.py) with each
action, and every planted value must be gone from the output event (message, event.original and
every field) while the decoys stay. Recall >= 99.5 % and decoys kept >= 99 %, per action.

usage: pii_recall_test.py PATH/TO/logship   (Debian's python3: python3-mnemonic)
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

from pii_corpus import make_corpus
from testlib import check, finish, ndjson_records, wait_until

BIN = os.path.abspath(sys.argv[1])
EVENTS = 4000

corpus = make_corpus(EVENTS)
work = tempfile.mkdtemp(prefix="logship-pii-")
try:
    src = os.path.join(work, "events.ndjson")
    with open(src, "w") as f:
        for line, _, _ in corpus:
            f.write(line + "\n")
    key = os.path.join(work, "hmac.key")
    with open(key, "w") as f:
        f.write("a-shared-pseudonymisation-key\n")
    planted_total = sum(len(p) for _, p, _ in corpus)
    decoys_total = sum(len(d) for _, _, d in corpus)
    check(f"the corpus plants values and decoys ({planted_total} planted, {decoys_total} decoys)",
          planted_total > 3 * EVENTS // 2 and decoys_total > EVENTS)
    for action in ("redact", "mask", "hash"):
        out = os.path.join(work, f"{action}.ndjson")
        config = os.path.join(work, f"{action}.yaml")
        with open(config, "w") as f:
            f.write(f"""data_dir: {work}/data-{action}
admin: {{enabled: false}}
sources:
  app: {{type: file, include: [{src}], start_at: beginning}}
transforms:
  parse: {{type: parse_json, inputs: [app]}}
  scrub: {{type: scrub_pii, inputs: [parse], action: {action}, key_file: {key}}}
outputs:
  out: {{type: file, inputs: [scrub], path: {out}}}
""")
        proc = subprocess.Popen([BIN, "run", "-c", config], stderr=subprocess.DEVNULL)
        try:
            done = wait_until(lambda: len(ndjson_records(out)) >= EVENTS, 60)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        records = ndjson_records(out)
        check(f"{action}: every event out", done and len(records) == EVENTS, f"{len(records)}")
        if len(records) != EVENTS:
            continue
        # Events keep their order from one file: line i of the output is event i.
        leaked, lost = [], []
        for (line, planted, decoys), record in zip(corpus, records):
            text = json.dumps(record, ensure_ascii=False)
            leaked += [v for v in planted if v in text]
            lost += [d for d in decoys if d not in text]
        recall = 1 - len(leaked) / planted_total
        kept = 1 - len(lost) / decoys_total
        print(f"    {action}: recall {recall:.4%} ({len(leaked)} of {planted_total} leaked), "
              f"decoys kept {kept:.4%} ({len(lost)} of {decoys_total} lost)")
        check(f"{action}: recall >= 99.5 %", recall >= 0.995, f"leaked e.g. {leaked[:8]}")
        check(f"{action}: decoys kept >= 99 %", kept >= 0.99, f"lost e.g. {lost[:8]}")
finally:
    shutil.rmtree(work, ignore_errors=True)

finish()
