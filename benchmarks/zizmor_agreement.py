#!/usr/bin/env python3
"""Where repo-harden's WF rules and zizmor disagree, on the same workflow files.

Compares, file by file and line by line:

| zizmor audit            | repo-harden | matched on |
|-------------------------|-------------|------------|
| `template-injection`    | WF003       | the line of the expression |
| `excessive-permissions` | WF001       | the line (a job key, or a scope of `permissions:`) |
| `dangerous-triggers`    | WF002       | the file (zizmor marks the trigger, WF002 the checkout) |

and prints every finding one tool has and the other has not, with zizmor's confidence
and severity, so each can be read and explained. The inputs are the starter workflows
of `tests/corpus` (flattened into one `.github/workflows/`, as `bench_scan.py` does)
and, with `--cases`, the files of the WF rule tables in `tests/test_wf_rules.py`.

A script, not a test: it prints a report and fails only when it cannot run.

    python benchmarks/zizmor_agreement.py [--cases] [--persona regular|pedantic|auditor]
                                          [--repo-harden EXE] [--zizmor EXE] [--json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from fixture_git import commit_all  # noqa: E402

CORPUS = PROJECT / "tests" / "corpus" / "starter-workflows"
PAIRS = {
    "template-injection": "WF003",
    "excessive-permissions": "WF001",
    "dangerous-triggers": "WF002",
}
BY_FILE = frozenset({"WF002"})


@dataclass(frozen=True)
class Found:
    tool: str
    rule: str  # the WF code it corresponds to
    path: str
    line: int
    detail: str


def main() -> int:
    args = parse_args()
    repo_harden = args.repo_harden or shutil.which("repo-harden")
    zizmor = args.zizmor or shutil.which("zizmor")
    if not repo_harden or not zizmor:
        sys.exit("zizmor_agreement: needs repo-harden and zizmor on PATH (pip install -e '.[dev]')")
    ours: list[Found] = []
    theirs: list[Found] = []
    for name, files in inputs(cases=args.cases):
        folder = Path(tempfile.mkdtemp(prefix="zizmor-agreement-"))
        try:
            for path, text in files.items():
                (folder / path).parent.mkdir(parents=True, exist_ok=True)
                (folder / path).write_text(text, encoding="utf-8")
            commit_all(folder)
            ours += [_named(f, name) for f in repo_harden_findings(repo_harden, folder)]
            theirs += [_named(f, name) for f in zizmor_findings(zizmor, folder, args.persona)]
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    only_ours, only_theirs, both = compare(ours, theirs)
    if args.json:
        print(json.dumps({"both": both, "only_repo_harden": [asdict(f) for f in only_ours],
                          "only_zizmor": [asdict(f) for f in only_theirs]}, indent=2))  # fmt: skip
        return 0
    report(ours, theirs, only_ours, only_theirs, both)
    return 0


def _named(found: Found, name: str) -> Found:
    return Found(found.tool, found.rule, f"{name}:{found.path}" if name else found.path,
                 found.line, found.detail)  # fmt: skip


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", action="store_true", help="add the WF rule tables' files")
    parser.add_argument("--persona", default="regular", choices=("regular", "pedantic", "auditor"))
    parser.add_argument("--repo-harden", help="the repo-harden executable")
    parser.add_argument("--zizmor", help="the zizmor executable")
    parser.add_argument("--json", action="store_true")
    return parser.parse_args()


def inputs(*, cases: bool) -> Iterator[tuple[str, dict[str, str]]]:
    """The repositories to compare on: the starter workflows in one, as
    `.github/workflows/<category>-<name>`; with `cases`, each table case in its own (a
    reusable workflow and its caller must stay one repository)."""
    corpus = {
        f".github/workflows/{source.parent.name}-{source.name}": source.read_text(encoding="utf-8")
        for source in sorted(CORPUS.rglob("*.y*ml"))
    }
    yield "", corpus
    if cases:
        yield from table_cases()


def table_cases() -> Iterator[tuple[str, dict[str, str]]]:
    from tests import test_wf_rules as tables

    for rule, cases in (("wf001", tables.WF001_CASES), ("wf002", tables.WF002_CASES),
                        ("wf003", tables.WF003_CASES)):  # fmt: skip
        for index, (_, files, _) in enumerate(cases):
            yield f"{rule}-{index:02d}", files


def repo_harden_findings(executable: str, folder: Path) -> Iterator[Found]:
    completed = subprocess.run(
        [executable, "scan", "--format", "json", "--select", "WF001,WF002,WF003"],
        cwd=folder, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if completed.returncode not in (0, 1):
        sys.exit(f"zizmor_agreement: repo-harden failed: {completed.stderr}")
    for finding in json.loads(completed.stdout)["findings"]:
        yield Found("repo-harden", finding["rule"], finding["path"], finding["line"] or 0,
                    f"{finding['severity']}: {finding['message'][:160]}")  # fmt: skip


def zizmor_findings(executable: str, folder: Path, persona: str) -> Iterator[Found]:
    completed = subprocess.run(
        [executable, "--offline", "--format", "json", "--persona", persona, "--no-progress", "."],
        cwd=folder, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if "no inputs collected" in completed.stderr:
        print(f"zizmor audits nothing in {folder.name}: no file it accepts", file=sys.stderr)
        return
    if completed.returncode not in (0, *range(10, 15)):
        sys.exit(f"zizmor_agreement: zizmor failed: {completed.stderr}")
    for finding in json.loads(completed.stdout):
        rule = PAIRS.get(finding["ident"])
        if rule is None:
            continue
        locations = finding["locations"]
        primary = next((x for x in locations if x["symbolic"]["kind"] == "Primary"), locations[0])
        path = primary["symbolic"]["key"]["Local"]["verbatim_path"].removeprefix("./")
        line = primary["concrete"]["location"]["start_point"]["row"] + 1
        confidence = finding["determinations"]["confidence"]
        severity = finding["determinations"]["severity"]
        detail = f"{confidence} confidence, {severity}: {primary['symbolic'].get('annotation')}"
        yield Found("zizmor", rule, path, line, detail)


def _key(found: Found) -> tuple[str, str, int]:
    """Where a finding is, as both tools can agree on it. A job that gets the default
    token is one problem, which zizmor may also mark at the workflow: matched by file."""
    default = "default permissions used" in found.detail or "sets no `permissions:`" in found.detail
    by_file = found.rule in BY_FILE or default
    return (found.rule + (" default" if default else ""), found.path, 0 if by_file else found.line)


def compare(ours: list[Found], theirs: list[Found]) -> tuple[list[Found], list[Found], int]:
    our_keys = {_key(f) for f in ours}
    their_keys = {_key(f) for f in theirs}
    only_ours = sorted((f for f in ours if _key(f) not in their_keys), key=_key)
    only_theirs = sorted((f for f in theirs if _key(f) not in our_keys), key=_key)
    return only_ours, only_theirs, len(our_keys & their_keys)


def report(
    ours: list[Found], theirs: list[Found], only_ours: list[Found], only_theirs: list[Found],
    both: int,
) -> None:  # fmt: skip
    print(f"repo-harden: {len(ours)} findings; zizmor: {len(theirs)}; agreeing places: {both}")
    for title, found in (("only repo-harden", only_ours), ("only zizmor", only_theirs)):
        print(f"\n{title} ({len(found)}):")
        for item in found:
            print(f"  {item.rule} {item.path}:{item.line}  {item.detail}")


if __name__ == "__main__":
    raise SystemExit(main())
