"""A fuzz harness for the command line: hostile inputs of every class, each classified.

Every input goes through ``mscabm.cli.main`` (in this process, so thousands fit in minutes) or,
for signals, through a real ``mscabm run`` process. Each is classified as

- ``rejected``: exit 2 with a one-line message (the bad input was refused cleanly);
- ``accepted``: exit 0, or exit 1 with a clean message (a run that failed, a file not written);
- ``traceback``: an exception escaped ``main`` or a ``Traceback`` reached standard error;
- ``hang``: no answer within the per-input time limit (``SIGALRM``);
- ``long_message``: rejected, but the message is longer than :data:`MAX_MESSAGE` characters
  (it echoed a huge value).

Input classes (:data:`CLASSES`): ``set`` (``--set`` key paths and values), ``config`` (config
files: mutated tables, garbage text, ``extends`` chains), ``spec`` (experiment specs and their
command-line options), ``checkpoint`` (``run --resume`` over damaged checkpoints), ``filesystem``
(a run or an experiment whose writes fail with an injected ``OSError``: no space, no inodes,
read-only, permissions) and ``signal`` (SIGTERM or SIGINT sent to a running ``mscabm run``).

Generators draw from a ``random.Random``, so a hypothesis test can drive them
(``st.randoms()``) and ``benchmarks/fuzz.py`` can run thousands with a seed.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Case", "Outcome", "CLASSES", "make_case", "try_case", "fuzz", "tally", "format_tally", "Workspace",
           "MAX_MESSAGE", "TINY", "toml_from_dotted"]

#: longest acceptable error message, characters
MAX_MESSAGE = 4500
#: per-input time limit of in-process inputs, s (a valid tiny run takes well under 5 s)
CASE_TIMEOUT_S = 60

# a 200 um square with a few cells of each kind: a valid run of a few steps takes a fraction of a second
TINY = {"domain.width_um": 200, "domain.height_um": 200, "cells.MSC.count": 3, "cells.T.count": 30,
        "cells.CD8.count": 10, "cells.B.count": 5, "cells.NK.count": 5, "cells.DC.count": 2, "cells.MAC.count": 5,
        "output.snapshot_every": 0, "output.record_every": 1, "model.steps": 4}

#: values as TOML text: hostile ones and ordinary ones of the wrong type
TOKENS = ["9" * 5000, "-" + "9" * 4400, "-1", "0", "1e309", "-1e309", "nan", "inf", "-inf", "1e-320", "2.5",
          "9223372036854775808", "true", "false", '""', '"x"', '"' + "x" * 100_000 + '"', '"a"\nseed = 3',
          '"a"\n[model]\nseed = 3', "[" * 600 + "]" * 600, "{a = " * 300 + "1" + "}" * 300, '"\\u0000"',
          '"\u00e9\u6f22\u5b57"', "[1, \"a\"]", "[]", "{}", "{count = 5}", "{count = -5}", '"../../etc/passwd"',
          "1979-05-27T07:32:00Z", "[[1, 2], [3]]", "{states = []}", '"""multi\nline"""', "0x10", "1_000", "+7",
          "'literal'", "= = =", "[1, 2", "{a=1,", "\"unterminated", "\x00", "\ufeff1"]
#: key paths beyond the config's own (unknown, malformed, too deep)
BAD_KEYS = ["", ".", "cells..count", "model.", ".model", "a." * 600 + "b", "cells.NEW.count", "cells.NEW",
            "cells.T.states", "rules.NEW.signal", "fields.NEW", "model.seed.x", "x" * 10_000, "model.\u00e9",
            "cells.T.variables." + "v." * 40 + "x", "behaviours.T.naive.NEW", "cells.\"T\".count"]


@dataclass
class Case:
    """One input: its class, a short label, the argv for ``mscabm`` and what prepares it."""

    kind: str
    label: str
    argv: list[str]
    prepare: Callable[[], None] | None = None
    inject: Callable[[], contextlib.AbstractContextManager] | None = None
    subprocess_signal: tuple[int, float] | None = None  # (signal, seconds after start) for the signal class


@dataclass
class Outcome:
    kind: str
    label: str
    outcome: str
    rc: int | str | None
    message: str = ""  # the first 300 characters of standard error
    seconds: float = 0.0
    message_chars: int = 0  # the whole message's length


@dataclass
class Workspace:
    """A folder for the inputs' files, with a tiny valid config and one valid checkpoint."""

    root: Path
    _n: int = 0
    _checkpoint: Path | None = field(default=None, repr=False)

    def path(self, name: str) -> Path:
        self._n += 1
        return self.root / f"{self._n:05d}-{name}"

    @property
    def tiny_config(self) -> Path:
        p = self.root / "tiny.toml"
        if not p.exists():
            p.write_text(toml_from_dotted(TINY))
        return p

    def checkpoint_run(self) -> Path:
        """A run folder with a checkpoint at step 2 of 4 (made once)."""
        if self._checkpoint is None:
            run = self.root / "checkpoint-base"
            shutil.rmtree(run, ignore_errors=True)
            with _captured():
                rc = _main(["run", str(self.tiny_config), "--quiet", "--checkpoint-every", "2", "--out", str(run)])
            if rc != 0 or not (run / "checkpoint.npz").is_file():
                raise RuntimeError("the fuzz harness could not write its base checkpoint")
            self._checkpoint = run
        return self._checkpoint


