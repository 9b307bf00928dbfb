"""Refresh the results section of benchmarks/README.md from a suite run's JSON.

    python benchmarks/update_readme.py benchmarks/results/latest.json [--command "mscabm bench ..."]

Everything between the ``<!-- results:start -->`` and ``<!-- results:end -->`` markers is
replaced by the run's tables (``mscabm.bench.report.summary``), its date, command and load, so
every number on the page comes from one run of the suite.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from mscabm.bench.report import summary

START, END = "<!-- results:start -->", "<!-- results:end -->"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("json", type=Path)
    ap.add_argument("--readme", type=Path, default=Path(__file__).with_name("README.md"))
    ap.add_argument("--command", default=None, help="the command that produced the JSON (shown on the page)")
    a = ap.parse_args(argv)
    res = json.loads(a.json.read_text())
    cmd = a.command or (f"mscabm bench {' '.join(res['benchmarks'])}"
                        + ("" if res["mode"] == "full" else f" --{res['mode']}"))
    block = (f"{START}\nRun of {res['date']}: `{cmd}` ({res['mode']} mode, {res['wall_s']:.0f} s).\n\n"
             f"{summary(res)}\n{END}")
    text = a.readme.read_text()
    i, j = text.index(START), text.index(END) + len(END)
    a.readme.write_text(text[:i] + block + text[j:])
    print(f"updated {a.readme}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
