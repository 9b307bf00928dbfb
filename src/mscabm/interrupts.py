"""SIGTERM as an exception, like Ctrl-C's KeyboardInterrupt, so one clean-up path serves both.

Kept free of heavy imports: ``mscabm.__main__`` installs the handler before numpy, numba and
Mesa load (seconds on a busy machine), so a SIGTERM during start-up also ends in exit 143.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

__all__ = ["Interrupted", "raise_interrupted", "raise_keyboard_interrupt", "install_sigterm", "install_handlers",
           "exit_code", "exit_status", "received"]

#: the stop signals this process received through these handlers, oldest first ("SIGINT", "SIGTERM")
received: list[str] = []


class Interrupted(KeyboardInterrupt):
    """SIGTERM, raised where the program is (like Ctrl-C's KeyboardInterrupt), so the same
    clean-up runs; ``signal_name`` says which signal stopped it."""

    signal_name = "SIGTERM"


def raise_interrupted(signum: int, frame: FrameType | None) -> None:
    """The SIGTERM handler: raise :class:`Interrupted` in the main thread."""
    received.append("SIGTERM")
    raise Interrupted()


def raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    """The SIGINT handler: Python's own (raise KeyboardInterrupt), remembering that it came."""
    received.append("SIGINT")
    raise KeyboardInterrupt()


def install_handlers() -> None:
    """Both handlers, for the ``mscabm`` process itself (``mscabm.__main__``), before anything heavy loads."""
    if threading.current_thread() is threading.main_thread():
        install_sigterm()
        signal.signal(signal.SIGINT, raise_keyboard_interrupt)


def install_sigterm() -> object | None:
    """Install :func:`raise_interrupted` for SIGTERM (main thread only); returns the previous handler,
    or None where signals cannot be set (another thread)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, raise_interrupted)


def exit_status(name: str) -> int:
    """The exit status after a stop signal, as a shell reports a death by it: SIGTERM 143, SIGINT 130."""
    return 143 if name == "SIGTERM" else 130


def exit_code(exc: KeyboardInterrupt) -> tuple[str, int]:
    """The signal's name and the exit status for an interruption (:func:`exit_status`)."""
    name = getattr(exc, "signal_name", "SIGINT")
    return name, exit_status(name)
