#!/usr/bin/env python3
"""What a new pre-commit hook environment costs: a fresh virtualenv and `pip install SRC`
of the project, as pre-commit builds one for a `language: python` hook repository, for
two versions of the project in the same run (`--before`, a git revision, and `--after`,
the working tree by default), rounds alternating between them.

Reports, for each: the distributions installed (besides pip and setuptools), the size on
disk (blocks used, as `du` counts them) of what the install added to `site-packages`, of
`site-packages` and of the whole virtualenv, and the wall time of `python -m venv` +
`pip install SRC` (min and median).

pip reads no index while timed: both sources and everything they need are first put in
one wheelhouse (`pip wheel`, from the index the machine's pip config names: here a PyPI
mirror on local disk), or `--wheelhouse DIR` names one that already holds them; then each
install is `--no-index --find-links WHEELHOUSE`. A script, not a test: it prints numbers
and fails only when it cannot run.

    python benchmarks/bench_install.py --before main [--after .] [--runs 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from email.parser import BytesParser
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
NOT_COUNTED = {"pip", "setuptools"}  # what every virtualenv holds before the install


@dataclass
class Side:
    name: str
    source: Path
    packages: list[str] = field(default_factory=list)
    site_packages_bytes: int = 0
    venv_bytes: int = 0
    seconds: list[float] = field(default_factory=list)


def main() -> int:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-install-") as temp:
        work = Path(temp)
        sides = [
            Side("before", source_tree(args.before, work / "before")),
            Side("after", source_tree(args.after, work / "after")),
        ]
        wheelhouse = args.wheelhouse or fill_wheelhouse(work / "wheelhouse", sides)
        subprocess.run([sys.executable, "-m", "venv", str(work / "empty")], check=True)
        (empty,) = (work / "empty").glob("lib/python*/site-packages")
        empty_bytes = disk_usage(empty)  # pip and setuptools, in every virtualenv
        for round_number in range(args.runs):
            order = sides if round_number % 2 == 0 else sides[::-1]
            for side in order:
                measure(side, wheelhouse, work / f"venv-{side.name}")
        if args.json:
            print(json.dumps([_record(side, empty_bytes) for side in sides], indent=2))
        else:
            print_table(sides, args, empty_bytes)
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", required=True, help="a git revision (e.g. main)")
    parser.add_argument(
        "--after", default=".", help="a git revision, or `.`: the working tree (default)"
    )
    parser.add_argument("--runs", type=int, default=5, help="rounds (default 5)")
    parser.add_argument(
        "--wheelhouse", type=Path, help="wheels of every dependency (default: built first)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser.parse_args()


def source_tree(revision: str, target: Path) -> Path:
    """The project's files at `revision` (`.`: this checkout's, uncommitted work included)."""
    if revision == ".":
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=PROJECT,
            capture_output=True,
            check=True,
        ).stdout.decode()
        for name in filter(None, listed.split("\0")):
            if (PROJECT / name).is_file():
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(PROJECT / name, target / name)
        return target
    target.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", revision],
        cwd=PROJECT,
        capture_output=True,
        check=False,
    )
    if archive.returncode:
        sys.exit(f"bench_install: git archive {revision}: {archive.stderr.decode().strip()}")
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target


def fill_wheelhouse(wheelhouse: Path, sides: list[Side]) -> Path:
    """Wheels of all that both sources need (and setuptools, to build them); one source at
    a time, since they are two versions of one project. Their own wheels are dropped: each
    install builds its source, as pre-commit's does."""
    for side in sides:
        pip_wheel = [sys.executable, "-m", "pip", "wheel", "-q", "-w", str(wheelhouse)]
        done = subprocess.run(
            [*pip_wheel, str(side.source), "setuptools"],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            sys.exit(f"bench_install: pip wheel {side.source} failed:\n{done.stderr}")
    for own in wheelhouse.glob("repo_harden-*.whl"):
        own.unlink()
    return wheelhouse


def offline_pip() -> dict[str, str]:
    """pip reads the wheelhouse only: no index, no config, no cache, no version check."""
    return {
        **os.environ,
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_INDEX": "1",
        "PIP_NO_CACHE_DIR": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }


def measure(side: Side, wheelhouse: Path, venv: Path) -> None:
    shutil.rmtree(venv, ignore_errors=True)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = [str(python), "-m", "pip", "install", "-q", "--find-links", str(wheelhouse)]
    done = subprocess.run(
        [*install, str(side.source)],
        env=offline_pip(),
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    if done.returncode:
        sys.exit(f"bench_install: pip install {side.source} failed:\n{done.stderr}")
    side.seconds.append(seconds)
    (site,) = venv.glob("lib/python*/site-packages")
    side.packages = installed(site)
    side.site_packages_bytes = disk_usage(site)
    side.venv_bytes = disk_usage(venv)


def installed(site: Path) -> list[str]:
    names = []
    for info in site.glob("*.dist-info"):
        name = BytesParser().parsebytes((info / "METADATA").read_bytes())["Name"]
        if str(name).lower() not in NOT_COUNTED:
            names.append(str(name))
    return sorted(names, key=str.lower)


def disk_usage(folder: Path) -> int:
    """Bytes of the blocks its files use, each file once (as `du -s` counts)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for path in folder.rglob("*"):
        stat = path.lstat()
        if (stat.st_dev, stat.st_ino) not in seen:
            seen.add((stat.st_dev, stat.st_ino))
            total += stat.st_blocks * 512
    return total


def _record(side: Side, empty_bytes: int) -> dict[str, object]:
    record = asdict(side)
    record["source"] = str(side.source.name)
    record["package_count"] = len(side.packages)
    record["installed_bytes"] = side.site_packages_bytes - empty_bytes
    return record


def print_table(sides: list[Side], args: argparse.Namespace, empty_bytes: int) -> None:
    print(f"A hook environment: python -m venv + pip install SRC, {args.runs} rounds")
    print(
        f"{'':8} {'packages':>8} {'installed':>10} {'site-packages':>14} {'venv':>9} "
        f"{'min s':>7} {'median s':>9}"
    )
    for side in sides:
        print(
            f"{side.name:8} {len(side.packages):>8} "
            f"{_mb(side.site_packages_bytes - empty_bytes):>10} "
            f"{_mb(side.site_packages_bytes):>14} "
            f"{_mb(side.venv_bytes):>9} {min(side.seconds):>7.2f} "
            f"{statistics.median(side.seconds):>9.2f}"
        )
    before, after = sides
    print(f"before: {args.before}; after: {args.after}; installed: site-packages less an empty")
    print(f"virtualenv's ({_mb(empty_bytes)}: pip and setuptools)")
    print(f"after: {', '.join(after.packages)}")
    print(f"no longer installed: {', '.join(sorted(set(before.packages) - set(after.packages)))}")


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


if __name__ == "__main__":
    raise SystemExit(main())
