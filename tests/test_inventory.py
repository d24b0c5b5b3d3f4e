"""The inventory, in memory: what each kind of file yields, the repository's own actions
followed, the transitive reading through a source of other repositories' files, and the
queries. (`tests/test_inventory_cli.py` runs the command, on checkouts and against the
fake GitHub.)"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import pytest

from repo_harden.core.advisory import PackageVersion
from repo_harden.core.errors import UsageError
from repo_harden.core.parsed import ParsedFiles
from repo_harden.core.snapshot import RepoSettings
from repo_harden.ecosystems import registry
from repo_harden.engine.records import AUDITED, RepositoryStatus
from repo_harden.inventory.extract import inventory_of, kinds_in
from repo_harden.inventory.model import FOLLOWED_HOLD_KINDS, Inventory, Item
from repo_harden.inventory.purl import package_purl, parse_package_query, purl_of
from repo_harden.inventory.query import build_query
from repo_harden.inventory.runs import Downloaded, downloads_in_log, parse_window
from repo_harden.inventory.transitive import FileAt, Follower, NotRead, RefName
from repo_harden.reporters.inventory import InventoryReport
from repo_harden.sources.memory import MemoryRepo
from tests.rule_tables import scan_files

DIGEST = "sha256:" + "ab" * 32
SHA = "0e58ed8671d6b60d0890c21b07f8835ace038e67"
DEPLOY_SHA = "1" * 40
SHARED_SHA = "2" * 40

CI = """\
name: CI
on:
  push:
  pull_request_target:
    types: [opened]
jobs:
  build:
    runs-on: ubuntu-latest
    container: node:18-alpine
    services:
      db:
        image: postgres@sha256:{digest}
    steps:
      - uses: actions/checkout@v4
      - uses: tj-actions/changed-files@{sha}
      - uses: docker://alpine:3.19
      - uses: ./.github/actions/setup
      - run: |
          curl -fsSLo tool.tgz https://get.example.com/tool-1.2.tgz
          echo "abc  tool.tgz" | sha256sum -c -
          curl -fsSL https://get.example.com/install.sh | bash
  deploy:
    uses: org/shared/.github/workflows/deploy.yml@{shared}
""".format(digest="ab" * 32, sha=SHA, shared=SHARED_SHA)

LOCAL_ACTION = """\
runs:
  using: composite
  steps:
    - uses: actions/cache@v4
