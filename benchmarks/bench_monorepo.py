#!/usr/bin/env python3
"""What `repo-harden scan` costs on monorepos, and whether it grows linearly.

Generated workspaces, each a committed git repository in a temporary folder, scanned by
`repo-harden scan --format json` (a subprocess, as a user runs it):

- `pnpm-600` and `pnpm-1200`: a pnpm workspace of 600 packages in 6,000 files, and the
  same twice over; the ratio of the two is the growth when the files double;
- `astro-like`: the shape of withastro/astro (544 workspace packages among 6,700 files:
  `packages/*`, integrations, examples, test fixtures under `**` globs and `!` negations,
  one pnpm-lock.yaml with an importer for each, workflows, shell scripts);
- `uv-300`: a uv workspace of 300 Python projects (`members` and `exclude` globs, one
  uv.lock with each member's `[[package]]`), 3,000 files.

Targets (issue #20): `pnpm-600` in at most 1 s, and `pnpm-1200` at most 2.2 times
`pnpm-600`. It also reports each scan's peak RSS. A script, not a test: it prints numbers
and fails only when it cannot run.

    python benchmarks/bench_monorepo.py [--runs 7] [--repo-harden-bin DIR] [--case NAME] [--json]
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
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from fixture_git import GitError, commit_all

TARGET_SECONDS = 1.0  # pnpm-600
TARGET_GROWTH = 2.2  # pnpm-1200 / pnpm-600: doubling the files at most doubles the time, +10%
FILES_PER_PACKAGE = 10


# ---------------------------------------------------------------- pnpm


def package_json(name: str, dependencies: dict[str, str], dev: dict[str, str]) -> str:
    document = {
        "name": name,
        "version": "1.0.0",
        "type": "module",
        "main": "dist/index.js",
        "scripts": {"build": "tsc -p .", "test": "vitest run"},
        "dependencies": dependencies,
        "devDependencies": dev,
    }
    return json.dumps(document, indent=2) + "\n"


def importer_yaml(folder: str, dependencies: dict[str, str], dev: dict[str, str]) -> str:
    """One importer of a v9 pnpm-lock.yaml, with the specifiers the manifest declares."""
    lines = [f"  {folder}:"]
    for field, declared in (("dependencies", dependencies), ("devDependencies", dev)):
        if not declared:
            continue
        lines.append(f"    {field}:")
        for name, spec in declared.items():
            version = "link:" + relative_link(folder, name) if spec == "workspace:*" else "5.4.5"
            lines += [f"      '{name}':", f"        specifier: {spec}"]
            lines.append(f"        version: {version}")
    return "\n".join(lines) + "\n"


def relative_link(folder: str, name: str) -> str:
    depth = folder.count("/") + 1
    return "../" * depth + "packages/" + name.removeprefix("@bench/")


def pnpm_lock(importers: list[str]) -> str:
    header = (
        "lockfileVersion: '9.0'\n\nsettings:\n  autoInstallPeers: true\n"
        "  excludeLinksFromLockfile: false\n\nimporters:\n\n"
    )
    packages = (
        "\npackages:\n\n  typescript@5.4.5:\n    resolution: {integrity: sha512-"
        + "A" * 86
        + "==}\n    engines: {node: '>=14.17'}\n    hasBin: true\n\n"
        "snapshots:\n\n  typescript@5.4.5: {}\n"
    )
    return header + "\n".join(importers) + packages


SOURCE_FILES = {
    "src/index.ts": "export * from './lib.js';\nexport type {{ Options }} from './types.js';\n",
    "src/lib.ts": "export function run{n}(input: string): string {{\n  return input.trim();\n}}\n",
    "src/types.ts": "export interface Options {{\n  verbose?: boolean;\n}}\n",
    "test/index.test.ts": "import {{ run{n} }} from '../src/lib.js';\nrun{n}(' a ');\n",
    "test/fixture.json": '{{"input": " a ", "expected": "a"}}\n',
    "tsconfig.json": '{{"extends": "../../tsconfig.base.json", "include": ["src"]}}\n',
    "README.md": "# package {n}\n\nPart of the bench workspace.\n",
    "CHANGELOG.md": "# Changelog\n\n## 1.0.0\n\n- First release.\n",
    "LICENSE": "MIT License\n\nCopyright (c) bench\n",
}

CI_WORKFLOW = """\
name: ci
on: [push, pull_request]
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - uses: pnpm/action-setup@v4
      - run: pnpm install --frozen-lockfile && pnpm -r test