def toml_from_dotted(values: dict[str, Any]) -> str:
    """A dotted-key -> value mapping as TOML text, one table per section."""
    tables: dict[str, list[str]] = {}
    for key, v in values.items():
        table, _, name = key.rpartition(".")
        tables.setdefault(table, []).append(f"{name} = {json.dumps(v)}")
    return "".join(f"[{t}]\n" + "\n".join(lines) + "\n" for t, lines in tables.items())


def _main(argv: list[str]) -> int:
    from mscabm.cli import main

    try:
        return main(argv)
    except SystemExit as exc:  # argparse: exit 2 for a bad option
        return exc.code if isinstance(exc.code, int) else 2


@contextlib.contextmanager
def _captured() -> Iterator[tuple[io.StringIO, io.StringIO]]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        yield out, err


def _config_keys() -> list[str]:
    from mscabm.config import default_config_dict

    keys: list[str] = []
    stack: list[tuple[str, Any]] = [("", default_config_dict())]
    while stack:
        prefix, node = stack.pop()
        for k, v in node.items():
            key = f"{prefix}.{k}" if prefix else str(k)
            keys.append(key)
            if isinstance(v, dict):
                stack.append((key, v))
    return sorted(keys)


_KEYS: list[str] = []


def _key(rng: random.Random) -> str:
    if not _KEYS:
        _KEYS.extend(_config_keys())
    return rng.choice(BAD_KEYS) if rng.random() < 0.2 else rng.choice(_KEYS)


