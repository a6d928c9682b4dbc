#!/usr/bin/env python3
"""Agreement of the alert triage with our labelled alerts (tests/triage/*.toml).

    python tools/eval_triage.py [--site demo] [--labels tests/triage/demo_labels.toml]
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from askzero.assistant.context import SiteContext  # noqa: E402
from askzero.assistant.triage import triage  # noqa: E402
from askzero.logs import query  # noqa: E402
from askzero.site import load_site  # noqa: E402


def evaluate(site_spec: str, labels_path: Path) -> tuple[int, int, list[str]]:
    ctx = SiteContext(load_site(site_spec))
    labels = tomllib.loads(labels_path.read_text())["alert"]
    file = labels[0].get("file", "var/log/suricata/eve.json")
    alerts = {ev["citation"]["line"]: ev for ev in
              query.events(ctx.logs, query.Filter(kinds=("alert",), file=file), limit=100_000).events}
    right, lines = 0, []
    for label in labels:
        result = triage(ctx, alerts[label["line"]])
        ok = result.verdict == label["verdict"]
        right += ok
        lines.append(f"{'ok ' if ok else 'BAD'} {file}:{label['line']} expected {label['verdict']}, "
                     f"got {result.verdict} (score {result.score}) - {label['why']}")
    return right, len(labels), lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", default="demo")
    parser.add_argument("--labels", type=Path, default=ROOT / "tests" / "triage" / "demo_labels.toml")
    args = parser.parse_args()
    right, total, lines = evaluate(args.site, args.labels)
    print("\n".join(lines))
    print(f"agreement: {right}/{total} = {right / total:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
