#!/usr/bin/env python3
"""How fast LCK002 reads big lockfiles: a 5 MB package-lock.json, yarn.lock and
pnpm-lock.yaml, consistent with their package.json, built in a temporary folder.

Cases, each timed `--runs` times after one warm-up (median and min, in ms):

- `parse+judge <lockfile>`: in-process, the reader and the comparison LCK002 runs
  (for package-lock.json: `json.loads` plus the npm judgement);
- `scan --select LCK002`: the whole command in a subprocess, start-up included;
- `hook lockfiles package.json`: the pre-commit hook on the manifest alone.

A script, not a test: it prints numbers and never fails on a slow result (it exits
2 only when it cannot run). Target: the 5 MB package-lock.json parsed and judged in
well under a second.

    python benchmarks/bench_lockfiles.py [--runs 7] [--size-mb 5] [--json]
"""

from __future__ import annotations

import argparse
import base64
import functools
import hashlib
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from fixture_git import commit_all  # noqa: E402

from repo_harden.ecosystems.npm import package_lock_drift  # noqa: E402
from repo_harden.ecosystems.package_json import read_package_json  # noqa: E402
from repo_harden.ecosystems.pnpm import pnpm_drift, read_pnpm_lock  # noqa: E402
from repo_harden.ecosystems.yarn import read_yarn_lock, yarn_classic_drift  # noqa: E402
from repo_harden.readers.documents import read_json  # noqa: E402

DIRECT = 300


def _integrity(name: str) -> str:
    digest = hashlib.sha512(name.encode()).digest()
    return "sha512-" + base64.b64encode(digest).decode()


def _packages(size: int, entry_bytes: int) -> list[tuple[str, str]]:
    """(name, version) pairs, enough for `size` bytes of lockfile at `entry_bytes` each."""
    count = size // entry_bytes
    return [(f"pkg-{index:05d}", f"1.{index % 17}.{index % 5}") for index in range(count)]


def build_npm(size: int) -> tuple[str, str]:
    packages = _packages(size, 440)
    direct = {name: f"^{version}" for name, version in packages[:DIRECT]}
    manifest = {"name": "bench", "version": "1.0.0", "dependencies": direct}
    entries: dict[str, object] = {"": {**manifest}}
    for index, (name, version) in enumerate(packages):
        deps = {packages[(index + k) % len(packages)][0]: "^1.0.0" for k in (1, 2, 3)}
        entries[f"node_modules/{name}"] = {
            "version": version,
            "resolved": f"https://registry.npmjs.org/{name}/-/{name}-{version}.tgz",
            "integrity": _integrity(name),
            "license": "MIT",
            "dependencies": deps,
            "engines": {"node": ">=14"},
        }
    lock = {"name": "bench", "version": "1.0.0", "lockfileVersion": 3, "requires": True}
    lock["packages"] = entries
    return json.dumps(manifest, indent=2), json.dumps(lock, indent=2)


def build_yarn(size: int) -> tuple[str, str]:
    packages = _packages(size, 320)
    direct = {name: f"^{version}" for name, version in packages[:DIRECT]}
    lines = ["# yarn lockfile v1", ""]
    for index, (name, version) in enumerate(packages):
        dep = packages[(index + 1) % len(packages)][0]
        lines += [
            "",
            f"{name}@^{version}, {name}@^1.0.0:",
            f'  version "{version}"',
            f'  resolved "https://registry.yarnpkg.com/{name}/-/{name}-{version}.tgz#{"0" * 40}"',
            f"  integrity {_integrity(name)}",
            "  dependencies:",
            f'    {dep} "^1.0.0"',
        ]
    return json.dumps({"name": "bench", "dependencies": direct}), "\n".join(lines) + "\n"


