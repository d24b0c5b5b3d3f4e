"""Smoke test over 175 real workflows (actions/starter-workflows): no crash, no parse
error, and a stable count of findings."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path
from typing import Any

from tests.conftest import CORPUS, make_repo

# Counted by hand-checked runs; a change here means a rule changed behaviour: look why.
# PIN002 4: three job/service images and one `docker run` (jekyll). DL001 3: rustup, the IBM
# CLI and kustomize's install script piped to a shell. DL002 6: hugo's .deb, kustomize (two),
# detekt, Polaris and Veracode run unverified. DL003 19: pip/conda/gem/cargo/npm installs
# without versions, `npm install` without `npm ci`, `npx webpack` in a repository with no
# package.json (not eslint.yml's `npx eslint`, which runs the `eslint@8.10.0` the step
# before installed). DL006 6: `helm-version`/`kompose-version`/`kubectl-version: latest`,
# crda.yml's `crda: "latest"` (openshift-tools-installer's inputs are tool names), and two
# actions that install the newest release when their version input is left out (issue 15):
# `hashicorp/setup-terraform` (terraform.yml says so: "Install the latest version of
# Terraform CLI") and `shivammathur/setup-php` with no `php-version` and no `.php-version`.
# WF001 67: 51 jobs in workflows that set no `permissions:` (the default token applies), and
# 16 = 8 Pages workflows x `pages: write` and `id-token: write` given to the build job too.
# WF004 16: 13 Azure deployments with a publish profile, one `azure/login` with `creds`, the
# AWS deployment's access keys and cloudrail's `AWS_SECRET_ACCESS_KEY` from a secret (the
# Google and AKS deployments log in through OIDC). WF005 12: `npm publish` twice (npm, and
# GitHub Packages) and 10 images pushed with no attestation (docker-publish signs with
# cosign, python-publish uses trusted publishing). No WF002: of the three pull_request_target
# workflows, greetings checks nothing out, crda checks out the base branch and frogbot the
# head commit in a deployment environment (a reviewer's gate). No WF003: no `run:` expands an
# outsider's text (see tests/test_wf_rules.py and benchmarks/zizmor_agreement.py).
EXPECTED = {
    "PIN001": 403,
    "PIN002": 4,
    "DL001": 3,
    "DL002": 6,
    "DL003": 19,
    "DL006": 6,
    "WF001": 67,
    "WF004": 16,
    "WF005": 12,
}


def corpus_repo(root: Path) -> Path:
    repo = make_repo(root, {".github/CODEOWNERS": "* @acme/maintainers\n"})
    workflows = repo / ".github" / "workflows"
    workflows.mkdir(parents=True)
    for source in sorted(CORPUS.rglob("*.y*ml")):
        shutil.copy(source, workflows / f"{source.parent.name}-{source.name}")
    return repo


def test_starter_workflows(cli: Any, tmp_path: Path) -> None:
    repo = corpus_repo(tmp_path / "corpus")
    assert len(list((repo / ".github" / "workflows").iterdir())) == 175
    result = cli("scan", "--format", "json", cwd=repo)
    assert result.err == ""
    findings = result.json()["findings"]
    assert dict(Counter(f["rule"] for f in findings)) == EXPECTED
    assert all(f["line"] and f["column"] for f in findings)
    assert len({f["fingerprint"] for f in findings}) == len(findings)