def _token(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.6:
        return rng.choice(TOKENS)
    if r < 0.8:
        return repr(rng.choice([rng.randint(-10**6, 10**6), rng.uniform(-1e6, 1e6), rng.random()]))
    return "".join(chr(rng.randint(1, 0x2FFF)) for _ in range(rng.randint(1, 40)))


# ---------------------------------------------------------------------------- input classes
def _set_case(rng: random.Random, ws: Workspace) -> Case:
    sets = []
    for _ in range(rng.randint(1, 3)):
        sets += ["--set", f"{_key(rng)}={_token(rng)}" if rng.random() < 0.95 else _token(rng)]
    return Case("set", sets[1][:60], ["validate", *sets])


def _config_case(rng: random.Random, ws: Workspace) -> Case:
    p = ws.path("config.toml")
    r = rng.random()
    if r < 0.6:  # a table or dotted key with a hostile value
        lines = [f"{_key(rng)} = {_token(rng)}" for _ in range(rng.randint(1, 3))]
        text = "\n".join(lines) + "\n"
    elif r < 0.75:  # deep nesting through headers or dotted keys
        depth = rng.choice([10, 40, 600, 3000])
        text = rng.choice([f"[{'.'.join(['a'] * depth)}]\nx = 1\n", f"{'.'.join(['a'] * depth)} = 1\n",
                           "x = " + "[" * depth + "]" * depth + "\n"])
    elif r < 0.9:  # extends chains
        other = ws.path("base.toml")
        other.write_text(f'extends = "{p.name}"\n' if rng.random() < 0.5 else f"extends = {_token(rng)}\n")
        text = rng.choice([f'extends = "{p.name}"\n', f'extends = "{other.name}"\n', f"extends = {_token(rng)}\n",
                           'extends = "/nonexistent/x.toml"\n', 'extends = "coculture"\n[model]\nsteps = -1\n'])
    else:  # garbage: a preset cut short or with random bytes
        from mscabm.config import PRESET_DIR

        base = (PRESET_DIR / "coculture.toml").read_bytes()
        cut = rng.randint(0, len(base))
        data = base[:cut] + bytes(rng.randint(0, 255) for _ in range(rng.randint(0, 20)))
        p.write_bytes(data)
        return Case("config", f"garbage cut at {cut}", ["validate", str(p)])
    p.write_text(text, encoding="utf-8")
    return Case("config", text[:60], ["validate", str(p)])


_SPEC_SLOTS = {
    "experiment.name": '"fz"', "experiment.steps": "2", "experiment.replicates": "1", "experiment.master_seed": "1",
    "base.config": None, "readouts.final": '["n_cells", "n_T"]', "design.kind": '"conditions"',
}


def _spec_case(rng: random.Random, ws: Workspace) -> Case:
    slots = dict(_SPEC_SLOTS, **{"base.config": json.dumps(str(ws.tiny_config))})
    design = rng.choice(["conditions", "grid", "morris", "none"])
    body = ""
    if design == "conditions":
        body = '[[design.conditions]]\nid = "a"\nset = { "cells.MSC.count" = 2 }\n'
    elif design == "grid":
        slots["design.kind"] = '"grid"'
        n = rng.choice([1, 2, 100_000])
        body = f'[[design.factors]]\nname = "f"\nkey = "cells.MSC.count"\nvalues = {list(range(n))}\n'
    elif design == "morris":
        slots["design.kind"] = '"morris"'
        body = ('[design]\nsamples = 1\n'
                '[[design.parameters]]\nname = "p"\nkeys = ["cells.MSC.count"]\nbounds = [1, 4]\ninteger = true\n'
                '[[design.parameters]]\nname = "q"\nkeys = ["cells.T.count"]\nbounds = [10, 30]\nscale = "value"\n')
    for _ in range(rng.randint(0, 2)):  # hostile values in slots, or slots dropped
        key = rng.choice([*slots, "base.set.model", "base.set.\"cells.MSC.count\"", "design.samples",
                          "experiment.max_runs", "control.set", "report.kind"])
        slots[key] = None if rng.random() < 0.2 else _token(rng)
    if design == "morris" and rng.random() < 0.5:  # hostile parameter fields
        field_, token = rng.choice(["bounds", "scale", "keys", "integer", "log"]), _token(rng)
        body = body.replace("integer = true", f"integer = true\n{field_} = {token}" if field_ != "bounds" else
                            f"integer = true\nlog = {rng.choice(['true', 'false'])}").replace(
            "bounds = [1, 4]",
            f"bounds = [{rng.choice(['-inf', '0', '1', 'nan'])}, {rng.choice(['inf', '4', '1e308'])}]")
    tables: dict[str, list[str]] = {}
    for key, value in slots.items():
        if value is not None:
            table, _, name = key.partition(".")
            tables.setdefault(table, []).append(f"{name} = {value}")
    text = "".join(f"[{t}]\n" + "\n".join(lines) + "\n" for t, lines in tables.items() if t != "design")
    text += "[design]\n" + "\n".join(tables.get("design", [])) + "\n" + body.replace("[design]\n", "")
    p = ws.path("spec.toml")
    p.write_text(text, encoding="utf-8")
    opts = ["--in-process"]
    r = rng.random()
    if r < 0.1:
        opts = ["--threads", rng.choice(["-1", "0", "99", "1"]), "--in-process"]
    elif r < 0.15:
        opts = ["--workers", rng.choice(["-1", "0", "100000"])]
    elif r < 0.2:
        opts = ["--scheduler", rng.choice(["not a url", "tcp://", "tcp://host", "http://x:y", "tcp://127.0.0.1:1"])]
    out = ws.path("exp")
    if rng.random() < 0.1:
        out.write_text("a file")
    return Case("spec", f"{design}: {text[-60:]!r}", ["experiment", str(p), "--quiet", "--out", str(out), *opts])


def _checkpoint_case(rng: random.Random, ws: Workspace) -> Case:
    base = ws.checkpoint_run()
    run = ws.path("resume")
    what = rng.choice(["header", "meta", "array", "bytes", "npy", "truncate"])

    def prepare() -> None:
        shutil.copytree(base, run)
        f = run / "checkpoint.npz"
        if what in ("bytes", "truncate"):
            data = bytearray(f.read_bytes())
            if what == "truncate":
                data = data[: rng.randint(0, len(data))]
            else:
                for _ in range(rng.randint(1, 8)):
                    data[rng.randrange(len(data))] = rng.randint(0, 255)
            f.write_bytes(bytes(data))
            return
        if what == "npy":
            np.save(run / "plain.npy", np.zeros(3))
            (run / "plain.npy").replace(f)
            return
        with np.load(f) as z:
            arrays = {k: z[k] for k in z.files}
        header = json.loads(arrays["header"].tobytes())
        if what == "header":
            key = rng.choice(["meta", "rows", "config_toml", "format"])
            if rng.random() < 0.5:
                header.pop(key, None)
            else:
                header[key] = rng.choice([None, 5, "x", [], {}, [1, 2]])
        elif what == "meta":
            meta = header["meta"]
            key = rng.choice(sorted(meta))
            if rng.random() < 0.4:
                meta.pop(key)
            else:
                meta[key] = rng.choice([None, -1, 2.5, "x", [], {}, {"bit_generator": "PCG64"}, 10**30, [1, "a"]])
        else:
            key = rng.choice([k for k in arrays if k != "header"])
            a = arrays[key]
            change = rng.choice(["nan", "shape", "dtype", "range", "drop", "empty"])
            if change == "drop":
                arrays.pop(key)
            elif change == "empty":
                arrays[key] = a[:0]
            elif change == "shape":
                arrays[key] = a.reshape(-1)[: max(0, a.size - rng.randint(1, 3))] if a.size else np.zeros(2)
            elif change == "dtype":
                arrays[key] = a.astype(rng.choice([np.float32, np.int8, np.bool_, np.complex64]))
            elif change == "nan" and a.dtype.kind == "f" and a.size:
                a = a.copy()
                a.reshape(-1)[rng.randrange(a.size)] = rng.choice([np.nan, np.inf, -np.inf])
                arrays[key] = a
            elif a.size and a.dtype.kind in "iuf":
                a = a.copy()
                a.reshape(-1)[rng.randrange(a.size)] = np.array(rng.choice([-1, 10**6, 2**15 - 1])).astype(a.dtype)
                arrays[key] = a
        arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
        np.savez(f, **arrays)

    return Case("checkpoint", what, ["run", "--quiet", "--resume", str(run)], prepare=prepare)


_ERRNOS = [errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EDQUOT, errno.EIO, errno.EMFILE, errno.EPERM]


def _filesystem_case(rng: random.Random, ws: Workspace) -> Case:
    err = rng.choice(_ERRNOS)
    target = rng.choice(["mkstemp", "replace", "fsync", "mkdir"])
    after = rng.randint(0, 12)

    @contextlib.contextmanager
    def inject() -> Iterator[None]:
        import tempfile

        calls = Counter[str]()
        originals = {"mkstemp": tempfile.mkstemp, "replace": os.replace, "fsync": os.fsync, "mkdir": Path.mkdir}

        def failing(name: str) -> Callable[..., Any]:
            def f(*args: Any, **kwargs: Any) -> Any:
                calls[name] += 1
                if calls[name] > after:
                    raise OSError(err, os.strerror(err))
                return originals[name](*args, **kwargs)
            return f

        patches = {"mkstemp": (tempfile, "mkstemp"), "replace": (os, "replace"), "fsync": (os, "fsync"),
                   "mkdir": (Path, "mkdir")}
        owner, attr = patches[target]
        setattr(owner, attr, failing(target))
        try:
            yield
        finally:
            setattr(owner, attr, originals[target])

    out = ws.path("fs")
    if rng.random() < 0.5:
        argv = ["run", str(ws.tiny_config), "--quiet", "--out", str(out)]
    else:
        spec = ws.path("spec.toml")
        spec.write_text(f'[experiment]\nname = "fs"\nsteps = 2\nreplicates = 2\n[base]\nconfig = '
                        f'{json.dumps(str(ws.tiny_config))}\n[readouts]\nfinal = ["n_cells"]\n[design]\n'
                        'kind = "conditions"\n[[design.conditions]]\nid = "a"\nset = { "cells.MSC.count" = 2 }\n')
        argv = ["experiment", str(spec), "--quiet", "--in-process", "--out", str(out)]
    return Case("filesystem", f"{errno.errorcode[err]} at {target} call {after + 1}: {argv[0]}", argv, inject=inject)


def _signal_case(rng: random.Random, ws: Workspace) -> Case:
    sig = rng.choice([signal.SIGTERM, signal.SIGINT])
    delay = rng.uniform(3.0, 12.0)
    out = ws.path("sig")
    argv = ["run", str(ws.tiny_config), "--quiet", "--set", "model.steps=400000", "--out", str(out)]
    return Case("signal", f"{signal.Signals(sig).name} after {delay:.1f} s", argv, subprocess_signal=(sig, delay))


CLASSES: dict[str, Callable[[random.Random, Workspace], Case]] = {
    "set": _set_case, "config": _config_case, "spec": _spec_case, "checkpoint": _checkpoint_case,
    "filesystem": _filesystem_case, "signal": _signal_case}


def make_case(kind: str, rng: random.Random, ws: Workspace) -> Case:
    return CLASSES[kind](rng, ws)


# ---------------------------------------------------------------------------- running and classifying
class _Hang(BaseException):
    pass


def _on_alarm(signum: int, frame: object) -> None:
    raise _Hang()


def try_case(case: Case, timeout_s: float = CASE_TIMEOUT_S) -> Outcome:
    """Run one input and classify it (see the module docstring)."""
    t0 = time.perf_counter()
    if case.subprocess_signal is not None:
        return _try_signal(case, t0)
    if case.prepare is not None:
        case.prepare()
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    rc: int | str | None = None
    try:
        with _captured() as (_out, err), (case.inject() if case.inject else contextlib.nullcontext()):
            try:
                rc = _main(case.argv)
                outcome = None
            except _Hang:
                raise
            except BaseException as exc:  # noqa: BLE001 - exactly what the harness looks for
                outcome, rc = "traceback", f"{type(exc).__name__}: {str(exc)[:200]}"
        message = err.getvalue()
    except _Hang:
        return Outcome(case.kind, case.label, "hang", None, "", time.perf_counter() - t0)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    if outcome is None:
        if "Traceback (most recent call last)" in message:
            outcome = "traceback"
        elif rc == 2:
            outcome = "long_message" if len(message) > MAX_MESSAGE else "rejected"
        elif rc in (0, 1):
            outcome = "accepted"
        else:
            outcome = "traceback"
    message = message.strip()
    return Outcome(case.kind, case.label, outcome, rc, message[:300], time.perf_counter() - t0, len(message))


def _try_signal(case: Case, t0: float) -> Outcome:
    sig, delay = case.subprocess_signal  # type: ignore[misc]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "mscabm", *case.argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    time.sleep(delay)
    proc.send_signal(sig)
    try:
        _out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return Outcome(case.kind, case.label, "hang", None, "", time.perf_counter() - t0)
    out = Path(case.argv[case.argv.index("--out") + 1])
    expected = 143 if sig == signal.SIGTERM else 130
    outcome = "accepted"
    if "Traceback" in err or proc.returncode not in (expected, 0, 2):
        outcome = "traceback"
    elif proc.returncode == expected and (out / "config.toml").exists():  # it had started: outputs must be whole
        try:
            summary = json.loads((out / "summary.json").read_text())
            if summary.get("interrupted") != signal.Signals(sig).name:
                outcome = "traceback"
            if (out / "timeseries.parquet").exists():
                import pandas as pd

                pd.read_parquet(out / "timeseries.parquet")
        except (OSError, ValueError) as exc:
            outcome, err = "traceback", f"outputs unreadable after {signal.Signals(sig).name}: {exc}"
    err = err.strip()
    return Outcome(case.kind, case.label, outcome, proc.returncode, err[:300], time.perf_counter() - t0, len(err))


def fuzz(n: int, root: Path, seed: int = 0, kinds: tuple[str, ...] | None = None,
         weights: dict[str, float] | None = None, progress: bool = True) -> list[Outcome]:
    """Try ``n`` inputs drawn over ``kinds`` (default: every class; ``weights`` per class)."""
    from tqdm import tqdm

    kinds = kinds or tuple(CLASSES)
    w = [(weights or {}).get(k, 1.0) for k in kinds]
    rng = random.Random(seed)
    ws = Workspace(Path(root))
    ws.root.mkdir(parents=True, exist_ok=True)
    results = []
    for _ in tqdm(range(n), desc="fuzz", unit="input", disable=not progress, file=sys.stderr):
        kind = rng.choices(kinds, w)[0]
        results.append(try_case(make_case(kind, random.Random(rng.getrandbits(64)), ws)))
    return results


def tally(results: list[Outcome]) -> dict[str, dict[str, int]]:
    """Per class: tried / rejected / accepted / traceback / hang / long_message."""
    out: dict[str, dict[str, int]] = {}
    for r in results:
        row = out.setdefault(r.kind, dict.fromkeys(("tried", "rejected", "accepted", "traceback", "hang",
                                                    "long_message"), 0))
        row["tried"] += 1
        row[r.outcome] += 1
    return out


def format_tally(results: list[Outcome]) -> str:
    table = tally(results)
    cols = ("tried", "rejected", "accepted", "traceback", "hang", "long_message")
    total = {c: sum(row[c] for row in table.values()) for c in cols}
    lines = [f"{'class':<12}" + "".join(f"{c:>13}" for c in cols)]
    lines += [f"{k:<12}" + "".join(f"{row[c]:>13}" for c in cols) for k, row in sorted(table.items())]
    lines.append(f"{'all':<12}" + "".join(f"{total[c]:>13}" for c in cols))
    return "\n".join(lines)