def build_pnpm(size: int) -> tuple[str, str]:
    packages = _packages(size, 250)
    direct = {name: f"^{version}" for name, version in packages[:DIRECT]}
    lines = ["lockfileVersion: '9.0'", "", "settings:", "  autoInstallPeers: true", ""]
    lines += ["importers:", "", "  .:", "    dependencies:"]
    for name, spec in direct.items():
        lines += [f"      {name}:", f"        specifier: {spec}", f"        version: {spec[1:]}"]
    lines += ["", "packages:"]
    for name, version in packages:
        lines += [
            "",
            f"  {name}@{version}:",
            f"    resolution: {{integrity: {_integrity(name)}}}",
            "    engines: {node: '>=14'}",
        ]
    lines += ["", "snapshots:"]
    for index, (name, version) in enumerate(packages):
        dep, dep_version = packages[(index + 1) % len(packages)]
        lines += ["", f"  {name}@{version}:", "    dependencies:", f"      {dep}: {dep_version}"]
    return json.dumps({"name": "bench", "dependencies": direct}), "\n".join(lines) + "\n"


def _judge_npm(manifest_text: str, lock_text: str) -> int:
    manifest = read_package_json("package.json", read_json(manifest_text))
    return len(package_lock_drift(manifest, read_json(lock_text), ""))


def _judge_yarn(manifest_text: str, lock_text: str) -> int:
    manifest = read_package_json("package.json", read_json(manifest_text))
    return len(yarn_classic_drift(manifest, read_yarn_lock(lock_text), frozenset()))


def _judge_pnpm(manifest_text: str, lock_text: str) -> int:
    manifest = read_package_json("package.json", read_json(manifest_text))
    return len(pnpm_drift(manifest, read_pnpm_lock(lock_text), "."))


BUILDERS = {
    "package-lock.json": (build_npm, _judge_npm),
    "yarn.lock": (build_yarn, _judge_yarn),
    "pnpm-lock.yaml": (build_pnpm, _judge_pnpm),
}


def _time(action: Callable[[], object], runs: int) -> list[float]:
    action()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _command(argv: Sequence[str], folder: Path) -> Callable[[], object]:
    def run() -> object:
        result = subprocess.run(argv, cwd=folder, capture_output=True, text=True, check=False)
        if result.returncode not in (0, 1):
            raise RuntimeError(f"{' '.join(argv)} exited {result.returncode}: {result.stderr}")
        return result

    return run


def _executable(name: str) -> str:
    found = shutil.which(name) or str(Path(sys.executable).parent / name)
    if not Path(found).exists():
        raise SystemExit(f"bench_lockfiles: `{name}` not found; pip install -e . first")
    return found


def run(args: argparse.Namespace) -> list[dict[str, object]]:
    size = int(args.size_mb * 1024 * 1024)
    results: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as temporary:
        for lockfile, (build, judge) in BUILDERS.items():
            manifest_text, lock_text = build(size)
            drift = judge(manifest_text, lock_text)
            if drift:
                raise SystemExit(f"bench_lockfiles: the {lockfile} fixture is not consistent")
            samples = _time(functools.partial(judge, manifest_text, lock_text), args.runs)
            results.append(_result(f"parse+judge {lockfile}", len(lock_text), samples))
            if lockfile != "package-lock.json":
                continue
            folder = Path(temporary) / "npm"
            folder.mkdir()
            (folder / "package.json").write_text(manifest_text)
            (folder / "package-lock.json").write_text(lock_text)
            commit_all(folder)
            scan = [_executable("repo-harden"), "scan", "--select", "LCK002", "--format", "json"]
            hook = [_executable("repo-harden-lockfiles"), "package.json"]
            for label, argv in (
                ("scan --select LCK002", scan),
                ("hook lockfiles package.json", hook),
            ):
                samples = _time(_command(argv, folder), args.runs)
                results.append(_result(label, len(lock_text), samples))
    return results


def _result(case: str, size: int, samples: list[float]) -> dict[str, object]:
    return {
        "case": case,
        "lockfile_mb": round(size / 1048576, 2),
        "median_ms": round(statistics.median(samples), 1),
        "min_ms": round(min(samples), 1),
        "samples_ms": [round(s, 1) for s in samples],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per case (default 7)")
    parser.add_argument("--size-mb", type=float, default=5.0, help="lockfile size (default 5)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    try:
        results = run(args)
    except (OSError, RuntimeError, subprocess.CalledProcessError) as error:
        print(f"bench_lockfiles: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{'case':<32} {'MB':>5} {'median ms':>10} {'min ms':>8}")
    for result in results:
        print(
            f"{result['case']:<32} {result['lockfile_mb']:>5} "
            f"{result['median_ms']:>10} {result['min_ms']:>8}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
