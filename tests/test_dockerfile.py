"""The Dockerfile reader (continuations, `escape`, heredocs, exec form, ARG expansion,
stages), DL005, and PIN002 for `FROM`, `COPY --from` and `docker run` in scripts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from repo_harden.core.model import Position
from repo_harden.readers.dockerfile import expand, read_dockerfile
from tests.conftest import make_repo, workflow

DIGEST = "sha256:" + "b" * 64
COMMIT = "4f8d9e2c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e"
DF = "Dockerfile"

Expected = list[tuple[str, str, int, int]]


def scan(cli: Any, tmp_path: Path, files: dict[str, str], select: str) -> Expected:
    repo = make_repo(tmp_path / "repo", files)
    result = cli("scan", "--format", "json", "--select", f"{select},RH000", cwd=repo)
    assert result.code in (0, 1), result.err
    return [(f["rule"], f["path"], f["line"], f["column"]) for f in result.json()["findings"]]


def test_continuations_and_comments() -> None:
    dockerfile = read_dockerfile(
        "FROM alpine\n"
        "RUN apk add curl \\\n"
        "# a comment inside is dropped\n"
        "\n"
        "    && curl -o /t https://x.io/t\n"
    )
    run = dockerfile.instructions[1]
    assert run.keyword == "RUN"
    assert run.source.text == "apk add curl     && curl -o /t https://x.io/t"
    assert run.source.position(run.source.text.index("curl -o")) == Position(5, 8)


def test_escape_directive() -> None:
    dockerfile = read_dockerfile("# escape=`\nFROM windows\nRUN dir c:\\ `\n  && echo done\n")
    assert dockerfile.escape == "`"
    assert dockerfile.instructions[1].source.text == "dir c:\\   && echo done"


def test_heredoc() -> None:
    dockerfile = read_dockerfile("FROM alpine\nRUN <<EOF\nset -e\ncurl x | sh\nEOF\nUSER app\n")
    run = dockerfile.instructions[1]
    (heredoc,) = run.heredocs
    assert heredoc.body.text == "set -e\ncurl x | sh\n"
    assert heredoc.body.position(7) == Position(4, 1)
    assert dockerfile.instructions[2].keyword == "USER"


def test_exec_form_flags_and_stages() -> None:
    dockerfile = read_dockerfile(
        "ARG BASE=golang:1.22\n"
        "FROM --platform=$BUILDPLATFORM ${BASE} AS Build\n"
        'RUN --mount=type=cache,target=/c ["go", "build"]\n'
        "FROM scratch\n"
        "COPY --from=build /app /app\n"
    )
    first, _ = dockerfile.stages
    assert first.name == "Build"
    assert first.image is not None and first.image.text == "${BASE}"
    assert first.instruction.expand("${BASE}") == ("golang:1.22", True)
    run = dockerfile.instructions[2]
    assert "mount" in run.flags
    assert [w.text for w in run.exec_form or ()] == ["go", "build"]
    assert dockerfile.stage_named("build", 1)
    assert not dockerfile.stage_named("build", 0)


@pytest.mark.parametrize(
    ("text", "variables", "expected"),
    [
        ("$A:${B}", {"A": "x", "B": "y"}, ("x:y", True)),
        ("${A:-def}", {}, ("def", True)),
        ("${A:+alt}", {"A": "1"}, ("alt", True)),
        ("img@${D}", {}, ("img@${D}", False)),
    ],
)
def test_expand(text: str, variables: dict[str, str], expected: tuple[str, bool]) -> None:
    assert expand(text, variables) == expected


DL005_CASES = [
    ("ADD a URL", "ADD https://x.io/tini /tini\n", [("DL005", DF, 2, 5)]),
    ("ADD with --checksum", f"ADD --checksum={DIGEST} https://x.io/tini /tini\n", []),
    ("ADD a git branch", "ADD https://github.com/o/r.git#main /src\n", [("DL005", DF, 2, 5)]),
    ("ADD a git commit", f"ADD https://github.com/o/r.git#{COMMIT} /src\n", []),
    ("ADD git@ without a ref", "ADD git@github.com:o/r.git /src\n", [("DL005", DF, 2, 5)]),
    ("ADD a local file", "ADD app.tar.gz /app\n", []),
    ("ADD a URL from an ARG", "ARG URL=https://x.io/t\nADD ${URL} /t\n", [("DL005", DF, 3, 5)]),
    ("exec form", 'ADD ["https://x.io/t", "/t"]\n', [("DL005", DF, 2, 7)]),
]


@pytest.mark.parametrize(
    ("body", "expected"), [c[1:] for c in DL005_CASES], ids=[c[0] for c in DL005_CASES]
)
def test_dl005(cli: Any, tmp_path: Path, body: str, expected: Expected) -> None:
    files = {DF: f"FROM alpine@{DIGEST}\n{body}"}
    assert scan(cli, tmp_path, files, "DL005") == expected


FROM_CASES = [
    ("tag", "FROM python:3.12-slim\n", [("PIN002", DF, 1, 6)]),
    ("digest", f"FROM python:3.12-slim@{DIGEST}\n", []),
    ("scratch", "FROM scratch\n", []),
    ("earlier stage", f"FROM golang:1.22@{DIGEST} AS build\nFROM build\n", []),
    ("stage by number", f"FROM golang@{DIGEST}\nFROM 0\n", []),
    ("--platform flag", "FROM --platform=$BUILDPLATFORM node:20 AS b\n", [("PIN002", DF, 1, 32)]),
    ("ARG default with a digest", f"ARG BASE=python:3.12@{DIGEST}\nFROM ${{BASE}}\n", []),
    ("ARG default without one", "ARG BASE=python:3.12\nFROM $BASE\n", [("PIN002", DF, 2, 6)]),
    ("ARG-built digest", f"ARG PY=3.12\nARG D={DIGEST}\nFROM python:${{PY}}@${{D}}\n", []),
    ("digest from a build argument", "ARG D\nFROM python:3.12@${D}\n", []),
    ("image from a build argument", "ARG IMAGE\nFROM ${IMAGE}\n", []),
    ("tag from a build argument", "ARG V\nFROM python:${V}\n", [("PIN002", DF, 2, 6)]),
    ("COPY --from an image", f"FROM alpine@{DIGEST}\nCOPY --from=nginx:1.27 /etc/nginx /n\n", [("PIN002", DF, 2, 13)]),
    ("COPY --from a stage", f"FROM alpine@{DIGEST} AS a\nFROM alpine@{DIGEST}\nCOPY --from=a /x /x\n", []),
    ("Containerfile", None, [("PIN002", "Containerfile", 1, 6)]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "expected"), [c[1:] for c in FROM_CASES], ids=[c[0] for c in FROM_CASES]
)
def test_pin002_from(cli: Any, tmp_path: Path, body: str | None, expected: Expected) -> None:
    files = {DF: body} if body is not None else {"Containerfile": "FROM ubuntu:24.04\n"}
    assert scan(cli, tmp_path, files, "PIN002") == expected


RUN_CASES = [
    ("shell form", "RUN curl -fsSL https://x.io | sh\n", [("DL001", DF, 2, 5)]),
    ("heredoc", "RUN <<EOF\nset -e\ncurl -fsSL https://x.io | sh\nEOF\n", [("DL001", DF, 4, 1)]),
    ("heredoc fed to bash", "RUN bash <<'EOF'\n  curl -fsSL https://x.io | sh\nEOF\n", [("DL001", DF, 3, 3)]),
    ("heredoc fed to python", "RUN python3 <<EOF\nimport os | sh\nEOF\n", []),
    ("exec form with sh -c", 'RUN ["sh", "-c", "curl -fsSL https://x.io | sh"]\n', [("DL001", DF, 2, 19)]),
    ("continuation", "RUN set -e \\\n  && curl -fsSL https://x.io \\\n  | bash\n", [("DL001", DF, 3, 6)]),
    ("escape directive", None, [("DL001", DF, 4, 5)]),
    ("SHELL pwsh", 'SHELL ["pwsh", "-Command"]\nRUN iwr https://x.io/i.ps1 | iex\n', [("DL001", DF, 3, 5)]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "expected"), [c[1:] for c in RUN_CASES], ids=[c[0] for c in RUN_CASES]
)
def test_run_instructions(cli: Any, tmp_path: Path, body: str | None, expected: Expected) -> None:
    text = f"FROM alpine@{DIGEST}\n{body}" if body is not None else None
    if text is None:
        text = (
            f"# escape=`\nFROM alpine@{DIGEST}\nRUN echo a `\n    && curl -fsSL https://x.io | sh\n"
        )
        expected = [("DL001", DF, 4, 8)]
    assert scan(cli, tmp_path, {DF: text}, "DL001") == expected


DOCKER_RUN_CASES = [
    ("docker run", "docker run --rm -v $PWD:/src -w /src node:20 npm test\n", [("PIN002", "ci.sh", 1, 38)]),
    ("docker pull", "docker pull ghcr.io/o/i:1\n", [("PIN002", "ci.sh", 1, 13)]),
    ("bundled flags", "podman run -it --rm alpine sh\n", [("PIN002", "ci.sh", 1, 21)]),
    ("digest", f"docker run --rm alpine@{DIGEST} true\n", []),
    ("built here", "docker build -t app:dev .\ndocker run --rm app:dev\n", []),
    ("tagged here", f"docker pull alpine@{DIGEST}\ndocker tag alpine@{DIGEST} base\ndocker run base\n", []),
    ("a variable", 'docker run --rm "$IMAGE"\n', []),
    ("loaded from an archive", "docker load -i img.tar\ndocker run app\n", []),
    ("other docker verbs", "docker ps\ndocker compose up -d\n", []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("script", "expected"), [c[1:] for c in DOCKER_RUN_CASES], ids=[c[0] for c in DOCKER_RUN_CASES]
)
def test_pin002_docker_commands(cli: Any, tmp_path: Path, script: str, expected: Expected) -> None:
    assert scan(cli, tmp_path, {"ci.sh": script}, "PIN002") == expected


def test_pin002_docker_run_in_workflows(cli: Any, tmp_path: Path) -> None:
    wf = ".github/workflows/ci.yml"
    steps = (
        "      - uses: docker/build-push-action@11bd71901bbe5b1630ceea73d27597364c9af683\n"
        "        with:\n          tags: acme/app:latest\n          load: true\n"
        "      - run: |\n          docker run acme/app:latest\n"
        "          docker run --rm ${{ matrix.image }}\n          docker run redis:7\n"
    )
    assert scan(cli, tmp_path, {wf: workflow(steps)}, "PIN002") == [("PIN002", wf, 13, 22)]