"""


def items(files: Mapping[str, str]) -> list[Item]:
    return inventory_of(MemoryRepo(files)).items


def summary(
    found: list[Item],
) -> list[tuple[str, str, int | None, str, str | None, tuple[str, ...]]]:
    return [(i.kind, i.path, i.line, i.name, i.ref or i.version, i.via) for i in found]


def test_a_workflow_names_actions_workflows_images_and_downloads() -> None:
    found = items(
        {".github/workflows/ci.yml": CI, ".github/actions/setup/action.yml": LOCAL_ACTION}
    )
    ci = ".github/workflows/ci.yml"
    assert summary(found) == [
        ("action", ".github/actions/setup/action.yml", 4, "actions/cache", "v4", ()),
        ("image", ci, 9, "node", "18-alpine", ()),
        ("image", ci, 12, "postgres", None, ()),
        ("action", ci, 14, "actions/checkout", "v4", ()),
        ("action", ci, 15, "tj-actions/changed-files", SHA, ()),
        ("image", ci, 16, "alpine", "3.19", ()),
        ("action", ci, 17, "actions/cache", "v4", ("./.github/actions/setup",)),
        ("download", ci, 19, "https://get.example.com/tool-1.2.tgz", None, ()),
        ("download", ci, 21, "https://get.example.com/install.sh", None, ()),
        ("reusable-workflow", ci, 23, "org/shared/.github/workflows/deploy.yml", SHARED_SHA, ()),
    ]
    by_line = {item.line: item for item in found if item.path == ci}
    assert by_line[14].job == "build" and by_line[14].triggers == ("pull_request_target", "push")
    assert by_line[15].sha == SHA and by_line[14].sha is None  # pinned, or not known yet
    assert by_line[12].digest == DIGEST
    assert by_line[19].verified is True  # checked with sha256sum -c
    assert by_line[21].verified is False  # piped into bash
    assert by_line[23].job == "deploy"


def test_dockerfiles_compose_files_scripts_and_pre_commit_hooks() -> None:
    found = items(
        {
            "Dockerfile": (
                f"FROM python:3.12@{DIGEST} AS build\nFROM build\n"
                "ADD https://example.com/a.tgz /a\n"
                "ADD --checksum=sha256:" + "cd" * 32 + " https://example.com/b.tgz /b\n"
                "RUN docker run --rm redis:7 true\n"
            ),
            "compose.yaml": "services:\n  web:\n    image: nginx:1.27\n  app:\n    build: .\n",
            "scripts/pull.sh": "#!/bin/sh\ndocker pull ghcr.io/acme/app:2.0\n",
            ".pre-commit-config.yaml": (
                "repos:\n  - repo: https://github.com/pre-commit/pre-commit-hooks\n"
                "    rev: v4.6.0\n  - repo: local\n    hooks: []\n"
            ),
        }
    )
    assert summary(found) == [
        ("pre-commit-hook", ".pre-commit-config.yaml", 2,
         "https://github.com/pre-commit/pre-commit-hooks", "v4.6.0", ()),
        ("image", "Dockerfile", 1, "python", "3.12", ()),
        ("download", "Dockerfile", 3, "https://example.com/a.tgz", None, ()),
        ("download", "Dockerfile", 4, "https://example.com/b.tgz", None, ()),
        ("image", "Dockerfile", 5, "redis", "7", ()),
        ("image", "compose.yaml", 3, "nginx", "1.27", ()),
        ("image", "scripts/pull.sh", 2, "ghcr.io/acme/app", "2.0", ()),
    ]  # fmt: skip
    assert [i.verified for i in found if i.kind == "download"] == [False, True]
    assert found[1].digest == DIGEST


LOCKFILES = {
    "package-lock.json": (
        '{"name": "a", "lockfileVersion": 3, "packages": {"": {"name": "a"},\n'
        '  "node_modules/left-pad": {"version": "1.3.0",\n'
        '    "resolved": "https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz"},\n'
        '  "node_modules/b/node_modules/@s/c": {"version": "2.0.0"},\n'
        '  "node_modules/d": {"version": "1.0.0", "resolved": "git+ssh://git@github.com/x/d.git"},\n'
        '  "packages/w": {"version": "0.0.1"},\n'
        '  "node_modules/w": {"resolved": "packages/w", "link": true}}}\n'
    ),
    "web/pnpm-lock.yaml": (
        "lockfileVersion: '9.0'\n\nimporters:\n  .:\n    dependencies:\n      left-pad:\n"
        "        specifier: ^1.3.0\n        version: 1.3.0\n\npackages:\n\n"
        "  left-pad@1.3.0:\n    resolution: {integrity: sha512-x}\n\n"
        "  '@s/c@2.0.0(react@18.2.0)':\n    resolution: {integrity: sha512-y}\n"
    ),
    "py/uv.lock": (
        'version = 1\n\n[[package]]\nname = "requests"\nversion = "2.31.0"\n'
        'source = { registry = "https://pypi.org/simple" }\n\n'
        '[[package]]\nname = "app"\nversion = "0.1.0"\nsource = { editable = "." }\n'
    ),
    "legacy/poetry.lock": (
        '[[package]]\nname = "Requests"\nversion = "2.32.3"\ndescription = ""\n'
        'optional = false\npython-versions = ">=3.8"\nfiles = []\n\n'
        '[metadata]\nlock-version = "2.0"\n'
    ),
}


def test_locked_packages_of_npm_pnpm_uv_and_poetry() -> None:
    found = [(i.path, i.line, i.name, i.version, purl_of(i)) for i in items(LOCKFILES)]
    assert found == [
        ("legacy/poetry.lock", 1, "requests", "2.32.3", "pkg:pypi/requests@2.32.3"),
        ("package-lock.json", 2, "left-pad", "1.3.0", "pkg:npm/left-pad@1.3.0"),
        ("package-lock.json", 4, "@s/c", "2.0.0", "pkg:npm/%40s/c@2.0.0"),
        ("py/uv.lock", 3, "requests", "2.31.0", "pkg:pypi/requests@2.31.0"),
        ("web/pnpm-lock.yaml", 12, "left-pad", "1.3.0", "pkg:npm/left-pad@1.3.0"),
        ("web/pnpm-lock.yaml", 15, "@s/c", "2.0.0", "pkg:npm/%40s/c@2.0.0"),
    ]


# pip requirements: what `==` or `===` pins (LCK006's "locked Python dependencies"), in the
# files the checks read and the files they include; ranges, URLs and compiler inputs are not
REQUIREMENTS = {
    "requirements.txt": "-r base.txt\nflask>=2.0\njinja2==2.10 \\\n    --hash=sha256:ab\n",
    "base.txt": "-c constraints.txt\nrequests===2.31.0\ngit+https://x.example/y@v1#egg=y\n",
    "constraints.txt": "urllib3==2.2.2\nidna==3.*\n",
    "dev-requirements.txt": "-r base.txt\npytest==8.3.2\n",
    "requirements.in": "jinja2\n",
}


def test_pinned_requirements_are_locked_packages() -> None:
    found = [(i.path, i.line, i.name, i.version, purl_of(i)) for i in items(REQUIREMENTS)]
    assert found == [
        ("base.txt", 2, "requests", "2.31.0", "pkg:pypi/requests@2.31.0"),
        ("constraints.txt", 1, "urllib3", "2.2.2", "pkg:pypi/urllib3@2.2.2"),
        ("dev-requirements.txt", 2, "pytest", "8.3.2", "pkg:pypi/pytest@8.3.2"),
        ("requirements.txt", 3, "jinja2", "2.10", "pkg:pypi/jinja2@2.10"),
    ]  # base.txt and constraints.txt once, though two files include them
    query = build_query(package=["pkg:pypi/jinja2<2.11"])
    assert [i.path for i in items(REQUIREMENTS) if query.matches(i)] == ["requirements.txt"]


def test_requirements_that_include_each_other_in_a_ring_are_each_read_once() -> None:
    """A hostile repository's `-r` ring (and a file that includes itself), 300 files long:
    the walk ends, and each pin is listed once."""
    size = 300
    ring = {
        f"requirements-{n}.txt": f"-r requirements-{(n + 1) % size}.txt\n"
        f"-r requirements-{n}.txt\npkg{n}==1.0.{n}\n"
        for n in range(size)
    }
    found = [(i.path, i.name) for i in items(ring)]
    assert sorted(found) == sorted((f"requirements-{n}.txt", f"pkg{n}") for n in range(size))


class _AskedAdvisories:
    """An advisory source that remembers what LCK006 asked it, and knows of nothing."""

    def __init__(self) -> None:
        self.asked: set[tuple[str, str]] = set()

    def advisories(self, packages: Collection[PackageVersion]) -> dict[PackageVersion, tuple[()]]:
        self.asked |= {(package.name, package.version) for package in packages}
        return dict.fromkeys(packages, ())


def test_the_inventory_lists_the_python_packages_lck006_looks_up() -> None:
    files = {**REQUIREMENTS, **LOCKFILES}
    source = _AskedAdvisories()
    assert scan_files(files, select=["LCK006"], settings=RepoSettings(advisories=source)) == []
    listed = {(i.name, i.version) for i in items(files) if i.ecosystem == "pypi"}
    assert listed == source.asked and ("jinja2", "2.10") in listed


def test_an_action_not_followed_leaves_only_what_an_action_can_hold_unknown() -> None:
    files = {".github/workflows/ci.yml": CI, "requirements.txt": "jinja2==2.10\n"}
    inventories = {"acme/api": inventory_of(MemoryRepo(files))}
    Follower(FakeFiles({}, {}), 10).follow(inventories)
    assert any("not followed" in u.what for u in inventories["acme/api"].unread)

    def answer(**query: list[str]) -> str | None:
        status = RepositoryStatus("acme/api", AUDITED, None)
        report = InventoryReport(inventories, [status], build_query(**query))
        return report.answers()[0].answer

    assert answer(package=["pkg:pypi/jinja2<2.11"]) == "affected"
    assert answer(package=["pkg:pypi/jinja2<2.0"]) == "not-affected"
    assert answer(package=["pkg:npm/left-pad@1.3.0"]) == "not-affected"
    # an action it did not follow may use these, so they stay unknown
    assert answer(uses=["evil/*"]) == "unknown"
    assert answer(image=["alpine:9"]) == "unknown"
    assert answer(url=["https://elsewhere.example/*"]) == "unknown"


def test_what_a_followed_file_can_hold_is_what_an_unfollowed_one_leaves_unknown() -> None:
    for path in ("action.yml", "a/action.yaml", ".github/workflows/deploy.yml"):
        assert set(kinds_in(path)) <= set(FOLLOWED_HOLD_KINDS), path


# Each ecosystem's locked packages, read directly: (file name, text, [(name, version, line)])
LOCKED = [
    ("package-lock.json",
     '{"lockfileVersion": 1, "dependencies": {"a": {"version": "1.0.0", "dependencies": '
     '{"b": {"version": "2.0.0"}}}, "c": {"version": "file:../c"}}}',
     [("a", "1.0.0", 1), ("b", "2.0.0", None)]),
    ("pnpm-lock.yaml",
     "lockfileVersion: 5.4\npackages:\n  /a/1.0.0:\n    dev: false\n  /@s/b/2.0.0_c@1.0.0:\n"
     "    dev: true\n  github.com/x/y/abc:\n    name: y\n",
     [("a", "1.0.0", 3), ("@s/b", "2.0.0", 5)]),
    ("pnpm-lock.yaml",
     "lockfileVersion: '6.0'\npackages:\n\n  /a@1.0.0:\n    dev: false\n"
     "  /b@2.0.0(c@1.0.0):\n    dev: true\n",
     [("a", "1.0.0", 4), ("b", "2.0.0", 6)]),
    ("yarn.lock",
     '# yarn lockfile v1\n\n\n"@s/a@^1.0.0", "@s/a@^1.1.0":\n  version "1.2.0"\n'
     '  resolved "https://registry.yarnpkg.com/@s/a/-/a-1.2.0.tgz"\n\n'
     'b@github:x/b:\n  version "0.1.0"\n',
     [("@s/a", "1.2.0", 4)]),
    ("yarn.lock",
     '__metadata:\n  version: 8\n\n"left-pad@npm:^1.3.0":\n  version: 1.3.0\n'
     '  resolution: "left-pad@npm:1.3.0"\n\n"app@workspace:.":\n  version: 0.0.0-use.local\n'
     '  resolution: "app@workspace:."\n',
     [("left-pad", "1.3.0", 4)]),
    ("Cargo.lock",
     'version = 3\n\n[[package]]\nname = "serde_json"\nversion = "1.0.1"\n'
     'source = "registry+https://github.com/rust-lang/crates.io-index"\n\n'
     '[[package]]\nname = "app"\nversion = "0.1.0"\n',
     [("serde_json", "1.0.1", 3)]),
    ("go.sum",
     "github.com/a/b v1.2.3 h1:x=\ngithub.com/a/b v1.2.3/go.mod h1:y=\n"
     "golang.org/x/c v0.1.0/go.mod h1:z=\n",
     [("github.com/a/b", "v1.2.3", 1)]),
    ("composer.lock",
     '{\n  "packages": [\n    {\n      "name": "Monolog/Monolog",\n      "version": "3.5.0",\n'
     '      "require": {"psr/log": "^3"}\n    },\n    {\n      "name": "psr/log",\n'
     '      "version": "3.0.0"\n    }\n  ],\n  "packages-dev": []\n}\n',
     [("monolog/monolog", "3.5.0", 4), ("psr/log", "3.0.0", 9)]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "text", "expected"), LOCKED)
def test_locked_packages_of_each_ecosystem(
    name: str, text: str, expected: list[tuple[str, str, int | None]]
) -> None:
    ecosystem = registry.for_lockfile(name)
    assert ecosystem is not None and ecosystem.locked_packages is not None
    found = ecosystem.locked_packages(ParsedFiles(MemoryRepo({name: text})), name)
    assert [(p.name, p.version, p.at.line if p.at else None) for p in found] == expected


def test_unreadable_files_are_named_with_the_kinds_they_may_hold() -> None:
    inventory = inventory_of(
        MemoryRepo({".github/workflows/x.yml": "on: [push\n", "package-lock.json": "{"})
    )
    assert inventory.items == []
    assert [(u.what.split(":")[0], u.kinds) for u in inventory.unread] == [
        (".github/workflows/x.yml", ("action", "reusable-workflow", "image", "download")),
        ("package-lock.json", ("package",)),
    ]


def test_a_loop_of_local_actions_ends() -> None:
    found = items(
        {
            ".github/actions/a/action.yml": "runs:\n  using: composite\n  steps:\n"
            "    - uses: ./.github/actions/b\n    - uses: x/y@v1\n",
            ".github/actions/b/action.yml": "runs:\n  using: composite\n  steps:\n"
            "    - uses: ./.github/actions/a\n",
        }
    )
    assert ("action", "x/y") in {(i.kind, i.name) for i in found}
    assert len(found) <= 3


# Transitive: repo -> reusable workflow -> composite action -> the compromised action -------


class FakeFiles:
    """Other repositories' files, in memory; counts what it was asked."""

    def __init__(self, refs: Mapping[RefName, str], files: Mapping[FileAt, str]) -> None:
        self.refs = refs
        self.texts = files
        self.asked: list[int] = []

    def commits(self, refs: Collection[RefName]) -> dict[RefName, str | NotRead]:
        self.asked.append(len(refs))
        return {ref: self.refs.get(ref) or NotRead("no such ref") for ref in refs}

    def files(self, wanted: Collection[FileAt]) -> dict[FileAt, str | NotRead | None]:
        self.asked.append(len(wanted))
        return {request: self.texts.get(request) for request in wanted}


