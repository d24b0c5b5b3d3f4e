"""WF001-WF005: a table of cases per rule, true and false, as (files, expected findings as
(rule, path, line, column)), run in memory as `scan` judges a checkout. The cases are the
shapes real workflows take (several copied from actions/starter-workflows in
tests/corpus); each table has the false positives the rule must not report, the ones
peers are criticised for. The CLI and the hook are tested on top."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CORPUS, make_repo
from tests.rule_tables import located, scan_files

WF = ".github/workflows/ci.yml"
CALLED = ".github/workflows/build.yml"
SHA = "11bd71901bbe5b1630ceea73d27597364c9af683"
CHECKOUT = f"actions/checkout@{SHA}"

Expected = list[tuple[str, str, int, int]]
Case = tuple[str, dict[str, str], Expected]


def job(steps: str, *, on: str = "push", top: str = "", extra: str = "") -> str:
    """A one-job workflow: `on`, top-level lines, then job `build` with `extra` lines and
    the given steps (indented by 6)."""
    return f"on: {on}\n{top}jobs:\n  build:\n    runs-on: ubuntu-latest\n{extra}    steps:\n{steps}"


def corpus(name: str) -> str:
    return (CORPUS / name).read_text(encoding="utf-8")


def _run_table(files: dict[str, str], select: str) -> Expected:
    return located(scan_files(files, select=[select]))


def _messages(files: dict[str, str], select: str) -> list[dict[str, Any]]:
    return scan_files(files, select=[select])


# WF001 ----------------------------------------------------------------------------------

READ = "permissions:\n  contents: read\n"

WF001_CASES: list[Case] = [
    ("no permissions anywhere", {WF: job("      - run: make\n")}, [("WF001", WF, 3, 3)]),
    (
        "each job without permissions is named",
        {
            WF: "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: a\n"
            "  b:\n    runs-on: x\n    permissions: {}\n    steps:\n      - run: b\n"
            "  c:\n    uses: ./.github/workflows/build.yml\n"
        },
        [("WF001", WF, 3, 3), ("WF001", WF, 12, 3)],
    ),
    ("read-only at the top", {WF: job("      - run: make\n", top=READ)}, []),
    (
        "read-all is not a write",
        {WF: job("      - run: make\n", top="permissions: read-all\n")},
        [],
    ),
    (
        "write-all at the top",
        {WF: job("      - run: make\n", top="permissions: write-all\n")},
        [("WF001", WF, 2, 14)],
    ),
    (
        "write-all on the job",
        {WF: job("      - run: make\n", top=READ, extra="    permissions: write-all\n")},
        [("WF001", WF, 7, 18)],
    ),
    (
        "a job that runs nothing gets no token (GitHub rejects it)",
        {WF: "on: push\njobs:\n  build:\n    key: {{ value }}\n"},
        [],
    ),
    (
        "contents: write used by git push",
        {
            WF: job(
                f"      - uses: {CHECKOUT}\n      - run: |\n          make docs\n"
                "          git commit -am docs && git push\n",
                top="permissions:\n  contents: write\n",
            )
        },
        [],
    ),
    (
        "contents: write that nothing uses (a job that only builds and tests)",
        {
            WF: job(
                f"      - uses: {CHECKOUT}\n      - uses: actions/setup-node@v4\n"
                "      - run: npm ci && npm test\n",
                top="permissions:\n  contents: write\n",
            )
        },
        [("WF001", WF, 3, 3)],
    ),
    (
        "contents: write with an action we do not know: not judged",
        {
            WF: job(
                f"      - uses: {CHECKOUT}\n      - uses: some-org/release-thing@v1\n",
                top="permissions:\n  contents: write\n",
            )
        },
        [],
    ),
    (
        "a script handed the token may use it any way: not judged",
        {
            WF: job(
                "      - run: ./scripts/release.sh\n        env:\n"
                "          GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}\n",
                top="permissions:\n  contents: write\n",
            )
        },
        [],
    ),
    (
        "gh release needs contents, not issues",
        {
            WF: job(
                "      - run: gh release create v1 dist/*\n        env:\n"
                "          GH_TOKEN: ${{ github.token }}\n",
                top="permissions:\n  contents: write\n  issues: write\n",
            )
        },
        [("WF001", WF, 4, 3)],
    ),
    (
        "actions/stale writes issues and pull requests",
        {
            WF: job(
                "      - uses: actions/stale@v9\n",
                on="schedule",
                extra="    permissions:\n      issues: write\n      pull-requests: write\n",
            )
        },
        [],
    ),
    (
        "packages: write to push to ghcr.io",
        {
            WF: job(
                "      - uses: docker/login-action@v3\n        with:\n          registry: ghcr.io\n"
                "      - run: docker push ghcr.io/acme/app:latest\n",
                extra="    permissions:\n      packages: write\n",
            )
        },
        [],
    ),
    (
        "packages: write with no GitHub registry in sight",
        {
            WF: job(
                "      - run: docker push docker.io/acme/app:latest\n",
                extra="    permissions:\n      packages: write\n",
            )
        },
        [("WF001", WF, 6, 7)],
    ),
    (
        "id-token for an OIDC login",
        {
            WF: job(
                "      - uses: aws-actions/configure-aws-credentials@v4\n        with:\n"
                "          role-to-assume: arn:aws:iam::1:role/deploy\n          aws-region: x\n",
                extra="    permissions:\n      id-token: write\n      contents: read\n",
            )
        },
        [],
    ),
    (
        # actions/starter-workflows pages/astro.yml: `pages` and `id-token` are given to the
        # build job, which runs npm and the site's own build, and only the deploy job uses them.
        "starter workflow pages/astro.yml",
        {WF: corpus("pages/astro.yml")},
        [("WF001", WF, 18, 3), ("WF001", WF, 19, 3)],
    ),
    (
        "a reusable workflow bounded by callers that set permissions",
        {
            WF: f"on: push\n{READ}jobs:\n  call:\n    uses: ./.github/workflows/build.yml\n",
            CALLED: "on: workflow_call\njobs:\n  b:\n    runs-on: x\n    steps:\n      - run: make\n",
        },
        [],
    ),
    (
        "a reusable workflow nobody in the repository calls",
        {CALLED: "on: workflow_call\njobs:\n  b:\n    runs-on: x\n    steps:\n      - run: make\n"},
        [("WF001", CALLED, 3, 3)],
    ),
    (
        "a reusable workflow whose caller sets none: the caller is reported",
        {
            WF: "on: push\njobs:\n  call:\n    uses: ./.github/workflows/build.yml\n",
            CALLED: "on: workflow_call\njobs:\n  b:\n    runs-on: x\n    steps:\n      - run: make\n",
        },
        [("WF001", WF, 3, 3)],
    ),
]


@pytest.mark.parametrize(
    ("files", "expected"), [c[1:] for c in WF001_CASES], ids=[c[0] for c in WF001_CASES]
)
def test_wf001(files: dict[str, str], expected: Expected) -> None:
    assert _run_table(files, "WF001") == expected


def test_wf001_messages_and_severities(cli: Any, tmp_path: Path) -> None:
    files = {
        WF: corpus("pages/astro.yml"),
        ".github/workflows/other.yml": job("      - run: make\n"),
    }
    repo = make_repo(tmp_path / "repo", files)
    found = cli("scan", "--format", "json", "--select", "WF001", cwd=repo).json()["findings"]
    by_line = {(f["path"], f["line"]): f for f in found}
    missing = by_line[(".github/workflows/other.yml", 3)]
    assert missing["severity"] == "error"
    assert "job `build` sets no `permissions:`" in missing["message"]
    assert "read and write on every scope unless" in missing["message"]
    assert "`permissions: contents: read`" in missing["message"]
    pages = by_line[(WF, 18)]
    assert pages["severity"] == "warning"
    assert "`pages: write`" in pages["message"]
    assert "job `build` does nothing with it" in pages["message"]
    assert "replace the published site" in pages["message"]
    assert pages["message"].endswith(
        "; move it into the `permissions:` of the job that may use it, `deploy`"
    )


def test_wf001_names_each_job_that_may_use_a_workflow_scope() -> None:
    files = {
        WF: "on: push\npermissions:\n  contents: read\n  packages: write\njobs:\n"
        "  lint:\n    runs-on: x\n    steps:\n      - run: make lint\n"
        "  a:\n    runs-on: x\n    steps:\n      - run: docker push ghcr.io/o/a\n"
        "  b:\n    runs-on: x\n    steps:\n      - run: docker push ghcr.io/o/b\n"
    }
    (finding,) = _messages(files, "WF001")
    assert finding["message"].endswith(
        "; move it into the `permissions:` of each job that may use it (`a`, `b`)"
    )


# WF002 ----------------------------------------------------------------------------------

HEAD_SHA = "${{ github.event.pull_request.head.sha }}"
PR_CHECKOUT = f"      - uses: {CHECKOUT}\n        with:\n          ref: {HEAD_SHA}\n"
PR_REF_CHECKOUT = f"      - uses: {CHECKOUT}\n        with:\n          ref: ${{{{ github.event.pull_request.head.ref }}}}\n"

WF002_CASES: list[Case] = [
    (
        "pull_request_target builds the pull request with the default token",
        {WF: job(PR_CHECKOUT + "      - run: npm ci && npm test\n", on="pull_request_target")},
        [("WF002", WF, 8, 16)],
    ),
    (
        "issue_comment checks out with gh and runs make with a secret",
        {
            WF: job(
                "      - run: |\n          gh pr checkout ${{ github.event.issue.number }}\n"
                "          make test\n        env:\n          GH_TOKEN: ${{ github.token }}\n"
                "          DEPLOY_KEY: ${{ secrets.DEPLOY_KEY }}\n",
                on="issue_comment",
                top=READ,
            )
        },
        [("WF002", WF, 9, 11)],
    ),
    (
        "git fetches the pull ref, then make runs with a write token",
        {
            WF: job(
                "      - run: |\n          git config user.name bot\n"
                "          git fetch origin pull/${{ github.event.issue.number }}/head:pr\n"
                "          git checkout pr && make\n",
                on="issue_comment",
                top="permissions:\n  contents: write\n",
            )
        },
        [("WF002", WF, 10, 11)],
    ),
    (
        "git that fetches no pull request code is not a checkout",
        {
            WF: job(
                "      - run: |\n          git fetch origin main && git log -1\n          make\n",
                on="issue_comment",
            )
        },
        [],
    ),
    (
        "workflow_run runs a local action from the head it checked out",
        {
            WF: job(
                f"      - uses: {CHECKOUT}\n        with:\n"
                "          ref: ${{ github.event.workflow_run.head_sha }}\n"
                "      - uses: ./.github/actions/report\n",
                on="workflow_run",
                top="permissions:\n  pull-requests: write\n",
            )
        },
        [("WF002", WF, 10, 16)],
    ),
    (
        "the trigger alone: greeting first-time contributors",
        {WF: corpus("automation/greetings.yml")},
        [],
    ),
    (
        # The base at the root, the pull request in pr/ read as data by the base's script.
        "checked out into a folder that is only read",
        {
            WF: job(
                f"      - uses: {CHECKOUT}\n"
                + PR_CHECKOUT
                + "          path: pr\n      - run: npm ci && node check.js pr/package.json\n",
                on="pull_request_target",
            )
        },
        [],
    ),
    (
        "built in the folder it was checked out to",
        {
            WF: job(
                PR_CHECKOUT
                + "          path: pr\n      - run: npm ci\n        working-directory: pr\n",
                on="pull_request_target",
            )
        },
        [("WF002", WF, 8, 16)],
    ),
    (
        "read-only token and no secrets: nothing to take",
        {
            WF: job(
                PR_CHECKOUT + "      - run: npm ci && npm test\n",
                on="pull_request_target",
                top=READ,
            )
        },
        [],
    ),
    (
        "gated to pull requests from the repository itself",
        {
            WF: job(
                PR_CHECKOUT + "      - run: make\n",
                on="pull_request_target",
                extra="    if: github.event.pull_request.head.repo.full_name == github.repository\n",
            )
        },
        [],
    ),
    (
        "gated on a maintainer's label, the labelled commit checked out",
        {
            WF: job(
                PR_CHECKOUT + "      - run: make\n",
                on="pull_request_target",
                extra="    if: github.event.label.name == 'safe to test'\n",
            )
        },
        [],
    ),
    (
        "gated on a label, but the branch checked out (it can move after the label)",
        {
            WF: job(
                PR_REF_CHECKOUT + "      - run: make\n",
                on="pull_request_target",
                extra="    if: github.event.label.name == 'safe to test'\n",
            )
        },
        [("WF002", WF, 9, 16)],
    ),
    (
        "a pull_request workflow is not privileged",
        {WF: job(PR_CHECKOUT + "      - run: npm ci\n", on="pull_request")},
        [],
    ),
    (
        "the base branch checked out again over it before anything runs",
        {
            WF: job(
                PR_CHECKOUT + "      - run: git diff --stat\n"
                f"      - uses: {CHECKOUT}\n      - run: make\n",
                on="pull_request_target",
            )
        },
        [],
    ),
    (
        # actions/starter-workflows code-scanning/frogbot-scan-pr.yml: the head SHA, scanned in
        # the `frogbot` environment, which JFrog asks to protect with required reviewers.
        "starter workflow code-scanning/frogbot-scan-pr.yml",
        {WF: corpus("code-scanning/frogbot-scan-pr.yml")},
        [],
    ),
    (
        "a reusable workflow that builds the head, called by pull_request_target",
        {
            WF: "on: pull_request_target\njobs:\n  call:\n"
            "    uses: ./.github/workflows/build.yml\n    secrets: inherit\n",
            CALLED: "on: workflow_call\njobs:\n  b:\n    runs-on: x\n"
            f"    permissions: {{}}\n    steps:\n{PR_CHECKOUT}      - run: make\n",
        },
        [("WF002", CALLED, 9, 16)],
    ),
]


@pytest.mark.parametrize(
    ("files", "expected"), [c[1:] for c in WF002_CASES], ids=[c[0] for c in WF002_CASES]
)
def test_wf002(files: dict[str, str], expected: Expected) -> None:
    assert _run_table(files, "WF002") == expected


def test_wf002_message_names_trigger_steps_and_what_is_held() -> None:
    files = {
        WF: "on: pull_request_target\njobs:\n  call:\n"
        "    uses: ./.github/workflows/build.yml\n    secrets: inherit\n",
        CALLED: "on: workflow_call\njobs:\n  b:\n    runs-on: x\n"
        f"    permissions: {{}}\n    steps:\n{PR_CHECKOUT}      - run: make\n",
    }
    (finding,) = _messages(files, "WF002")
    message = finding["message"]
    assert message.startswith("job `b` runs on `pull_request_target` (this reusable workflow is")
    assert "called by job `call` of `.github/workflows/ci.yml`)," in message
    assert f"step 1 (`{CHECKOUT}`) with `ref: {HEAD_SHA}`, then" in message
    assert "runs it in step 2 (`make`) while" in message  # not `make` twice
    assert ") (" not in message and "))" not in message  # no stacked parentheses
    assert "every secret of the repository" in message
    assert "`workflow_run`" in message


# WF003 ----------------------------------------------------------------------------------

ISSUES = "\n  issues:\n    types: [opened]"

WF003_CASES: list[Case] = [
    (
        "an issue title in a run script",
        {WF: job('      - run: echo "${{ github.event.issue.title }}"\n', on=ISSUES)},
        [("WF003", WF, 8, 20)],
    ),
    (
        "the head branch on pull_request_target",
        {
            WF: job(
                "      - run: git push origin HEAD:${{ github.head_ref }}\n",
                on="pull_request_target",
            )
        },
        [("WF003", WF, 6, 35)],
    ),
    (
        "a comment body in github-script",
        {
            WF: job(
                "      - uses: actions/github-script@v7\n        with:\n          script: |\n"
                "            const body = `${{ github.event.comment.body }}`\n",
                on="issue_comment",
            )
        },
        [("WF003", WF, 9, 27)],
    ),
    (
        "through env: one level",
        {
            WF: job(
                '      - run: echo "${{ env.TITLE }}"\n',
                on=ISSUES,
                top="env:\n  TITLE: ${{ github.event.issue.title }}\n",
            )
        },
        [("WF003", WF, 10, 20)],
    ),
    (
        "as an environment variable: the fix",
        {
            WF: job(
                '      - run: echo "$TITLE"\n        env:\n'
                "          TITLE: ${{ github.event.issue.title }}\n",
                on=ISSUES,
            )
        },
        [],
    ),
    (
        "only tested, never expanded",
        {
            WF: job(
                "      - run: echo ${{ contains(github.event.issue.title, 'bug') }}\n",
                on=ISSUES,
            )
        },
        [],
    ),
    (
        "a field nobody can choose (the issue number)",
        {WF: job("      - run: echo ${{ github.event.issue.number }}\n", on=ISSUES)},
        [],
    ),
    (
        "a pull_request workflow: the fork already runs its own code",
        {WF: job('      - run: echo "${{ github.head_ref }}"\n', on="pull_request")},
        [],
    ),
    (
        "the head branch on push: empty there (GitHub fills it for pull requests only)",
        {WF: job('      - run: echo "${{ github.head_ref }}"\n')},
        [],
    ),
    (
        "the head branch on push and pull_request: empty on one, the fork's own run on the other",
        {WF: job('      - run: echo "${{ github.head_ref }}"\n', on="[push, pull_request]")},
        [],
    ),
    (
        "an issue's title on pull_request_target: no issue in that event",
        {
            WF: job(
                '      - run: echo "${{ github.event.issue.title }}"\n', on="pull_request_target"
            )
        },
        [],
    ),
    (
        "the head branch in a reusable workflow its caller runs on push",
        {
            WF: f"on: push\n{READ}jobs:\n  call:\n    uses: ./.github/workflows/build.yml\n",
            CALLED: "on: workflow_call\njobs:\n  b:\n    runs-on: x\n    steps:\n"
            '      - run: echo "${{ github.head_ref }}"\n',
        },
        [],
    ),
    (
        "the head branch in a reusable workflow with no caller here: any event may call it",
        {
            CALLED: "on: workflow_call\njobs:\n  b:\n    runs-on: x\n    steps:\n"
            '      - run: echo "${{ github.head_ref }}"\n',
        },
        [("WF003", CALLED, 6, 20)],
    ),
    (
        # actions/starter-workflows automation/manual.yml: only those who can write to the
        # repository can start a workflow_dispatch, so its input is not an outsider's text.
        "starter workflow automation/manual.yml (workflow_dispatch input)",
        {WF: corpus("automation/manual.yml")},
        [],
    ),
    (
        "a merged commit's message on push",
        {WF: job('      - run: echo "${{ github.event.head_commit.message }}"\n')},
        [("WF003", WF, 6, 20)],
    ),
    (
        "the whole event as JSON",
        {
            WF: job(
                "      - run: echo '${{ toJSON(github.event) }}' > event.json\n", on="issue_comment"
            )
        },
        [("WF003", WF, 6, 20)],
    ),
    (
        "a Python step is injected just the same",
        {
            WF: job(
                "      - shell: python\n        run: print('${{ github.event.issue.body }}')\n",
                on=ISSUES,
            )
        },
        [("WF003", WF, 9, 21)],
    ),
    (
        "a composite action",
        {
            ".github/actions/greet/action.yml": "runs:\n  using: composite\n  steps:\n"
            '    - run: echo "${{ github.event.pull_request.title }}"\n      shell: bash\n'
        },
        [("WF003", ".github/actions/greet/action.yml", 4, 18)],
    ),
    (
        "a reusable workflow's input filled with an issue title by its caller",
        {
            WF: f"on: issues\n{READ}jobs:\n  call:\n    uses: ./.github/workflows/build.yml\n"
            "    with:\n      title: ${{ github.event.issue.title }}\n",
            CALLED: "on:\n  workflow_call:\n    inputs:\n      title: {type: string}\n"
            'jobs:\n  b:\n    runs-on: x\n    steps:\n      - run: echo "${{ inputs.title }}"\n',
        },
        [("WF003", CALLED, 9, 20)],
    ),
]


@pytest.mark.parametrize(
    ("files", "expected"), [c[1:] for c in WF003_CASES], ids=[c[0] for c in WF003_CASES]
)
def test_wf003(files: dict[str, str], expected: Expected) -> None:
    assert _run_table(files, "WF003") == expected


def test_wf003_message_gives_the_env_fix() -> None:
    files = {WF: job('      - run: echo "${{ github.event.issue.title }}"\n', on=ISSUES)}
    (finding,) = _messages(files, "WF003")
    message = finding["message"]
    assert message.startswith('job `build`, step 1 (`echo "${{ github.event.issue.title }}"`)')
    assert "anyone who can open an issue" in message
    assert "on `issues`" in message
    assert "`env: TITLE: ${{ github.event.issue.title }}`" in message
    assert '`"$TITLE"` in the script' in message


# WF004 ----------------------------------------------------------------------------------

AWS_KEYS = (
    "      - uses: aws-actions/configure-aws-credentials@v4\n        with:\n"
    "          aws-access-key-id: ${{ secrets.AWS_ACCESS_KEY_ID }}\n"
    "          aws-secret-access-key: ${{ secrets.AWS_SECRET_ACCESS_KEY }}\n"
    "          aws-region: eu-west-1\n"
)

WF004_CASES: list[Case] = [
    ("AWS keys to configure-aws-credentials", {WF: job(AWS_KEYS)}, [("WF004", WF, 9, 34)]),
    (
        "AWS through OIDC",
        {
            WF: job(
                "      - uses: aws-actions/configure-aws-credentials@v4\n        with:\n"
                "          role-to-assume: arn:aws:iam::1:role/deploy\n          aws-region: x\n"
            )
        },
        [],
    ),
    (
        "a Google service account key",
        {
            WF: job(
                "      - uses: google-github-actions/auth@v2\n        with:\n"
                "          credentials_json: ${{ secrets.GCP_SA_KEY }}\n"
            )
        },
        [("WF004", WF, 8, 29)],
    ),
    (
        "Google through workload identity federation",
        {
            WF: job(
                "      - uses: google-github-actions/auth@v2\n        with:\n"
                "          workload_identity_provider: projects/1/locations/global/x\n"
                "          service_account: deploy@p.iam.gserviceaccount.com\n"
            )
        },
        [],
    ),
    (
        "an Azure service principal secret",
        {
            WF: job(
                "      - uses: azure/login@v2\n        with:\n          creds: ${{ secrets.AZURE_CREDENTIALS }}\n"
            )
        },
        [("WF004", WF, 8, 18)],
    ),
    (
        "Azure through OIDC",
        {
            WF: job(
                "      - uses: azure/login@v2\n        with:\n          client-id: ${{ vars.ID }}\n"
                "          tenant-id: ${{ vars.TENANT }}\n          subscription-id: ${{ vars.SUB }}\n"
            )
        },
        [],
    ),
    (
        "a key exported in the job's env",
        {
            WF: job(
                "      - run: aws s3 ls\n",
                extra="    env:\n      AWS_SECRET_ACCESS_KEY: ${{ secrets.KEY }}\n",
            )
        },
        [("WF004", WF, 6, 30)],
    ),
    (
        "a key from a step's output (an OIDC exchange) is not stored",
        {
            WF: job(
                "      - run: aws s3 ls\n        env:\n          AWS_SECRET_ACCESS_KEY: ${{ steps.sts.outputs.key }}\n"
            )
        },
        [],
    ),
    (
        "aws configure set in a script",
        {WF: job("      - run: aws configure set aws_secret_access_key ${{ secrets.KEY }}\n")},
        [("WF004", WF, 6, 32)],
    ),
    (
        "az login with a password",
        {
            WF: job(
                "      - run: az login --service-principal -u app -p ${{ secrets.PW }} --tenant t\n"
            )
        },
        [("WF004", WF, 6, 53)],
    ),
    (
        "az login with a federated token",
        {
            WF: job(
                '      - run: az login --service-principal -u app --tenant t --federated-token "$(cat $T)"\n'
            )
        },
        [],
    ),
    (
        # actions/starter-workflows deployments/azure-webapps-node.yml deploys with a
        # publish profile: basic-auth credentials that do not expire.
        "starter workflow deployments/azure-webapps-node.yml",
        {WF: corpus("deployments/azure-webapps-node.yml")},
        [("WF004", WF, 77, 26)],
    ),
]


@pytest.mark.parametrize(
    ("files", "expected"), [c[1:] for c in WF004_CASES], ids=[c[0] for c in WF004_CASES]
)
def test_wf004(files: dict[str, str], expected: Expected) -> None:
    assert _run_table(files, "WF004") == expected


def test_wf004_message_shows_the_oidc_form() -> None:
    (finding,) = _messages({WF: job(AWS_KEYS)}, "WF004")
    assert finding["message"].startswith("job `build`, step 1 (`aws-actions/configure-aws")
    assert "`permissions: id-token: write`" in finding["message"]
    assert "`role-to-assume: arn:aws:iam::<account-id>:role/<role>`" in finding["message"]


# WF005 ----------------------------------------------------------------------------------

RELEASE = "\n  release:\n    types: [published]"
NPM_PUBLISH = (
    "      - run: npm publish\n        env:\n          NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}\n"
)
ATTEST = (
    "      - uses: actions/attest-build-provenance@v2\n        with:\n"
    "          subject-name: ghcr.io/acme/app\n          subject-digest: ${{ steps.b.outputs.digest }}\n"
)

WF005_CASES: list[Case] = [
    ("npm publish with a token", {WF: job(NPM_PUBLISH, on=RELEASE)}, [("WF005", WF, 8, 14)]),
    (
        "npm publish --provenance",
        {WF: job(NPM_PUBLISH.replace("npm publish", "npm publish --provenance"), on=RELEASE)},
        [],
    ),
    (
        "provenance in package.json",
        {
            WF: job(NPM_PUBLISH, on=RELEASE),
            "package.json": '{"name": "x", "publishConfig": {"provenance": true}}\n',
        },
        [],
    ),
    (
        "NPM_CONFIG_PROVENANCE",
        {WF: job(NPM_PUBLISH, on=RELEASE, top="env:\n  NPM_CONFIG_PROVENANCE: true\n")},
        [],
    ),
    (
        "npm trusted publishing (an OIDC token and no npm token)",
        {
            WF: job(
                "      - run: npm publish\n",
                on=RELEASE,
                extra="    permissions:\n      id-token: write\n      contents: read\n",
            )
        },
        [],
    ),
    (
        "twine with a stored token",
        {
            WF: job(
                "      - run: twine upload dist/*\n        env:\n"
                "          TWINE_USERNAME: __token__\n          TWINE_PASSWORD: ${{ secrets.PYPI }}\n",
                on=RELEASE,
            )
        },
        [("WF005", WF, 8, 14)],
    ),
    (
        "PyPI trusted publishing",
        {WF: job("      - uses: pypa/gh-action-pypi-publish@release/v1\n", on=RELEASE)},
        [],
    ),
    (
        "pypi-publish given a password",
        {
            WF: job(
                "      - uses: pypa/gh-action-pypi-publish@release/v1\n        with:\n"
                "          password: ${{ secrets.PYPI_API_TOKEN }}\n",
                on=RELEASE,
            )
        },
        [("WF005", WF, 8, 15)],
    ),
    (
        "judged per step: the stored password is reported though another job uses trusted publishing",
        {
            WF: f"on: push\n{READ}jobs:\n  test-pypi:\n    runs-on: x\n    steps:\n"
            "      - run: python -m twine upload -p ${{ secrets.TEST_PYPI }} dist/*\n"
            "  pypi:\n    runs-on: x\n    permissions:\n      id-token: write\n    steps:\n"
            "      - uses: pypa/gh-action-pypi-publish@release/v1\n"
        },
        [("WF005", WF, 8, 14)],
    ),
    (
        "uv publish through trusted publishing",
        {WF: job("      - run: uv publish\n", on=RELEASE)},
        [],
    ),
    (
        "uv publish with a token",
        {WF: job("      - run: uv publish --token ${{ secrets.PYPI }}\n", on=RELEASE)},
        [("WF005", WF, 8, 14)],
    ),
    (
        "an image pushed with no attestation",
        {
            WF: job(
                "      - uses: docker/build-push-action@v6\n        id: b\n        with:\n"
                "          push: true\n          tags: ghcr.io/acme/app:latest\n"
            )
        },
        [("WF005", WF, 6, 15)],
    ),
    (
        "an image pushed and attested",
        {
            WF: job(
                "      - uses: docker/build-push-action@v6\n        id: b\n        with:\n"
                "          push: true\n" + ATTEST
            )
        },
        [],
    ),
    (
        "an image built for pull requests, not pushed",
        {
            WF: job(
                "      - uses: docker/build-push-action@v6\n        with:\n          push: false\n"
            )
        },
        [],
    ),
    (
        # actions/starter-workflows ci/docker-publish.yml signs the pushed image with keyless
        # cosign: the certificate names the workflow that built it.
        "starter workflow ci/docker-publish.yml (cosign)",
        {WF: corpus("ci/docker-publish.yml")},
        [],
    ),
    (
        "GoReleaser release",
        {
            WF: job(
                "      - uses: goreleaser/goreleaser-action@v6\n        with:\n          args: release --clean\n"
            )
        },
        [("WF005", WF, 6, 15)],
    ),
    (
        "GoReleaser snapshot",
        {
            WF: job(
                "      - uses: goreleaser/goreleaser-action@v6\n        with:\n          args: release --snapshot\n"
            )
        },
        [],
    ),
    (
        "release files",
        {WF: job("      - run: gh release upload v1 dist/app.tgz\n")},
        [("WF005", WF, 6, 14)],
    ),
    (
        "release files attested",
        {WF: job("      - run: gh release upload v1 dist/app.tgz\n" + ATTEST)},
        [],
    ),
]


@pytest.mark.parametrize(
    ("files", "expected"), [c[1:] for c in WF005_CASES], ids=[c[0] for c in WF005_CASES]
)
def test_wf005(files: dict[str, str], expected: Expected) -> None:
    assert _run_table(files, "WF005") == expected


def test_wf005_pypi_message_says_trusted_publishing_would_do() -> None:
    files = {
        WF: job(
            "      - uses: pypa/gh-action-pypi-publish@release/v1\n        with:\n"
            "          password: ${{ secrets.PYPI_API_TOKEN }}\n",
            on=RELEASE,
        )
    }
    (finding,) = _messages(files, "WF005")
    assert "stored credential (`password: ${{ secrets.PYPI_API_TOKEN }}`)" in finding["message"]
    assert "Trusted publishing would do" in finding["message"]


# The hook --------------------------------------------------------------------------------


def test_workflow_boundaries_hook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from repo_harden.hooks.workflow_boundaries import main

    bad = job('      - run: echo "${{ github.event.issue.title }}"\n', on=ISSUES)
    repo = make_repo(tmp_path / "repo", {WF: bad, "other.yml": bad})
    shutil.copy(CORPUS / "pages" / "astro.yml", repo / ".github" / "workflows" / "pages.yml")
    monkeypatch.chdir(repo)
    assert main([WF]) == 1
    assert main(["other.yml"]) == 0


ALL_CASES = WF001_CASES + WF002_CASES + WF003_CASES + WF004_CASES + WF005_CASES


@pytest.mark.parametrize(
    "files", [case[1] for case in ALL_CASES], ids=[case[0] for case in ALL_CASES]
)
def test_every_wf_rule_reads_every_case_without_crashing(files: dict[str, str]) -> None:
    """Each table runs its own rule; here every WF rule reads every table's files (a crash is
    an assertion error in `scan_files`), and what the tables expect is among the findings."""
    found = located(scan_files(files, select=["WF"]))
    expected = {f for case in ALL_CASES if case[1] is files for f in case[2]}
    assert expected <= set(found)


# zizmor's comments for its audits that match a WF rule; zizmor 1.33.1 honours both of
# these on the same lines (checked by hand: "2 ignored").
_ZIZMOR_WORKFLOW = """on:
  issues:
jobs:
  build:{job_comment}
    runs-on: ubuntu-latest
    steps:
      - run: echo "${{{{ github.event.issue.title }}}}"{step_comment}
"""


@pytest.mark.parametrize(
    ("job_comment", "step_comment", "expected"),
    [
        ("", "", [("WF001", 4, 3), ("WF003", 7, 20)]),
        ("  # zizmor: ignore[excessive-permissions]", "", [("WF003", 7, 20)]),
        ("", "  # zizmor: ignore[template-injection]", [("WF001", 4, 3)]),
        ("  # zizmor: ignore[template-injection]", "  # zizmor: ignore[excessive-permissions]",
         [("WF001", 4, 3), ("WF003", 7, 20)]),
    ],
)  # fmt: skip
def test_zizmor_ignores_stand_for_the_matching_wf_rules(
    job_comment: str, step_comment: str, expected: list[tuple[str, int, int]]
) -> None:
    text = _ZIZMOR_WORKFLOW.format(job_comment=job_comment, step_comment=step_comment)
    found = scan_files({".github/workflows/t.yml": text}, select=["WF001", "WF003"])
    assert [(f["rule"], f["line"], f["column"]) for f in found] == expected
