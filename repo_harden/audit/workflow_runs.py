"""Did it run? The runs of a workflow in a window of time (REST `actions/workflows/{file}/
runs?created=FROM..TO`), and from each run's job logs that GitHub still keeps, the commit
the runner downloaded for each action (`Download action repository 'owner/repo@ref'
(SHA:...)`, or an immutable action's `Source commit SHA`).

Only the workflows an inventory query matched are asked about, so the cost follows the
answer: one request per page of runs, one per run for its jobs, and one (and a download
of the log's head) per job. Logs past their retention answer 410 or 404: the run is listed
with `logs: expired`, and nothing is guessed about what it downloaded.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import quote

from repo_harden.audit.transport import Transport
from repo_harden.github.client import GitHubError
from repo_harden.inventory.runs import (
    EXPIRED,
    KEPT,
    NOT_READ,
    Downloaded,
    WorkflowRun,
    downloads_in_log,
)

PER_PAGE = 100
DEFAULT_MAX_RUNS = 100
LOG_HEAD_BYTES = 4 * 1024 * 1024  # actions are downloaded as a job sets up, at the start


def runs_between(
    transport: Transport,
    repository: str,
    workflow: str,
    window: tuple[str, str],
    *,
    max_runs: int = DEFAULT_MAX_RUNS,
) -> tuple[list[WorkflowRun], int]:
    """The workflow's runs created in the window, newest first, at most `max_runs`; and
    how many GitHub counts in all."""
    file_name = quote(workflow.rpartition("/")[2], safe="")
    created = quote(f"{window[0]}..{window[1]}", safe=":.")
    runs: list[WorkflowRun] = []
    total = 0
    page = 1
    while len(runs) < max_runs:
        path = (
            f"/repos/{repository}/actions/workflows/{file_name}/runs"
            f"?created={created}&per_page={PER_PAGE}&page={page}"
        )
        data = transport.rest_get(path).data
        listed = data.get("workflow_runs") if isinstance(data, dict) else None
        total = int(data.get("total_count") or 0) if isinstance(data, dict) else 0
        if not isinstance(listed, list) or not listed:
            break
        runs += [_run(repository, workflow, run) for run in listed if isinstance(run, dict)]
        if len(listed) < PER_PAGE:
            break
        page += 1
    return runs[:max_runs], max(total, len(runs))


def _run(repository: str, workflow: str, run: Mapping[str, Any]) -> WorkflowRun:
    head = run.get("head_repository") or {}
    base = run.get("repository") or {}
    head_name = head.get("full_name") if isinstance(head, dict) else None
    base_name = base.get("full_name") if isinstance(base, dict) else repository
    return WorkflowRun(
        repository=repository,
        workflow=workflow,
        id=int(run.get("id") or 0),
        url=str(run.get("html_url") or ""),
        event=str(run.get("event") or ""),
        head_sha=str(run.get("head_sha") or ""),
        head_branch=run.get("head_branch") if isinstance(run.get("head_branch"), str) else None,
        created_at=str(run.get("created_at") or ""),
        from_fork=bool(head_name) and str(head_name).lower() != str(base_name).lower(),
        conclusion=run.get("conclusion") if isinstance(run.get("conclusion"), str) else None,
    )


def read_downloads(transport: Transport, run: WorkflowRun, names: Collection[str]) -> None:
    """Fill in what the run's job logs show the runner downloaded, for the actions named
    (`owner/repo`, any case), or why the logs could not be read."""
    wanted = {name.lower() for name in names}
    try:
        jobs = _jobs(transport, run)
    except GitHubError as error:
        run.logs, run.logs_reason = NOT_READ, f"its jobs: {error}"
        return
    states = []
    for job_id in jobs:
        state, found = _job_downloads(transport, run.repository, job_id)
        states.append(state)
        for downloaded in found:
            if downloaded.name.lower() in wanted and downloaded not in run.downloaded:
                run.downloaded.append(downloaded)
    if states and all(state == EXPIRED for state in states):
        run.logs = EXPIRED
    elif any(state == KEPT for state in states):
        run.logs = KEPT
    else:
        run.logs = NOT_READ
        run.logs_reason = next((s for s in states if s not in (KEPT, EXPIRED)), "no jobs")


def _jobs(transport: Transport, run: WorkflowRun) -> list[int]:
    path = f"/repos/{run.repository}/actions/runs/{run.id}/jobs?per_page={PER_PAGE}"
    data = transport.rest_get(path).data
    jobs = data.get("jobs") if isinstance(data, dict) else None
    return [int(job["id"]) for job in jobs or () if isinstance(job, dict) and "id" in job]


def _job_downloads(
    transport: Transport, repository: str, job_id: int
) -> tuple[str, list[Downloaded]]:
    try:
        answer = transport.rest_get(
            f"/repos/{repository}/actions/jobs/{job_id}/logs", redirect=True
        )
    except GitHubError as error:
        if error.status in (404, 410):
            return EXPIRED, []
        return str(error), []
    location = answer.headers.get("location")
    if answer.status != 302 or not location:
        return f"GitHub answered {answer.status} with no log to download", []
    try:
        text, _cut = transport.download(location, LOG_HEAD_BYTES)
    except GitHubError as error:
        return f"the log: {error}", []
    return KEPT, downloads_in_log(text)