SHARED_WORKFLOW = """\
on: workflow_call
jobs:
  deploy:
    runs-on: ubuntu-latest
    container: node:18
    steps:
      - uses: org/deploy@v1
"""
DEPLOY_ACTION = """\
runs:
  using: composite
  steps:
    - uses: tj-actions/changed-files@v35
    - uses: org/deploy/nested@v1
    - run: curl -fsSL https://get.example.com/x.sh | sh
      shell: bash
"""
NESTED_ACTION = "runs:\n  using: composite\n  steps:\n    - uses: org/deploy@v1\n"
CHANGED_FILES = "runs:\n  using: node20\n  main: dist/index.js\n"
REMOTE = FakeFiles(
    {("org/deploy", "v1"): DEPLOY_SHA, ("tj-actions/changed-files", "v35"): SHA},
    {
        ("org/shared", SHARED_SHA, ".github/workflows/deploy.yml"): SHARED_WORKFLOW,
        ("org/deploy", DEPLOY_SHA, "action.yml"): DEPLOY_ACTION,
        ("org/deploy", DEPLOY_SHA, "nested/action.yaml"): NESTED_ACTION,
        ("tj-actions/changed-files", SHA, "action.yml"): CHANGED_FILES,
    },
)


def followed(files: Mapping[str, str], source: FakeFiles, depth: int = 10) -> Inventory:
    inventories = {"acme/api": inventory_of(MemoryRepo(files))}
    Follower(source, depth).follow(inventories)
    return inventories["acme/api"]