"""


def write(folder: Path, relative: str, text: str) -> None:
    target = folder / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def write_package(folder: Path, member: str, number: int, previous: str | None) -> str:
    """A workspace package of FILES_PER_PACKAGE files; its importer in the lockfile."""
    name = "@bench/" + member.rpartition("/")[2]
    dependencies = {"typescript": "^5.4.0"}
    if previous is not None:
        dependencies["@bench/" + previous.rpartition("/")[2]] = "workspace:*"
    write(folder, f"{member}/package.json", package_json(name, dependencies, {}))
    for relative, text in SOURCE_FILES.items():
        write(folder, f"{member}/{relative}", text.format(n=number))
    return importer_yaml(member, dependencies, {})


def pnpm_workspace(folder: Path, packages: int) -> None:
    """`packages` members under packages/ (10 files each), a lockfile importing them all."""
    write(folder, "pnpm-workspace.yaml", "packages:\n  - 'packages/*'\n")
    root = package_json("bench", {}, {"typescript": "^5.4.0"})
    write(folder, "package.json", root)
    write(folder, ".github/workflows/ci.yml", CI_WORKFLOW)
    importers = [importer_yaml(".", {}, {"typescript": "^5.4.0"})]
    previous = None
    for number in range(packages):
        member = f"packages/pkg-{number:04d}"
        importers.append(write_package(folder, member, number, previous))
        previous = member if number % 10 else None
    write(folder, "pnpm-lock.yaml", pnpm_lock(importers))
    commit_all(folder)


ASTRO_WORKSPACE = """\
packages:
  - 'packages/*'
  - 'packages/integrations/*'
  - 'packages/markdown/*'
  - 'examples/*'
  - 'smoke/*'
  - 'benchmark'
  - 'benchmark/packages/*'
  - 'packages/astro/test/fixtures/**'
  - 'packages/astro/e2e/fixtures/*'
  - 'packages/integrations/*/test/fixtures/*'
  - '!**/node_modules/**'
  - '!packages/astro/test/fixtures/**/dist'
