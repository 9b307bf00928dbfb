"""Serve Solara's browser assets offline.

Solara's page loads its JavaScript and CSS from a CDN through the server's ``/_solara/cdn/``
proxy, which caches what it fetched under ``solara.server.settings.assets.proxy_cache_dir``
(``<venv>/share/solara/cdn/``). Without internet the page stays blank. This module fills that
cache once, from the npm registry through the ordinary ``npm pack`` client (the same packages
jsDelivr serves; npm checks each tarball's integrity), so the dashboard works offline afterwards:

    python -m mscabm.dashboard.assets          # done by scripts/bootstrap.sh

The package list is read from Solara's own page template (every ``{{cdn}}/<pkg>@<x.y.z>/``
it references), so a Solara upgrade picks up the new versions by construction.
``solara-assets`` on PyPI (newest 1.58.2) lags solara (1.64.1 here), so it is not used.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from mscabm.observe.io import atomic_write_bytes, atomic_write_text

_CDN_REF = re.compile(r"\{\{\s*cdn\s*\}\}/((?:@[\w.-]+/)?[\w.-]+)@(\d+\.\d+\.\d+)/")
#: packages in the template that the vuetify-2 page never loads (vuetify 3 variant)
_SKIP = {"@widgetti/solara-vuetify3-app"}
#: a file of each package that must exist once it is in the cache
_MARKER = ".mscabm-complete"


def configure_environment() -> None:
    """Environment for an offline, private Solara server (call before importing solara.server)."""
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    os.environ.setdefault("SOLARA_CHECK_VERSION", "False")


def required_packages() -> list[tuple[str, str]]:
    """(npm name, exact version) of every package Solara's page loads from the CDN."""
    import solara.server

    template = Path(solara.server.__file__).parent / "templates" / "solara.html.j2"
    found = dict.fromkeys((m.group(1), m.group(2)) for m in _CDN_REF.finditer(template.read_text()))
    from solara.server import settings

    fa = re.match(r"/?((?:@[\w.-]+/)?[\w.-]+)@(\d+\.\d+\.\d+)/", settings.assets.fontawesome_path)
    if settings.assets.fontawesome_enabled and fa:
        found[(fa.group(1), fa.group(2))] = None
    return [p for p in found if p[0] not in _SKIP]


def cache_dir() -> Path:
    from solara.server import settings

    return Path(settings.assets.proxy_cache_dir)


def missing_packages(root: Path | None = None) -> list[tuple[str, str]]:
    root = cache_dir() if root is None else root
    return [(n, v) for n, v in required_packages() if not (root / f"{n}@{v}" / _MARKER).is_file()]


def _npm_pack(name: str, version: str, workdir: Path) -> Path:
    """Download one package tarball with ``npm pack`` (npm's configured registry, integrity checked)."""
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm not found: install Node.js and npm (Debian: apt-get install npm) to fetch "
                           "the dashboard's browser assets")
    proc = subprocess.run([npm, "pack", f"{name}@{version}", "--pack-destination", str(workdir), "--json"],
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"npm pack {name}@{version} failed: {proc.stderr.strip()[-500:]}")
    return workdir / json.loads(proc.stdout)[0]["filename"]


def fetch_package(name: str, version: str, root: Path) -> Path:
    """Download one npm package, unpack it to ``root/name@version/``."""
    with tempfile.TemporaryDirectory() as work:
        tarball = _npm_pack(name, version, Path(work))
        dest = _unpack(tarball, root / f"{name}@{version}")
    atomic_write_text(dest / _MARKER, f"{name}@{version} (npm pack)\n")
    return dest


def _unpack(tarball: Path, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball, mode="r:gz") as tar:
        for member in tar.getmembers():
            if not member.isfile():
                continue
            rel = Path(member.name)
            rel = Path(*rel.parts[1:])  # strip the top folder ("package/")
            if not rel.parts or ".." in rel.parts:
                continue
            atomic_write_bytes(dest / rel, tar.extractfile(member).read())
    return dest


def ensure_assets(verbose: bool = True) -> list[tuple[str, str]]:
    """Fill Solara's CDN cache with every missing package. Returns what is still missing."""
    root = cache_dir()
    missing = missing_packages(root)
    for name, version in missing:
        if verbose:
            print(f"mscabm: fetching browser assets {name}@{version} (npm pack)", file=sys.stderr)
        try:
            fetch_package(name, version, root)
        except Exception as exc:  # noqa: BLE001 (network, disk: report and go on)
            print(f"mscabm: could not fetch {name}@{version}: {exc}", file=sys.stderr)
    return missing_packages(root)


def main() -> int:
    configure_environment()
    still = ensure_assets()
    if still:
        print("mscabm: dashboard assets missing (the page will be blank offline): "
              + ", ".join(f"{n}@{v}" for n, v in still), file=sys.stderr)
        return 1
    print(f"mscabm: dashboard browser assets ready in {cache_dir()}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