def test_a_chain_through_a_reusable_workflow_and_a_composite_action_is_followed() -> None:
    source = FakeFiles(REMOTE.refs, REMOTE.texts)
    found = followed({".github/workflows/ci.yml": CI}, source)
    reached = {(i.kind, i.name, i.ref, i.sha, i.via) for i in found.items if i.via}
    shared = f"org/shared/.github/workflows/deploy.yml@{SHARED_SHA}"
    assert ("action", "tj-actions/changed-files", "v35", SHA, (shared, "org/deploy@v1")) in reached
    assert ("image", "node", "18", None, (shared,)) in reached
    assert (
        "download",
        "https://get.example.com/x.sh",
        None,
        None,
        (shared, "org/deploy@v1"),
    ) in reached
    # the loop org/deploy -> org/deploy/nested -> org/deploy stops
    nested = [i for i in found.items if i.via and i.via[-1] == "org/deploy/nested@v1"]
    assert [(i.name, i.via) for i in nested] == [
        ("org/deploy", (shared, "org/deploy@v1", "org/deploy/nested@v1"))
    ]
    chain = next(i for i in found.items if i.name == "tj-actions/changed-files" and i.via)
    assert (chain.path, chain.line, chain.job) == (".github/workflows/ci.yml", 23, "deploy")
    query = build_query(uses=["tj-actions/changed-files@v35"])
    assert [i.via for i in found.items if query.matches(i)] == [(shared, "org/deploy@v1")]
    # actions/checkout@v4 is not known to the source: named as not followed
    assert any("actions/checkout@v4: not followed (no such ref)" in u.what for u in found.unread)


