"""``python -m mscabm`` and the ``mscabm`` command (``entry``): :func:`mscabm.cli.main`, with
Ctrl-C during start-up (importing numpy, pandas, numba, mesa takes seconds) ending in a
clean exit 130 instead of a traceback from inside an import."""

import sys


def entry() -> int:
    try:
        from mscabm.cli import main

        return main()  # catches Ctrl-C while a command runs; this catches it while the parser is built
    except KeyboardInterrupt:
        print("mscabm: interrupted while starting", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(entry())
