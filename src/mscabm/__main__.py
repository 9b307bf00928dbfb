"""``python -m mscabm`` and the ``mscabm`` command (``entry``): :func:`mscabm.cli.main`, with
Ctrl-C or SIGTERM during start-up (importing numpy, pandas, numba, mesa takes seconds) ending in
a clean exit 130 or 143 instead of a traceback from inside an import or a death by the signal."""

import sys

from mscabm.interrupts import exit_code, exit_status, install_handlers, received


def _forget_interrupt_in_string_eval() -> None:
    """Undo CPython's mark of an "unhandled" Ctrl-C, so ``python -m mscabm`` exits with our code.

    CPython (3.12) marks a KeyboardInterrupt that ends a string ``eval``/``exec`` (``PyRun_String``,
    e.g. ``typing`` resolving the config schema's annotations) as unhandled even when a caller
    catches it; under ``python -m`` the interpreter then kills itself with SIGINT after exiting
    (status -2 instead of 130; strace shows its own ``kill(getpid(), SIGINT)``). The mark is cleared
    at the start of every string eval, so one harmless eval before returning clears it. Measured
    (benchmarks/README.md, Fuzzing): SIGINT to a running ``python -m mscabm run`` under strace ended
    -2 in 4 of 4 tries that reached the model before this, 0 of 30 after.
    """
    eval("None")


def entry() -> int:
    try:
        install_handlers()  # before the heavy imports: a stop signal during start-up is an exception, too
        from mscabm.cli import main

        code = main()  # catches Ctrl-C and SIGTERM while a command runs; this catches them during start-up
    except KeyboardInterrupt as exc:
        name, code = exit_code(exc)
        print(f"mscabm: stopped by {name} while starting", file=sys.stderr)
    except Exception as exc:  # noqa: BLE001 - an import broken by a stop signal that a library swallowed
        if not received:
            raise
        code = exit_status(received[0])
        print(f"mscabm: stopped by {received[0]} while starting ({type(exc).__name__} after the signal)",
              file=sys.stderr)
    _forget_interrupt_in_string_eval()
    return code


if __name__ == "__main__":
    raise SystemExit(entry())