def test_each_file_is_read_once_in_batches_a_level_at_a_time() -> None:
    source = FakeFiles(REMOTE.refs, REMOTE.texts)
    inventories = {
        f"acme/r{n}": inventory_of(MemoryRepo({".github/workflows/ci.yml": CI})) for n in range(5)
    }
    Follower(source, 10).follow(inventories)
    assert len(source.asked) <= 10  # batches, whatever the number of repositories
    assert all(
        any(i.name == "tj-actions/changed-files" and i.via for i in inventory.items)
        for inventory in inventories.values()
    )


def test_depth_bounds_the_chain_and_says_so() -> None:
    source = FakeFiles(REMOTE.refs, REMOTE.texts)
    found = followed({".github/workflows/ci.yml": CI}, source, depth=1)
    assert not any(i.name == "tj-actions/changed-files" and i.via for i in found.items)
    assert any("deeper than 1 levels" in u.what for u in found.unread)


# Queries -------------------------------------------------------------------------------

QUERY_ITEMS = [
    Item("action", "w.yml", 1, "tj-actions/changed-files", "v35", sha=SHA),
    Item("action", "w.yml", 2, "github/codeql-action/upload-sarif", "v3"),
    Item("pre-commit-hook", ".pre-commit-config.yaml", 2, "https://github.com/tj-actions/changed-files", "v1"),
    Item("image", "Dockerfile", 1, "node", "18-alpine"),
    Item("image", "Dockerfile", 2, "docker.io/library/node", "20", digest=DIGEST),
    Item("image", "Dockerfile", 3, "ghcr.io/acme/app", None, digest=DIGEST),
    Item("package", "package-lock.json", 2, "left-pad", version="1.3.0", ecosystem="npm"),
    Item("package", "uv.lock", 3, "requests", version="2.31.0", ecosystem="pypi"),
    Item("package", "poetry.lock", 3, "requests", version="2.32.3", ecosystem="pypi"),
    Item("download", "x.sh", 1, "https://get.example.com/tool.sh"),
]  # fmt: skip

