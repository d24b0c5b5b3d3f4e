"""DL001-DL004 and DL006: one table per rule, (name, files, expected findings), run through
the real CLI on a real git repository. Most inputs are a shell script, `install.sh`, so
that lines and columns read plainly; workflow cases check positions inside `run:`."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from repo_harden.core.globs import PathMatcher
from repo_harden.hooks.unpinned_downloads import main as hook_main
from repo_harden.readers.file_kinds import (
    DOCKERFILE_HOOK_REGEX,
    DOCKERFILE_PATTERNS,
    is_dockerfile_path,
)
from tests.conftest import CORPUS, make_repo, workflow
from tests.rule_tables import located, scan_files

SH = "install.sh"
WF = ".github/workflows/ci.yml"
SHA = "11bd71901bbe5b1630ceea73d27597364c9af683"
DIGEST = "a" * 64
ROOT = Path(__file__).resolve().parents[1]

Expected = list[tuple[str, str, int, int]]
Case = tuple[str, dict[str, str], Expected]


def scan(files: dict[str, str], select: str) -> Expected:
    return located(scan_files(files, select=[*select.split(","), "RH000"]))


def sh(text: str) -> dict[str, str]:
    return {SH: text + "\n"}


def run_step(script: str, *, extra: str = "") -> dict[str, str]:
    """A workflow whose one step runs `script` as a `run: |` block (first line is line 7)."""
    body = "".join(f"          {line}\n" for line in script.splitlines())
    return {WF: workflow(f"      - run: |\n{body}{extra}")}


def cases(table: list[Case]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize(
        ("files", "expected"), [c[1:] for c in table], ids=[c[0] for c in table]
    )


def at(rule: str, line: int, column: int, path: str = SH) -> tuple[str, str, int, int]:
    return (rule, path, line, column)


def pep723(*dependencies: str) -> str:
    """A script with an inline metadata block (PEP 723) naming `dependencies`."""
    listed = ", ".join(f'"{d}"' for d in dependencies)
    return f'# /// script\n# requires-python = ">=3.11"\n# dependencies = [{listed}]\n# ///\nprint(1)\n'


SCRIPT_UNPINNED = {"tools/report.py": pep723("requests>=2.31", "rich", "click==8.1.7")}
SCRIPT_PINNED = {
    "tools/report.py": pep723("requests==2.32.3", f"tool @ git+https://github.com/o/t@{SHA}")
}


DL001_CASES: list[Case] = [
    ("curl piped to sh", sh("curl -fsSL https://get.example.com | sh"), [at("DL001", 1, 1)]),
    ("wget to sudo bash -s", sh("wget -qO- https://x.io/i.sh | sudo bash -s -- -y"), [at("DL001", 1, 1)]),
    ("to python reading stdin", sh("curl -s https://x.io/get.py | python3 -"), [at("DL001", 1, 1)]),
    ("to perl", sh("curl -sL https://x.io/cpanm | perl - App::cpanminus"), [at("DL001", 1, 1)]),
    ("through another stage", sh("curl -s https://x.io/i.gz | gunzip | bash"), [at("DL001", 1, 1)]),
    ("bash /dev/stdin", sh("curl -s https://x.io/k.sh | bash /dev/stdin 3.8.6"), [at("DL001", 1, 1)]),
    ("process substitution", sh("bash <(curl -s https://x.io/i.sh)"), [at("DL001", 1, 1)]),
    ("source process substitution", sh("source <(curl -s https://x.io/env)"), [at("DL001", 1, 1)]),
    ("bash -c command substitution", sh('bash -c "$(curl -fsSL https://x.io/i.sh)"'), [at("DL001", 1, 1)]),
    ("eval command substitution", sh('eval "$(wget -qO- https://x.io/i.sh)"'), [at("DL001", 1, 1)]),
    ("here-string", sh('sh <<< "$(curl https://x.io/i.sh)"'), [at("DL001", 1, 1)]),
    ("URL in a variable", sh('curl -fsSL "$INSTALLER" | bash'), [at("DL001", 1, 1)]),
    ("position of a later, indented line", sh("set -e\n\n  curl -s https://x.io | zsh"), [at("DL001", 3, 3)]),
    ("after && on one line", sh("cd /tmp && curl -s https://x.io | sh"), [at("DL001", 1, 12)]),
    ("data to python -c", sh("curl -s https://api.x.io | python3 -c 'import json,sys; print(1)'"), []),
    ("data to python -m", sh("curl -s https://api.x.io | python3 -m json.tool"), []),
    ("data to jq", sh("curl -s https://api.x.io | jq .name"), []),
    ("saved to a file", sh("curl -fsSLo install.sh https://x.io/install.sh"), []),
    ("bash runs a file argument", sh("curl -s https://x.io/d | bash ./local.sh"), []),
    ("commit-pinned URL", sh(f"curl -s https://raw.githubusercontent.com/o/r/{SHA}/i.sh | bash"), []),
    ("a comment", sh("# curl -s https://x.io | sh"), []),
    ("echo is no download", sh("echo curl | sh"), []),
    # a second shell's script is read as a script
    ("sh -c with a pipe inside", sh('sh -c "curl -fsSL https://x.io | sh"'), [at("DL001", 1, 8)]),
    ("sudo bash -ec, single quotes", sh("sudo bash -ec 'curl -s https://x.io | bash -s -- -y'"), [at("DL001", 1, 16)]),
    ("bash -o pipefail -c", sh("bash -o pipefail -c 'wget -qO- https://x.io | sh'"), [at("DL001", 1, 22)]),
    ("in a container: docker run IMG sh -c", sh(f"docker run --rm alpine@sha256:{DIGEST} sh -c 'curl -s https://x.io | sh'"), [at("DL001", 1, 103)]),
    ("su -c", sh("su -c 'curl -s https://x.io | sh' root"), [at("DL001", 1, 8)]),
    ("nested twice", sh("""sh -c "bash -c 'curl -s https://x.io | sh'" """.strip()), [at("DL001", 1, 17)]),
    ("a script in quoted parts", sh("sh -c 'echo '\"$X\"'; curl -s https://x.io | sh'"), [at("DL001", 1, 21)]),
    ("a script over lines", sh("bash -c '\n  set -e\n  curl -s https://x.io | sh'"), [at("DL001", 3, 3)]),
    ("sh -c that saves to a file", sh("sh -c 'curl -fsSLo i.sh https://x.io/i.sh'"), []),
    ("echo prints a shell command", sh("echo sh -c 'curl -s https://x.io | sh'"), []),
    ("sh -c running a local script", sh("sh -c './configure && make'"), []),
    # the download kept in a variable, then run from it
    ("bash -c of a captured download", sh('s=$(curl -fsSL https://x.io/i.sh)\nbash -c "$s"'), [at("DL001", 2, 1)]),
    ("eval of a local captured download", sh('local s="$(wget -qO- https://x.io/i.sh)"\neval "$s"'), [at("DL001", 2, 1)]),
    ("captured, echoed into sh", sh('s=$(curl -fsSL https://x.io/i.sh)\necho "$s" | sh'), [at("DL001", 2, 1)]),
    ("captured, here-string", sh('s=$(curl -fsSL https://x.io/i.sh)\nbash <<< "${s}"'), [at("DL001", 2, 1)]),
    ("captured data, only printed", sh('v=$(curl -fsSL https://api.x.io/version)\necho "$v"\nbash -c "echo $v"'), []),
    ("captured, then reassigned", sh('s=$(curl -fsSL https://x.io/i.sh)\ns="echo hi"\nbash -c "$s"'), []),
    ("a variable used as a file name is DL002's", sh('s=$(curl -fsSL https://x.io/i.sh)\nbash "$s"'), []),
]  # fmt: skip


@cases(DL001_CASES)
def test_dl001(files: dict[str, str], expected: Expected) -> None:
    assert scan(files, "DL001") == expected


WORKFLOW_CASES: list[Case] = [
    ("run: | block, second line", run_step("echo hi\ncurl -fsSL https://x.io | bash"), [at("DL001", 8, 11, WF)]),
    ("plain one-line run", {WF: workflow("      - run: curl -fsSL https://x.io | bash\n")}, [at("DL001", 6, 14, WF)]),
    ("quoted run", {WF: workflow('      - run: "curl -fsSL https://x.io | bash"\n')}, [at("DL001", 6, 15, WF)]),
    ("folded plain run", {WF: workflow("      - run: echo a &&\n          curl -s https://x.io | sh\n")}, [at("DL001", 7, 11, WF)]),
    ("run: > block", {WF: workflow("      - run: >\n          echo a &&\n          curl -s https://x.io | sh\n")}, [at("DL001", 8, 11, WF)]),
    (
        "inline ignore on the command's line",
        run_step("curl -fsSL https://x.io | bash  # repo-harden: ignore[DL001] reviewed vendor script"),
        [],
    ),
    ("shell: python is not read", run_step("curl x | sh", extra="        shell: python\n"), []),
    ("shell: pwsh is PowerShell", run_step("curl -s https://x.io | sh", extra="        shell: pwsh\n"), []),
    ("pwsh iwr | iex", run_step("iwr https://x.io/i.ps1 -UseBasicParsing | iex", extra="        shell: pwsh\n"), [at("DL001", 7, 11, WF)]),
    (
        "windows runner: PowerShell by default",
        {WF: workflow("      - run: iex ((New-Object System.Net.WebClient).DownloadString('https://x.io'))\n").replace("ubuntu-latest", "windows-latest")},
        [at("DL001", 6, 14, WF)],
    ),
    (
        "workflow defaults.run.shell",
        {WF: "defaults:\n  run:\n    shell: pwsh\n" + workflow("      - run: Invoke-WebRequest -OutFile x.zip https://x.io\n")},
        [],
    ),
    (
        "composite action",
        {"action.yml": "runs:\n  using: composite\n  steps:\n    - shell: bash\n      run: |\n        curl -s https://x.io | bash\n"},
        [at("DL001", 6, 9, "action.yml")],
    ),
    (
        "a parse error: RH000 for the block, the next step is checked",
        {WF: workflow("      - run: |\n          curl -o f https://x.io )\n      - run: curl -s https://x.io | sh\n")},
        [at("RH000", 7, 34, WF), at("DL001", 8, 14, WF)],
    ),
    (
        "matrix runner: the shell is a guess, no RH000",
        {WF: workflow("      - run: |\n          curl -o f https://x.io )\n").replace("ubuntu-latest", "${{ matrix.os }}")},
        [],
    ),
]  # fmt: skip


@cases(WORKFLOW_CASES)
def test_positions_and_shells(files: dict[str, str], expected: Expected) -> None:
    assert scan(files, "DL001") == expected


DL002_CASES: list[Case] = [
    ("chmod +x then run", sh("curl -fsSLo tool https://x.io/tool\nchmod +x tool\n./tool --version"), [at("DL002", 3, 1)]),
    ("dpkg -i", sh("wget https://x.io/pkg.deb\nsudo dpkg -i pkg.deb"), [at("DL002", 2, 1)]),
    ("rpm -i on one line", sh("wget https://x.io/a.rpm && sudo rpm -ivh a.rpm"), [at("DL002", 1, 28)]),
    ("apt-get install ./x.deb", sh("curl -LO https://x.io/x.deb\nsudo apt-get install -y ./x.deb"), [at("DL002", 2, 1)]),
    ("bash a downloaded script", sh("curl -o /tmp/i.sh https://x.io/i.sh\nbash /tmp/i.sh"), [at("DL002", 2, 1)]),
    ("source a redirected download", sh("curl -sSL https://x.io/env.sh > env.sh\nsource env.sh"), [at("DL002", 2, 1)]),
    ("moved into PATH, run by name", sh("curl -o tool https://x.io/t\nsudo mv tool /usr/local/bin/\ntool --help"), [at("DL002", 3, 1)]),
    ("tar x then run", sh("curl -LO https://x.io/tool-linux.tar.gz\ntar xzf tool-linux.tar.gz\n./tool-linux/tool"), [at("DL002", 3, 1)]),
    ("piped into tar, then run", sh("curl -sL https://x.io/tool-linux-amd64.tar.gz | tar xz\n./tool version"), [at("DL002", 2, 1)]),
    ("unzip into a folder, then run", sh("wget https://x.io/cli.zip\nunzip -j cli.zip -d /tmp\n/tmp/cli scan"), [at("DL002", 3, 1)]),
    ("java -jar", sh("curl -O https://x.io/scan.jar\njava -jar scan.jar"), [at("DL002", 2, 1)]),
    ("sha256sum -c", sh('curl -o t https://x.io/t\necho "abc  t" | sha256sum -c -\nchmod +x t && ./t'), []),
    ("sha256sum --check", sh("curl -o t https://x.io/t\nsha256sum --check t.sha256\n./t"), []),
    ("shasum -a 256 -c", sh("curl -o t https://x.io/t\nshasum -a 256 -c t.sha256\n./t"), []),
    ("digest compared with a literal", sh('curl -o t https://x.io/t\n[ "$(sha256sum t | cut -d" " -f1)" = "abc" ] || exit 1\n./t'), []),
    ("digest captured and compared", sh('curl -o t https://x.io/t\nsum=$(sha256sum t)\n[ "$sum" = "abc  t" ]\n./t'), []),
    ("digest piped to grep", sh("curl -o t https://x.io/t\nsha256sum t | grep -q abc\n./t"), []),
    ("gpg --verify", sh("curl -o t https://x.io/t\ngpg --verify t.asc t\n./t"), []),
    ("cosign verify-blob", sh("curl -o t https://x.io/t\ncosign verify-blob --key k.pub --signature t.sig t\n./t"), []),
    ("slsa-verifier", sh("curl -o t https://x.io/t\nslsa-verifier verify-artifact t --provenance-path p --source-uri github.com/o/r\n./t"), []),
    ("gh attestation verify", sh("curl -o t https://x.io/t\ngh attestation verify t --owner o\n./t"), []),
    ("minisign -V", sh("curl -o t https://x.io/t\nminisign -Vm t -P RWQ\n./t"), []),
    ("commit-pinned URL", sh(f"curl -o i.sh https://raw.githubusercontent.com/o/r/{SHA}/i.sh\nbash i.sh"), []),
    ("a digest in the URL", sh(f"curl -o t https://x.io/blobs/sha256:{DIGEST}\nchmod +x t && ./t"), []),
    ("downloaded data, not run", sh("curl -o data.json https://x.io/d\njq . data.json"), []),
    ("printing a digest is no check", sh("curl -o t https://x.io/t\nsha256sum t\n./t"), [at("DL002", 3, 1)]),
    ("a file named by a variable", sh('F=$(mktemp)\ncurl -fsSL -o "$F" https://x.io/i.sh\nbash "$F"'), [at("DL002", 3, 1)]),
    ("${DIR} and $DIR are one path", sh('curl -fsSLo "${TMP}/i.sh" https://x.io/i.sh\nsh "$TMP/i.sh"'), [at("DL002", 2, 1)]),
    ("a variable file made executable", sh('curl -fsSLo "$BIN" https://x.io/t\nchmod +x "$BIN"\n"$BIN" --version'), [at("DL002", 3, 1)]),
    ("a variable file, verified", sh('curl -fsSLo "$F" https://x.io/i.sh\necho "$SUM  $F" | sha256sum -c -\nbash "$F"'), []),
    ("another variable is another file", sh('curl -fsSLo "$F" https://x.io/i.sh\nbash "$G"'), []),
    ("a file named by a command's output", sh('curl -fsSLo "$(mktemp)" https://x.io/i.sh\nbash "$(ls -t | head -1)"'), []),
    ("unrelated program after unzip", sh("curl -LO https://x.io/data.zip\nunzip data.zip\n./gradlew build"), []),
    (
        "steps of one job run on the same files",
        {WF: workflow("      - run: curl -o k https://x.io/k && chmod +x k\n      - run: ./k apply\n")},
        [at("DL002", 7, 14, WF)],
    ),
    (
        "RUNs of one Dockerfile stage",
        {"Dockerfile": f"FROM alpine@sha256:{DIGEST}\nRUN curl -o /usr/bin/t https://x.io/t\nRUN chmod +x /usr/bin/t && t --version\n"},
        [at("DL002", 3, 28, "Dockerfile")],
    ),
]  # fmt: skip


@cases(DL002_CASES)
def test_dl002(files: dict[str, str], expected: Expected) -> None:
    assert scan(files, "DL002") == expected


DL003_POSITIVE = [
    "pip install black",
    "python -m pip install --upgrade pip",
    "python3.12 -m pip install -U 'requests>=2'",
    "sudo pip3 install awscli",
    "pip install -e git+https://github.com/o/r.git#egg=r",
    "uv pip install ruff",
    "uv tool install ruff",
    "uvx ruff check",
    "pipx install black",
    "pipx run black .",
    "npm install -g pnpm",
    "npm i -g pnpm@latest",
    "npm install",
    "npm install --save-dev eslint@^9",
    "npx cowsay hi",
    "pnpm dlx create-vite app",
    "yarn dlx cowsay",
    "yarn global add serve",
    "yarn install",
    "yarn",
    "go install golang.org/x/tools/gopls@latest",
    "go install example.com/tool@main",
    "go get github.com/o/lib",
    "cargo install ripgrep",
    "cargo install ripgrep --version 14.1.0",
    "cargo install --git https://github.com/o/t",
    "gem install bundler",
    "gem install rails -v '~> 7.1'",
    "dotnet tool install -g dotnet-format",
    "choco install git -y",
    "nuget install Newtonsoft.Json",
    "conda install numpy",
    "mamba install -c conda-forge numpy>=1.26",
    "micromamba create -n env python=3.12 pytest",
    "pip install foo --no-index --find-links https://x.io/wheels/",
    "PIP_NO_INDEX=0 pip install foo -f dist",
    "pnpm install --no-frozen-lockfile",
    "pnpm i --frozen-lockfile=false",
    "pnpm install --no-lockfile",
    "yarn install --no-immutable",
    "yarn --no-lockfile",
    "dotnet add package Newtonsoft.Json",
    "dotnet add src/App.csproj package Serilog --prerelease",
    "dotnet add package Serilog --version '4.*'",
    "dotnet package add Serilog",
]
DL003_NEGATIVE = [
    "pip install black==24.8.0",
    "pip install 'black[d]==24.8.0'",
    "pip install -r requirements.txt",
    "pip install -e .",
    "pip install '.[test]'",
    "pip install dist/*.whl",
    "pip install -c constraints.txt black",
    'pip install "black==$BLACK_VERSION"',
    "pip install ${{ matrix.package }}",
    f"pip install git+https://github.com/o/r.git@{SHA}",
    "pip download black",
    "uv sync --locked",
    "uvx ruff@0.6.9 check",
    "uvx --from 'ruff==0.6.9' ruff",
    "pipx install black==24.8.0",
    "npm ci",
    "npm install -g pnpm@9.1.0",
    "npm install @scope/pkg@1.2.3",
    f"npm install github:o/r#{SHA}",
    "npm install ./local-pkg",
    "npx cowsay@1.5.0 hi",
    "yarn install --frozen-lockfile",
    "yarn install --immutable",
    "yarn build",
    "go install golang.org/x/tools/gopls@v0.16.2",
    "go install example.com/tool@v0.0.0-20240101000000-abcdef123456",
    "go install ./cmd/tool",
    "go get -d -v ./...",
    "cargo install ripgrep --version 14.1.0 --locked",
    "cargo install ripgrep@14.1.0 --locked",
    "cargo install --path . --locked",
    f"cargo install --git https://github.com/o/t --rev {SHA} --locked",
    "cargo install --version ${TOOL_VERSION} --locked tool",
    "gem install bundler -v 2.5.3",
    "gem install brakeman --version $BRAKEMAN_VERSION",
    "dotnet tool install -g dotnet-format --version 5.1.250801",
    "dotnet tool restore",
    "choco install git --version 2.45.1 -y",
    "nuget install Newtonsoft.Json -Version 13.0.3",
    "nuget restore",
    "conda install numpy=1.26.4 pytest==8.3.2",
    "conda env create -f environment.yml",
    "sudo apt-get install -y curl",
    "apk add --no-cache git",
    "brew install jq",
    "uv pip install foo --no-index --no-deps --find-links dist",
    "pip install foo --no-index -f ./wheels",
    "python -m pip install --no-index foo bar",
    "PIP_NO_INDEX=1 pip install foo -f dist",
    "pnpm install --frozen-lockfile",
    "pnpm install",
    "dotnet add package Newtonsoft.Json --version 13.0.3",
    "dotnet add src/App.csproj package Serilog -v 4.0.1",
    "dotnet package add Serilog@4.0.1",
    "dotnet add reference ../lib/lib.csproj",
    "pipx run tools/not-in-the-repo.py",
    "uv run python -m pytest",
]


# The advice after each unpinned install: one wording for every package manager, "it" for
# one package and "each one" for several (QA #20)
DL003_ADVICE = [
    ("pip install black", "pin it to an exact version (`pip install name==1.2.3`), or install from a lockfile"),
    ("pip install flake8 pytest", "pin each one to an exact version (`pip install name==1.2.3`), or install from a lockfile"),
    ("uv pip install ruff", "pin it to an exact version (`uv pip install name==1.2.3`), or install from a lockfile"),
    ("uvx ruff", "pin it to an exact version (`uvx tool@1.2.3`) or `uvx --from 'tool==1.2.3' tool`"),
    ("pipx run black", "pin it to an exact version (`pipx run --spec 'tool==1.2.3' tool`)"),
    ("pipx install black", "pin it to an exact version (`pipx install 'tool==1.2.3'`)"),
    ("npm install -g pnpm", "pin it to an exact version (`npm install name@1.2.3`)"),
    ("npx cowsay", "pin it to an exact version (`npx name@1.2.3`)"),
    ("yarn dlx cowsay", "pin it to an exact version (`yarn dlx name@1.2.3`)"),
    ("go install golang.org/x/tools/gopls@latest", "pin it to an exact version (`go install example.com/tool@v1.2.3`)"),
    ("cargo install ripgrep", "pin it and its dependencies to an exact version (`cargo install tool --version 1.2.3 --locked`)"),
    ("cargo install clippy-sarif sarif-fmt", "pin each one and its dependencies to an exact version (`cargo install tool --version 1.2.3 --locked`)"),
    ("cargo install ripgrep --version 14.1.0", "add `--locked`, so that it installs the versions its `Cargo.lock` names"),
    ("gem install puppet-lint", "pin it to an exact version (`gem install tool -v 1.2.3`)"),
    ("dotnet tool install -g dotnet-ef", "pin it to an exact version (`dotnet tool install tool --version 1.2.3`), or use a tool manifest and `dotnet tool restore`"),
    ("dotnet add package Serilog", "pin it to an exact version (`dotnet add package Serilog --version 1.2.3`)"),
    ("choco install jq", "pin it to an exact version (`choco install tool --version 1.2.3`), and add `--checksum` for its download"),
    ("nuget install NUnit", "pin it to an exact version (`nuget install Tool -Version 1.2.3`)"),
    ("conda install flake8", "pin it to an exact version (`conda install name=1.2.3`)"),
    ("conda install flake8 pytest", "pin each one to an exact version (`conda install name=1.2.3`)"),
]  # fmt: skip


@pytest.mark.parametrize(("command", "advice"), DL003_ADVICE, ids=[c[0] for c in DL003_ADVICE])
def test_dl003_advice_is_worded_alike_for_every_package_manager(command: str, advice: str) -> None:
    (finding,) = scan_files(sh(command), select=["DL003"])
    assert finding["message"].endswith(f"; {advice}")


def test_dl003_script_advice_says_where_the_pins_go() -> None:
    (finding,) = scan_files({**sh("uv run tools/report.py"), **SCRIPT_UNPINNED}, select=["DL003"])
    assert finding["message"].endswith(
        "; pin each one to an exact version in the script's `# /// script` block "
        "(`name==1.2.3`), or lock them with `uv lock --script tools/report.py`"
    )


def npm_steps(*steps: str) -> dict[str, str]:
    return {WF: workflow("".join(f"      - {step}\n" for step in steps))}


TWO_JOBS = (
    "on: push\npermissions: {}\njobs:\n"
    "  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm install eslint@8.10.0\n"
    "  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npx eslint .\n"
)
DL003_CASES: list[Case] = [
    *[(command, sh(command), [at("DL003", 1, 1)]) for command in DL003_POSITIVE],
    *[(command, sh(command), []) for command in DL003_NEGATIVE],
    ("npx runs the project's own tool", {**sh("npx eslint ."), "package.json": "{}"}, []),
    ("npx --yes fetches even so", {**sh("npx --yes cowsay"), "package.json": "{}"}, [at("DL003", 1, 1)]),
    ("Yarn 2+ is immutable in CI", {**sh("yarn install"), ".yarnrc.yml": "nodeLinker: pnp\n"}, []),
    ("in a second shell, at the install", sh("sudo sh -c 'pip install black'"), [at("DL003", 1, 13)]),
    ("--no-immutable even with Yarn 2+", {**sh("yarn install --no-immutable"), ".yarnrc.yml": "nodeLinker: pnp\n"}, [at("DL003", 1, 1)]),
    ("a script's unpinned inline dependencies", {**sh("pipx run tools/report.py"), **SCRIPT_UNPINNED}, [at("DL003", 1, 1)]),
    ("a script's pinned inline dependencies", {**sh("pipx run tools/report.py"), **SCRIPT_PINNED}, []),
    ("a script with no inline block", {**sh("pipx run tools/report.py"), "tools/report.py": "print(1)\n"}, []),
    ("uv run: the same script", {**sh("uv run --python 3.12 tools/report.py"), **SCRIPT_UNPINNED}, [at("DL003", 1, 1)]),
    ("uv run: a script locked by uv lock --script", {**sh("uv run tools/report.py"), **SCRIPT_UNPINNED, "tools/report.py.lock": "version = 1\n"}, []),
    ("a script found next to the script that runs it", {"ci/run.sh": "pipx run report.py\n", "ci/report.py": SCRIPT_UNPINNED["tools/report.py"]}, [at("DL003", 1, 1, "ci/run.sh")]),
    ("a script fetched from a URL", sh("pipx run https://x.io/tools/report.py"), [at("DL003", 1, 1)]),
    (
        "a script in the step's working-directory",
        {**run_step("pipx run report.py", extra="        working-directory: tools\n"), **SCRIPT_UNPINNED},
        [at("DL003", 7, 11, WF)],
    ),
    ("in a workflow", run_step("echo start\n  pip install black"), [at("DL003", 8, 13, WF)]),
    ("in a Dockerfile RUN", {"Dockerfile": f"FROM python@sha256:{DIGEST}\nRUN pip install --no-cache-dir black\n"}, [at("DL003", 2, 5, "Dockerfile")]),
    ("exec-form RUN", {"Dockerfile": f'FROM python@sha256:{DIGEST}\nRUN ["pip", "install", "black"]\n'}, [at("DL003", 2, 7, "Dockerfile")]),
    ("npx after an exact install in the same script", sh("npm install eslint@8.10.0\nnpx eslint ."), []),
    ("npx after an exact global install", sh("npm i -g eslint@8.10.0\ncd web && npx eslint ."), []),
    ("npx after an exact scoped install", sh("pnpm add @biomejs/biome@1.9.4 && npx @biomejs/biome check"), []),
    ("npx after an install with no version", sh("npm install eslint\nnpx eslint ."), [at("DL003", 1, 1), at("DL003", 2, 1)]),
    ("npx of another package than the one installed", sh("npm install eslint-formatter-x@1.0.0\nnpx eslint ."), [at("DL003", 2, 1)]),
    ("npx before the install", sh("npx eslint .\nnpm install eslint@8.10.0"), [at("DL003", 1, 1)]),
    ("npx with a version of its own", sh("npm install eslint@8.10.0\nnpx eslint@latest ."), [at("DL003", 2, 1)]),
    ("npx --package names it by spec", sh("npm install eslint@8.10.0\nnpx -p eslint eslint ."), [at("DL003", 2, 1)]),
    ("npx in another folder than the install", sh("npm install eslint@8.10.0\ncd web\nnpx eslint ."), [at("DL003", 3, 1)]),
    ("npx after a cd to where nobody knows", sh('npm install eslint@8.10.0\ncd "$APP"\nnpx eslint .'), [at("DL003", 3, 1)]),
    ("pnpm dlx always downloads", sh("npm install eslint@8.10.0\npnpm dlx eslint ."), [at("DL003", 2, 1)]),
    ("an install into another folder", sh("npm install --prefix web eslint@8.10.0\nnpx eslint ."), [at("DL003", 2, 1)]),
    ("a global install of pnpm, not npm", sh("pnpm add -g eslint@8.10.0\nnpx eslint ."), [at("DL003", 2, 1)]),
    ("an exact yarn add", sh("yarn add eslint@8.10.0\nnpx eslint ."), []),
    ("an earlier step of the job", npm_steps("run: npm install eslint@8.10.0", "run: npx eslint ."), []),
    ("an earlier step in another folder", npm_steps("run: npm install eslint@8.10.0\n        working-directory: web", "run: npx eslint ."), [at("DL003", 8, 14, WF)]),
    ("an earlier job", {WF: TWO_JOBS}, [at("DL003", 11, 14, WF)]),
]  # fmt: skip


@cases(DL003_CASES)
def test_dl003(files: dict[str, str], expected: Expected) -> None:
    assert scan(files, "DL003") == expected


def test_npx_after_the_job_installs_the_exact_version_in_a_real_workflow() -> None:
    """GitHub's ESLint starter workflow installs `eslint@8.10.0` in one step and runs
    `npx eslint` in the next: npx runs that copy (QA #7)."""
    text = (CORPUS / "code-scanning" / "eslint.yml").read_text()
    assert scan({WF: text}, "DL003") == []
    unpinned = text.replace("npm install eslint@8.10.0", "npm install eslint")
    assert scan({WF: unpinned}, "DL003") == [at("DL003", 35, 11, WF), at("DL003", 41, 14, WF)]


NPM_CASES: list[tuple[str, dict[str, str], str]] = [
    ("no lockfile anywhere", sh("npm install"), "there is no `package-lock.json` for it to follow"),
    ("a lockfile in the folder of the step", {**npm_steps("run: npm i\n        working-directory: web"), "web/package-lock.json": "{}"}, "use `npm ci`, which installs exactly what `web/package-lock.json` says"),
    ("cd into the folder", {**npm_steps("run: cd web && npm i"), "web/package-lock.json": "{}"}, "`web/package-lock.json`"),
    ("job defaults.run.working-directory", {WF: workflow("      - run: npm i\n").replace("    steps:", "    defaults:\n      run:\n        working-directory: web\n    steps:"), "web/package-lock.json": "{}"}, "`web/package-lock.json`"),
    ("a workspace member is locked at the root", {**npm_steps("run: npm install\n        working-directory: packages/a"), "package-lock.json": "{}"}, "`package-lock.json` says"),
    ("a lockfile elsewhere only", {**npm_steps("run: npm install"), "web/package-lock.json": "{}"}, "`npm install` at the repository root resolves every dependency afresh"),
    ("--prefix names the folder", {**npm_steps("run: npm install --prefix web"), "web/package-lock.json": "{}"}, "`web/package-lock.json`"),
    ("a folder locked by yarn", {**npm_steps("run: npm install\n        working-directory: web"), "web/yarn.lock": ""}, "ignores `web/yarn.lock`, the lockfile of that folder, and may resolve other versions; install with `yarn install --frozen-lockfile`"),
    ("a Makefile's recipe runs in its folder", {"web/Makefile": "deps:\n\tnpm install\n", "web/package-lock.json": "{}"}, "`web/package-lock.json`"),
    ("a cd to a variable: the folder is unknown", {**sh('cd "$APP" && npm install'), "web/package-lock.json": "{}"}, "use `npm ci`, which installs exactly what `package-lock.json` says"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("files", "expected"), [c[1:] for c in NPM_CASES], ids=[c[0] for c in NPM_CASES]
)
def test_npm_install_advice_follows_the_lockfile_of_its_folder(
    files: dict[str, str], expected: str
) -> None:
    """`npm install` with no package is always DL003 (it may rewrite or ignore the lockfile),
    but `npm ci` is advised only where a package-lock.json locks the folder it runs in."""
    (finding,) = scan_files(files, select=["DL003"])
    assert expected in finding["message"]


def test_dl003_script_message_names_the_script_and_its_dependencies() -> None:
    (finding,) = scan_files({**sh("pipx run tools/report.py"), **SCRIPT_UNPINNED}, select=["DL003"])
    assert (
        "inline dependencies of `tools/report.py` (`requests>=2.31`, `rich`)" in finding["message"]
    )
    assert "`# /// script` block" in finding["message"]


HASHED = f"black==24.8.0 \\\n    --hash=sha256:{DIGEST}\n"
DL004_CASES: list[Case] = [
    ("exact pin without hash", sh("pip install black==24.8.0"), [at("DL004", 1, 1)]),
    ("uv pip", sh("uv pip install ruff==0.6.9"), [at("DL004", 1, 1)]),
    ("unhashed requirements file", {**sh("pip install -r requirements.txt"), "requirements.txt": "black==24.8.0\n"}, [at("DL004", 1, 1)]),
    ("inline --hash", sh(f"pip install black==24.8.0 --hash=sha256:{DIGEST}"), []),
    ("--require-hashes", {**sh("pip install --require-hashes -r requirements.txt"), "requirements.txt": "black==24.8.0\n"}, []),
    ("hashed requirements without the flag", {**sh("pip install -r requirements.txt"), "requirements.txt": HASHED}, []),
    ("PIP_REQUIRE_HASHES", sh("PIP_REQUIRE_HASHES=1 pip install black==24.8.0"), []),
    ("requirements file not in the repository", sh("pip install -r generated.txt"), []),
    ("unpinned is DL003's", sh("pip install black"), []),
    ("only local requirements", {**sh("pip install -r requirements.txt"), "requirements.txt": "-e .\n"}, []),
    ("an editable VCS checkout at a commit", sh(f"pip install -e git+https://github.com/o/r@{SHA}#egg=r"), []),
    ("a VCS requirement at a commit", sh(f"uv pip install 'r @ git+https://github.com/o/r@{SHA}'"), []),
    ("only VCS requirements in the file", {**sh("pip install -r requirements.txt"), "requirements.txt": f"-e git+https://github.com/o/r@{SHA}#egg=r\n"}, []),
    ("--no-index: local wheels only", sh("pip install --no-index --find-links dist black==24.8.0"), []),
    ("a VCS requirement beside an exact pin", sh(f"pip install black==24.8.0 git+https://github.com/o/r@{SHA}"), [at("DL004", 1, 1)]),
    ("the project itself beside an exact pin", sh("pip install -e . pytest==8.3.2"), [at("DL004", 1, 1)]),
    (
        "requirements next to the Dockerfile",
        {"app/Dockerfile": f"FROM python@sha256:{DIGEST}\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n", "app/requirements.txt": "flask==3.0.3\n"},
        [at("DL004", 3, 5, "app/Dockerfile")],
    ),
]  # fmt: skip


@cases(DL004_CASES)
def test_dl004(files: dict[str, str], expected: Expected) -> None:
    assert scan(files, "DL004") == expected


def test_dl004_advice_installs_what_pip_cannot_hash_apart() -> None:
    """pip refuses `--require-hashes` when one requirement of the command is a VCS checkout,
    an editable or a folder: the advice says to install those with their own command."""
    (finding,) = scan_files(
        sh(f"pip install black==24.8.0 git+https://github.com/o/r@{SHA}"), select=["DL004"]
    )
    assert "pip cannot hash `git+https://github.com/o/r@" in finding["message"]
    assert "its own `pip install`" in finding["message"]
    (plain,) = scan_files(sh("pip install black==24.8.0"), select=["DL004"])
    assert "cannot hash" not in plain["message"]


def with_inputs(uses: str, inputs: str) -> dict[str, str]:
    return {WF: workflow(f"      - uses: {uses}\n        with:\n{inputs}")}


DL006_CASES: list[Case] = [
    ("version: latest", with_inputs(f"astral-sh/setup-uv@{SHA}", "          version: latest\n"), [at("DL006", 8, 20, WF)]),
    ("terraform_version: latest", with_inputs(f"hashicorp/setup-terraform@{SHA}", "          terraform_version: latest\n"), [at("DL006", 8, 30, WF)]),
    ("go-version: '*'", with_inputs(f"actions/setup-go@{SHA}", "          go-version: '*'\n"), [at("DL006", 8, 23, WF)]),
    ("exact version", with_inputs(f"golangci/golangci-lint-action@{SHA}", "          version: v2.1.6\n"), []),
    ("a runtime's major is not judged", with_inputs(f"actions/setup-node@{SHA}", "          node-version: 20\n"), []),
    ("other inputs", with_inputs(f"actions/setup-go@{SHA}", "          check-latest: true\n          cache: latest\n"), []),
    (
        "composite action",
        {"action.yml": f"runs:\n  using: composite\n  steps:\n    - uses: astral-sh/setup-uv@{SHA}\n      with:\n        version: latest\n"},
        [at("DL006", 6, 18, "action.yml")],
    ),
    ("inputs named after the tools they install", with_inputs(f"redhat-actions/openshift-tools-installer@{SHA}", "          source: github\n          oc: '4.14.1'\n          kam: latest\n          tkn: '*'\n"), [at("DL006", 10, 16, WF), at("DL006", 11, 16, WF)]),
    ("that action's own settings are not tools", with_inputs(f"redhat-actions/openshift-tools-installer@{SHA}", "          source: latest\n          skip_cache: x\n          oc: '4.14.1'\n"), []),
    ("a tool's name is no version input elsewhere", with_inputs(f"acme/setup@{SHA}", "          crda: latest\n          oc: latest\n"), []),
]  # fmt: skip


def test_dl006_reads_the_tool_inputs_of_a_real_workflow() -> None:
    """GitHub's CRDA starter workflow installs `crda: "latest"` with
    redhat-actions/openshift-tools-installer (QA #28)."""
    text = (CORPUS / "code-scanning" / "crda.yml").read_text()
    line = text.splitlines().index('          crda: "latest"') + 1
    assert scan({WF: text}, "DL006") == [at("DL006", line, 17, WF)]
    (finding,) = scan_files({WF: text}, select=["DL006"])
    assert finding["message"].startswith("`crda: latest` installs whatever version is newest")


def bare(uses: str, inputs: str = "", files: dict[str, str] | None = None) -> dict[str, str]:
    """A step that uses an action with only these inputs (the `uses:` is at line 6, col 15),
    beside these repository files."""
    step = f"      - uses: {uses}@{SHA}\n" + (f"        with:\n{inputs}" if inputs else "")
    return {WF: workflow(step), **(files or {})}


OMITTED = [at("DL006", 6, 15, WF)]
GOLANGCI_GO_MOD = "module x\n\ngo 1.24\n\ntool github.com/golangci/golangci-lint/v2/cmd/golangci-lint\n\nrequire github.com/golangci/golangci-lint/v2 v2.1.6 // indirect\n"
LATEST_BY_DEFAULT_CASES: list[Case] = [
    ("setup-uv with no version and no version file", bare("astral-sh/setup-uv", "          enable-cache: true\n"), OMITTED),
    ("setup-uv, a pyproject.toml that names none", bare("astral-sh/setup-uv", files={"pyproject.toml": "[project]\nname = 'p'\n"}), OMITTED),
    ("setup-uv, uv.toml required-version", bare("astral-sh/setup-uv", files={"uv.toml": 'required-version = "==0.8.3"\n'}), []),
    ("setup-uv, [tool.uv] required-version", bare("astral-sh/setup-uv", files={"pyproject.toml": '[tool.uv]\nrequired-version = ">=0.8"\n'}), []),
    ("setup-uv, a uv requirement in a group", bare("astral-sh/setup-uv", files={"pyproject.toml": '[dependency-groups]\ndev = ["uv==0.8.3"]\n'}), []),
    ("setup-uv, version files in its working-directory", bare("astral-sh/setup-uv", "          working-directory: py\n", files={"py/uv.toml": 'required-version = "0.8.3"\n'}), []),
    ("setup-uv, version files elsewhere only", bare("astral-sh/setup-uv", "          working-directory: py\n", files={"uv.toml": 'required-version = "0.8.3"\n'}), OMITTED),
    ("setup-uv, version-file given", bare("astral-sh/setup-uv", "          version-file: .tool-versions\n"), []),
    ("setup-uv, a folder given by an expression", bare("astral-sh/setup-uv", "          working-directory: ${{ matrix.dir }}\n"), []),
    ("golangci-lint, no version", bare("golangci/golangci-lint-action"), OMITTED),
    ("golangci-lint, go.mod requires it", bare("golangci/golangci-lint-action", files={"go.mod": GOLANGCI_GO_MOD}), []),
    ("golangci-lint, a go.mod without it", bare("golangci/golangci-lint-action", files={"go.mod": "module x\n\ngo 1.24\n"}), OMITTED),
    ("golangci-lint, install-mode: none", bare("golangci/golangci-lint-action", "          install-mode: none\n"), []),
    ("setup-terraform, no version", bare("hashicorp/setup-terraform", "          cli_config_credentials_token: x\n"), OMITTED),
    ("setup-terraform, a version file given", bare("hashicorp/setup-terraform", "          terraform_version_file: .terraform-version\n"), []),
    ("setup-php, .php-version", bare("shivammathur/setup-php", files={".php-version": "8.3\n"}), []),
    ("setup-php, no version", bare("shivammathur/setup-php", "          tools: phpmd\n"), OMITTED),
    ("setup-bun, packageManager in package.json", bare("oven-sh/setup-bun", files={"package.json": '{"packageManager": "bun@1.2.19"}'}), []),
    ("setup-bun, a package.json without it", bare("oven-sh/setup-bun", files={"package.json": '{"name": "x"}'}), OMITTED),
    ("case-insensitive action name", bare("Azure/setup-helm"), OMITTED),
    ("an expression as the version", bare("azure/setup-kubectl", "          version: ${{ env.KUBECTL }}\n"), []),
    ("setup-node without a version uses the runner's", bare("actions/setup-node"), []),
    ("setup-python without a version uses the runner's", bare("actions/setup-python"), []),
    ("added by the config", {**bare("acme/setup-tool"), ".repo-harden.toml": '[rules.DL006.latest-by-default]\n"acme/setup-tool" = { inputs = ["tool-version"] }\n'}, OMITTED),
    (
        "added by the config, with its version file",
        {**bare("acme/setup-tool", files={".tool-version": "1.2.3\n"}), ".repo-harden.toml": '[rules.DL006.latest-by-default]\n"acme/setup-tool" = { inputs = ["tool-version"], version-files = [".tool-version"] }\n'},
        [],
    ),
]  # fmt: skip


@cases(DL006_CASES + LATEST_BY_DEFAULT_CASES)
def test_dl006(files: dict[str, str], expected: Expected) -> None:
    assert scan(files, "DL006") == expected


def test_dl006_omitted_version_message() -> None:
    (finding,) = scan_files(bare("astral-sh/setup-uv"), select=["DL006"])
    assert finding["message"] == (
        "`astral-sh/setup-uv` installs the newest uv when `version` is not given and no version "
        "file names one (`uv.toml` `required-version`, `pyproject.toml` `[tool.uv] "
        "required-version` or a `uv` requirement), so each run may get a different release; "
        "name the exact one (`version: 1.2.3`)"
    )


@pytest.mark.parametrize(
    ("table", "error"),
    [
        ('latest-by-default = ["acme/setup-tool"]', "must be a table"),
        ('latest-by-default = { "setup-tool" = { inputs = ["v"] } }', "is not an action"),
        ('latest-by-default = { "acme/setup-tool" = { inputs = [] } }', "names no input"),
        (
            'latest-by-default = { "acme/setup-tool" = { inputs = ["v"], files = [] } }',
            "must be a table with `inputs`",
        ),
    ],
)
def test_latest_by_default_config_errors(cli: Any, tmp_path: Path, table: str, error: str) -> None:
    config = f"[rules.DL006]\n{table}\n"
    repo = make_repo(tmp_path / "repo", {".repo-harden.toml": config, **sh("true")})
    result = cli("scan", cwd=repo)
    assert result.code == 2
    assert error in result.err
    assert "Traceback" not in result.err


def uses_step(uses: str, inputs: str) -> dict[str, str]:
    """A workflow whose one step uses an action with these `with:` inputs (first at line 8)."""
    return {WF: workflow(f"      - uses: {uses}@{SHA}\n        with:\n{inputs}")}


PIPED = "curl -fsSL https://x.io/i.sh | sh"
SHELL_INPUT_CASES: list[Case] = [
    ("run-on-arch `run: |`", uses_step("uraimo/run-on-arch-action", f"          arch: aarch64\n          run: |\n            apt-get update\n            {PIPED}\n"), [at("DL001", 11, 13, WF)]),
    ("run-on-arch `install:`", uses_step("uraimo/run-on-arch-action", f"          install: {PIPED}\n"), [at("DL001", 8, 20, WF)]),
    ("ssh-action `script:`", uses_step("appleboy/ssh-action", f"          host: example.com\n          script: {PIPED}\n"), [at("DL001", 9, 19, WF)]),
    ("vmactions `prepare:`", uses_step("vmactions/freebsd-vm", f"          prepare: {PIPED}\n"), [at("DL001", 8, 20, WF)]),
    ("retry `command:` on the runner", uses_step("nick-fields/retry", f"          command: {PIPED}\n"), [at("DL001", 8, 20, WF)]),
    ("retry with `shell: python`", uses_step("nick-fields/retry", f"          shell: python\n          command: {PIPED}\n"), []),
    ("retry with `shell: pwsh`", uses_step("nick-fields/retry", f"          shell: pwsh\n          command: {PIPED}\n"), []),
    ("case-insensitive action name", uses_step("Appleboy/SSH-Action", f"          script: {PIPED}\n"), [at("DL001", 8, 19, WF)]),
    ("an input the action does not run", uses_step("appleboy/ssh-action", f"          host: {PIPED}\n"), []),
    ("an action not in the table", uses_step("acme/deploy", f"          run: {PIPED}\n"), []),
    ("added by the config", {**uses_step("acme/deploy", f"          run: {PIPED}\n"), ".repo-harden.toml": '[shell-inputs]\n"acme/deploy" = ["run"]\n'}, [at("DL001", 8, 16, WF)]),
    ("turned off by the config", {**uses_step("appleboy/ssh-action", f"          script: {PIPED}\n"), ".repo-harden.toml": '[shell-inputs]\n"appleboy/ssh-action" = []\n'}, []),
    ("installs in an input", uses_step("appleboy/ssh-action", "          script: pip install black\n"), [at("DL003", 8, 19, WF)]),
    ("a download run in the same input", uses_step("appleboy/ssh-action", "          script: |\n            curl -o t https://x.io/t && chmod +x t\n            ./t\n"), [at("DL002", 10, 13, WF)]),
    ("composite action", {"action.yml": f"runs:\n  using: composite\n  steps:\n    - uses: appleboy/ssh-action@{SHA}\n      with:\n        script: {PIPED}\n"}, [at("DL001", 6, 17, "action.yml")]),
]  # fmt: skip


@cases(SHELL_INPUT_CASES)
def test_shell_inputs_of_actions(files: dict[str, str], expected: Expected) -> None:
    assert scan(files, "DL001,DL002,DL003") == expected


def test_pin002_sees_docker_run_in_a_shell_input() -> None:
    files = uses_step("appleboy/ssh-action", "          script: docker run --rm redis:7\n")
    assert scan(files, "PIN002") == [at("PIN002", 8, 35, WF)]


@pytest.mark.parametrize(
    ("table", "error"),
    [
        ('shell-inputs = ["acme/deploy"]', "must be a table"),
        ('[shell-inputs]\n"deploy" = ["run"]', "is not an action"),
        ('[shell-inputs]\n"acme/deploy" = "run"', "must be a list of input names"),
    ],
)
def test_shell_inputs_config_errors(cli: Any, tmp_path: Path, table: str, error: str) -> None:
    repo = make_repo(tmp_path / "repo", {".repo-harden.toml": table + "\n", **sh("true")})
    result = cli("scan", cwd=repo)
    assert result.code == 2
    assert error in result.err
    assert "Traceback" not in result.err


SOURCES_CASES: list[Case] = [
    ("shebang script without extension", {"scripts/setup": "#!/usr/bin/env bash\ncurl -s https://x.io | bash\n"}, [at("DL001", 2, 1, "scripts/setup")]),
    ("sh shebang in bin/", {"bin/get": "#!/bin/sh\nwget -qO- https://x.io | sh\n"}, [at("DL001", 2, 1, "bin/get")]),
    ("no shebang: not a script", {"scripts/notes": "curl -s https://x.io | bash\n"}, []),
    ("Makefile recipe", {"Makefile": "install:\n\tcurl -fsSL https://x.io | sh\n"}, [at("DL001", 2, 2, "Makefile")]),
    ("Makefile variable", {"Makefile": "PIP = pip3\nlint:\n\t@$(PIP) install black\n"}, [at("DL003", 3, 3, "Makefile")]),
    ("*.mk with $$", {"tools.mk": "get:\n\t@curl -s $$URL | bash\n"}, [at("DL001", 2, 3, "tools.mk")]),
]  # fmt: skip


@cases(SOURCES_CASES)
def test_script_sources(files: dict[str, str], expected: Expected) -> None:
    assert scan(files, "DL001,DL003") == expected


def test_messages_say_what_and_how(cli: Any, tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        sh("curl -fsSL https://x.io | sh\npip install black\ncurl -o t https://x.io/t && ./t"),
    )
    findings = cli("scan", "--format", "json", "--select", "DL", cwd=repo).json()["findings"]
    messages = {f["rule"]: f["message"] for f in findings}
    assert "`curl -fsSL https://x.io | sh`" in messages["DL001"]
    assert "sha256sum -c" in messages["DL001"]
    assert "`black`" in messages["DL003"]
    assert "pip install name==1.2.3" in messages["DL003"]
    assert "line 3" in messages["DL002"]


def test_hook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(
        tmp_path / "repo",
        {
            SH: "curl -s https://x.io | sh\n",
            "Dockerfile": "FROM python:3.12\n",
            WF: workflow("      - uses: actions/checkout@v4\n"),
        },
    )
    monkeypatch.chdir(repo)
    monkeypatch.setenv("NO_COLOR", "1")
    assert hook_main([SH, "Dockerfile", WF]) == 1
    out = capsys.readouterr().out
    assert f"{SH}:1:1: DL001" in out
    assert "Dockerfile:1:6: PIN002" in out
    assert "PIN001" not in out


DOCKERFILE_SPELLINGS = [
    "Dockerfile",
    "dockerfile",
    "DOCKERFILE",
    "docker/Dockerfile.dev",
    "Dockerfile-alpine",
    "testdata/Dockerfile-fixture",
    "Dockerfile_ci",
    "api.Dockerfile",
    "web/app.dockerfile",
    "Containerfile",
    "containerfile.arm64",
    "build/app.Containerfile",
    "deploy/Dockerfile.j2",
]
NOT_DOCKERFILES = [
    "repo_harden/readers/dockerfile.py",
    "pkg/dockerfile_test.go",
    "src/dockerfile-parser.ts",
    "Dockerfile.dev.json",
    "Dockerfile.dockerignore",
    "docs/Dockerfile.md",
    "Dockerfile-README.md",
    "Dockerfiles/readme",
    "notDockerfile",
    "DockerfileLint.yml",
]


def _hook_files_regex() -> re.Pattern[str]:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = [h for h in hooks if h["id"] == "unpinned-downloads"]
    return re.compile(hook["files"])


@pytest.mark.parametrize(
    ("path", "matches"),
    [
        (".github/workflows/ci.yml", True),
        ("action.yml", True),
        (".github/actions/setup/action.yaml", True),
        ("scripts/install.sh", True),
        ("build.bash", True),
        ("scripts/bootstrap", True),
        (".ci/run", True),
        ("Dockerfile", True),
        ("docker/Dockerfile.dev", True),
        ("api.Dockerfile", True),
        ("Containerfile", True),
        ("Makefile", True),
        ("make/rules.mk", True),
        ("README.md", False),
        ("src/app.py", False),
        ("scripts/notes.txt", False),
        *[(name, True) for name in DOCKERFILE_SPELLINGS],
        *[(name, False) for name in NOT_DOCKERFILES],
    ],
)
def test_hook_files(path: str, matches: bool) -> None:
    assert bool(_hook_files_regex().search(path)) == matches


@pytest.mark.parametrize("path", DOCKERFILE_SPELLINGS + NOT_DOCKERFILES)
def test_one_list_of_dockerfile_names(path: str) -> None:
    """The hook's `files`, the checks' patterns (a superset: globs cannot exclude) and the
    readers agree on what a Dockerfile is, and PIN002/DL005 read every spelling."""
    is_dockerfile = path in DOCKERFILE_SPELLINGS
    assert is_dockerfile_path(path) == is_dockerfile
    assert bool(_hook_files_regex().search(path)) == is_dockerfile
    if is_dockerfile:
        assert PathMatcher(DOCKERFILE_PATTERNS).matches(path)
    files = {path: "FROM python:3.12\nADD https://x.io/t /t\n"}
    found = {f["rule"] for f in scan_files(files, select=["PIN002", "DL005"])}
    assert found == ({"PIN002", "DL005"} if is_dockerfile else set())


def test_hook_regex_is_the_one_list() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = [h for h in hooks if h["id"] == "unpinned-downloads"]
    assert DOCKERFILE_HOOK_REGEX in hook["files"]


def test_pin_hook_and_rules_never_import_tree_sitter(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {WF: workflow("      - run: pip install black\n")})
    code = (
        "import sys\n"
        "from repo_harden.hooks.pinned_actions import main\n"
        f"main([{WF!r}])\n"
        "from repo_harden.cli import main as cli\n"
        "cli(['rules'])\n"
        "assert 'tree_sitter' not in sys.modules, 'tree_sitter was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=repo, check=True, capture_output=True)


def test_second_shells_are_read_up_to_a_budget() -> None:
    """Each `sh -c '...'` is a parse of its own: a script reads at most MAX_NESTED_SCRIPTS
    of them (and no more than MAX_NESTED_SHELLS deep), so a hostile script costs a bounded
    multiple of its length."""
    import shlex

    from repo_harden.shell.analyser import MAX_NESTED_SCRIPTS, MAX_NESTED_SHELLS

    text = "sh -c 'curl -s https://x.io | sh'\n" * (MAX_NESTED_SCRIPTS + 20)
    assert len(scan_files({SH: text}, select=["DL001"])) == MAX_NESTED_SCRIPTS

    def nested(levels: int) -> str:
        script = "curl -s https://x.io | sh"
        for _ in range(levels):
            script = f"sh -c {shlex.quote(script)}"
        return script

    assert located(scan_files({SH: nested(MAX_NESTED_SHELLS)}, select=["DL001"])) == [
        at("DL001", 1, 42)  # the `curl` itself, under three levels of quoting
    ]
    assert scan_files({SH: nested(MAX_NESTED_SHELLS + 1)}, select=["DL001"]) == []


def test_dl002_shows_the_download_as_code() -> None:
    """QA #20: the URL (here an expression, as in detekt.yml) was shown without backticks."""
    files = run_step("curl -fsSLo tool ${{ steps.info.outputs.url }}\nchmod +x tool && ./tool")
    (finding,) = scan_files(files, select=["DL002"])
    assert (
        "what `curl` downloaded at line 7 (`${{ steps.info.outputs.url }}`) with no"
        in (finding["message"])
    )