"""


def astro_like(folder: Path) -> None:
    """withastro/astro's shape: 544 workspace members in nested, `**`-globbed folders, one
    lockfile, workflows and scripts, about 6,700 files."""
    write(folder, "pnpm-workspace.yaml", ASTRO_WORKSPACE)
    write(folder, "package.json", package_json("astro-monorepo", {}, {"typescript": "^5.4.0"}))
    for name in ("ci", "format", "release", "examples-deploy", "benchmark", "check"):
        write(folder, f".github/workflows/{name}.yml", CI_WORKFLOW)
    write(folder, "scripts/smoke/check.sh", "#!/bin/sh\nset -eu\npnpm -r build\n")
    members = [f"packages/{name}" for name in ("astro", "create-astro", "db", "upgrade", "studio")]
    members += [f"packages/markdown/{name}" for name in ("remark", "prism")]
    integrations = [f"packages/integrations/int-{n:02d}" for n in range(30)]
    members += integrations
    members += [f"examples/example-{n:02d}" for n in range(28)]
    members += ["benchmark", *(f"benchmark/packages/bench-{n}" for n in range(3))]
    members += [f"smoke/site-{n}" for n in range(2)]
    members += [f"packages/astro/e2e/fixtures/e2e-{n:03d}" for n in range(60)]
    fixtures = [f"packages/astro/test/fixtures/fixture-{n:03d}" for n in range(330)]
    groups = [f"packages/astro/test/fixtures/group-{n}" for n in range(8)]
    fixtures += [f"{group}/nested-{m}" for group in groups for m in range(5)]
    members += fixtures
    members += [f"{integration}/test/fixtures/basic" for integration in integrations[:30]]
    members += [f"{integration}/test/fixtures/ssr" for integration in integrations[:13]]
    assert len(members) == 544, len(members)
    importers = [importer_yaml(".", {}, {"typescript": "^5.4.0"})]
    for number, member in enumerate(members):
        importers.append(write_package(folder, member, number, None))
        if member.startswith("packages/astro/test/fixtures/fixture-"):
            # build output a fixture test leaves behind: excluded by the `!` glob
            write(folder, f"{member}/dist/package.json", package_json(f"dist-{number}", {}, {}))
    files = sum(1 for path in folder.rglob("*") if path.is_file())
    for number in range(max(0, 6700 - files)):
        module = f"packages/astro/src/core/module-{number:04d}.ts"
        write(folder, module, f"export const m = {number};\n")
    write(folder, "pnpm-lock.yaml", pnpm_lock(importers))
    commit_all(folder)


# ---------------------------------------------------------------- uv


def pyproject(name: str, dependencies: list[str]) -> str:
    listed = "".join(f'    "{dependency}",\n' for dependency in dependencies)
    return (
        f'[project]\nname = "{name}"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
        f"dependencies = [\n{listed}]\n\n[build-system]\n"
        'requires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
    )


def uv_package(name: str, source: str, dependencies: list[str]) -> str:
    lines = ["[[package]]", f'name = "{name}"', 'version = "0.1.0"', f"source = {source}"]
    if dependencies:
        listed = ", ".join(f'{{ name = "{dep.split(">")[0]}" }}' for dep in dependencies)
        lines.append(f"dependencies = [{listed}]")
        requires = ", ".join(
            f'{{ name = "{dep.split(">")[0]}", specifier = ">{dep.split(">", 1)[1]}" }}'
            if ">" in dep
            else f'{{ name = "{dep}" }}'
            for dep in dependencies
        )
        lines += ["", "[package.metadata]", f"requires-dist = [{requires}]"]
    return "\n".join(lines) + "\n"


def uv_workspace(folder: Path, members: int = 300) -> None:
    """A uv workspace: `members` projects under packages/ and libs/, one excluded folder,
    one uv.lock listing each member; 10 files a project."""
    write(
        folder,
        "pyproject.toml",
        pyproject("bench-root", []) + '\n[tool.uv.workspace]\nmembers = ["packages/*", "libs/*"]\n'
        'exclude = ["packages/legacy-*"]\n',
    )
    write(folder, ".github/workflows/ci.yml", CI_WORKFLOW.replace("pnpm", "uv"))
    blocks = [uv_package("bench-root", '{ virtual = "." }', [])]
    names: list[str] = []
    for number in range(members):
        parent = "packages" if number % 3 else "libs"
        name = f"proj-{number:04d}"
        dependencies = ["httpx>=0.27"] + ([names[-1]] if names and number % 5 else [])
        write(folder, f"{parent}/{name}/pyproject.toml", pyproject(name, dependencies))
        module = name.replace("-", "_")
        for relative in (
            f"src/{module}/__init__.py",
            f"src/{module}/core.py",
            f"src/{module}/py.typed",
            "tests/test_core.py",
            "tests/conftest.py",
            "README.md",
            "CHANGELOG.md",
            "LICENSE",
            "Makefile",
        ):
            write(folder, f"{parent}/{name}/{relative}", f"# {name}: {relative}\n")
        blocks.append(uv_package(name, f'{{ editable = "{parent}/{name}" }}', dependencies))
        names.append(name)
    write(folder, "packages/legacy-tool/pyproject.toml", pyproject("legacy", ["requests"]))
    blocks.append(
        '[[package]]\nname = "httpx"\nversion = "0.27.0"\n'
        'source = { registry = "https://pypi.org/simple" }\n'
    )
    header = 'version = 1\nrevision = 2\nrequires-python = ">=3.11"\n\n'
    header += "[manifest]\nmembers = [" + ", ".join(f'"{n}"' for n in ["bench-root", *names])
    header += "]\n\n"
    write(folder, "uv.lock", header + "\n".join(blocks))
    commit_all(folder)


@dataclass(frozen=True)
class Case:
    name: str
    description: str
    build: Callable[[Path], None]


CASES = (
    Case("pnpm-600", "pnpm workspace, 600 packages, 6,000 files", lambda f: pnpm_workspace(f, 600)),
    Case(
        "pnpm-1200",
        "pnpm workspace, 1,200 packages, 12,000 files",
        lambda f: pnpm_workspace(f, 1200),
    ),
    Case("astro-like", "withastro/astro's shape: 544 pnpm members, 6,700 files", astro_like),
    Case("uv-300", "uv workspace, 300 projects, 3,000 files", uv_workspace),
)


# ---------------------------------------------------------------- timing


@dataclass
class Result:
    name: str
    description: str
    files: int
    runs: list[float]
    median_s: float
    min_s: float
    peak_rss_mb: float
    findings: int
    exit_code: int


def scan_once(command: Sequence[str], folder: Path) -> tuple[float, float, int, bytes]:
    """Wall seconds, peak RSS in MiB, exit code and output of one scan."""
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            [*command, "scan", "--format", "json"],
            cwd=folder,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.DEVNULL,
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        return seconds, usage.ru_maxrss / 1024, process.returncode, out.read()


def measure(case: Case, command: Sequence[str], root: Path, runs: int) -> Result:
    folder = root / case.name
    folder.mkdir()
    case.build(folder)
    files = int(subprocess.run(
        ["git", "ls-files"], cwd=folder, capture_output=True, check=True
    ).stdout.count(b"\n"))  # fmt: skip
    _, peak, code, output = scan_once(command, folder)  # warm-up, and the output to check
    if code not in (0, 1):
        raise SystemExit(f"bench_monorepo: the scan of {case.name} exited {code}")
    findings = len(json.loads(output)["findings"])
    times = []
    for _ in range(runs):
        seconds, rss, _, _ = scan_once(command, folder)
        times.append(seconds)
        peak = max(peak, rss)
    return Result(
        case.name,
        case.description,
        files,
        [round(t, 4) for t in times],
        round(statistics.median(times), 4),
        round(min(times), 4),
        round(peak, 1),
        findings,
        code,
    )


def report(results: list[Result]) -> None:
    print(f"{'case':11} {'files':>6} {'median s':>9} {'min s':>7} {'peak MB':>8} {'findings':>8}")
    for result in results:
        print(
            f"{result.name:11} {result.files:6} {result.median_s:9.3f} {result.min_s:7.3f} "
            f"{result.peak_rss_mb:8.1f} {result.findings:8}"
        )
    by_name = {result.name: result for result in results}
    if "pnpm-600" in by_name:
        seconds = by_name["pnpm-600"].median_s
        verdict = "met" if seconds <= TARGET_SECONDS else "MISSED"
        print(f"pnpm-600: {seconds:.3f} s, target {TARGET_SECONDS:.1f} s: {verdict}")
    if {"pnpm-600", "pnpm-1200"} <= by_name.keys():
        growth = by_name["pnpm-1200"].median_s / by_name["pnpm-600"].median_s
        verdict = "met" if growth <= TARGET_GROWTH else "MISSED"
        print(f"doubling: {growth:.2f}x, target {TARGET_GROWTH:.1f}x: {verdict}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="timed scans per case (default 7)")
    parser.add_argument("--repo-harden-bin", type=Path, help="folder of the repo-harden to time")
    parser.add_argument("--case", action="append", default=[], help="only this case (repeatable)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    args = parser.parse_args()
    cases = [case for case in CASES if not args.case or case.name in args.case]
    if not cases or shutil.which("git") is None:
        print("bench_monorepo: no such case, or git is not on PATH", file=sys.stderr)
        return 2
    command = (
        [str(args.repo_harden_bin / "repo-harden")]
        if args.repo_harden_bin
        else [sys.executable, "-m", "repo_harden"]
    )
    with tempfile.TemporaryDirectory(prefix="bench-monorepo-") as temp:
        try:
            results = [measure(case, command, Path(temp), args.runs) for case in cases]
        except GitError as error:
            print(f"bench_monorepo: {error}", file=sys.stderr)
            return 2
    if args.json:
        print(json.dumps([asdict(result) for result in results], indent=2))
    else:
        report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