QUERIES = [
    ({"uses": ["tj-actions/changed-files"]}, [1, 3]),
    ({"uses": ["tj-actions/changed-files@v35"]}, [1]),
    ({"uses": [f"*@{SHA}"]}, [1]),
    ({"uses": ["TJ-Actions/*"]}, [1, 3]),
    ({"uses": ["github/codeql-action"]}, [2]),
    ({"image": ["node:18*"]}, [4]),
    ({"image": ["node"]}, [4, 5]),
    ({"image": [f"@{DIGEST}"]}, [5, 6]),
    ({"image": ["ghcr.io/acme/*"]}, [6]),
    ({"package": ["pkg:npm/left-pad@1.3.0"]}, [7]),
    ({"package": ["pkg:npm/left-pad@>=1.0.0 <1.3.0"]}, []),
    ({"package": ["pkg:pypi/requests<2.32"]}, [8]),
    ({"package": ["pkg:pypi/Requests"]}, [8, 9]),
    ({"url": ["https://get.example.com/*"]}, [10]),
    ({"uses": ["a/b"], "url": ["*tool*"]}, [10]),
]


@pytest.mark.parametrize(("asked", "expected"), QUERIES)
def test_queries(asked: dict[str, list[str]], expected: list[int]) -> None:
    query = build_query(**asked)
    assert [n for n, item in enumerate(QUERY_ITEMS, 1) if query.matches(item)] == expected


@pytest.mark.parametrize(
    "asked",
    [
        {"package": ["left-pad@1.3.0"]},
        {"package": ["pkg:pypi/requests@not a version!"]},
        {"package": ["pkg:golang/x@v1 || v2 ~~"]},
        {"package": ["pkg:hackage/x@>1"]},
        {"uses": ["@v1"]},
        {"image": [""]},
    ],
)
def test_a_query_that_cannot_be_read_says_why(asked: dict[str, list[str]]) -> None:
    with pytest.raises(ValueError, match=r"--|package URL"):
        build_query(**asked)


def test_package_urls() -> None:
    assert package_purl("golang", "github.com/a/b", "v1.2.3") == "pkg:golang/github.com/a/b@v1.2.3"
    assert package_purl("pypi", "Zope_Interface", "6.0") == "pkg:pypi/zope-interface@6.0"
    assert parse_package_query("pkg:npm/%40s/a@^1.2") == ("npm", "@s/a", "^1.2")
    assert parse_package_query("pkg:npm/@s/a@1.0.0") == ("npm", "@s/a", "1.0.0")
    assert parse_package_query("pkg:pypi/requests<2.32") == ("pypi", "requests", "<2.32")
    image = Item("image", "D", 1, "ghcr.io/acme/app", "2", digest=DIGEST)
    assert (
        purl_of(image) == f"pkg:docker/acme/app@sha256%3A{'ab' * 32}?repository_url=ghcr.io&tag=2"
    )


# Runs ----------------------------------------------------------------------------------


def test_a_log_shows_what_the_runner_downloaded() -> None:
    log = (
        "2025-03-14T10:00:01.0000000Z Prepare all required actions\n"
        f"2025-03-14T10:00:01.1000000Z Download action repository 'tj-actions/changed-files@v35' (SHA:{SHA.upper()})\n"
        "2025-03-14T10:00:01.2000000Z Download immutable action package 'actions/checkout@v4'\n"
        "2025-03-14T10:00:01.3000000Z   Version: 4.2.2\n"
        f"2025-03-14T10:00:01.4000000Z   Source commit SHA: {DEPLOY_SHA}\n"
    )
    assert downloads_in_log(log) == [
        Downloaded("tj-actions/changed-files", "v35", SHA),
        Downloaded("actions/checkout", "v4", DEPLOY_SHA),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-14..2025-03-15", ("2025-03-14", "2025-03-15")),
        ("2025-03-14T09:00:00Z..2025-03-15", ("2025-03-14T09:00:00Z", "2025-03-15")),
        ("2025-03-14", None),
        ("yesterday..today", None),
    ],
)
def test_the_window(text: str, expected: tuple[str, str] | None) -> None:
    if expected is None:
        with pytest.raises(UsageError, match="--ran-between"):
            parse_window(text)
    else:
        assert parse_window(text) == expected
