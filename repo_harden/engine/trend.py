"""Compare an audit with the previous audit of the same targets: new and fixed findings per
rule family, and repositories whose branch protection changed (drift).

An audit is remembered as a digest: each repository's status and the identities of its
findings (rule and fingerprint), so a finding stays the same finding when lines move. Only
repositories audited both times are compared: one that failed, or was skipped, says nothing
about what was fixed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from repo_harden.core.model import rule_family
from repo_harden.engine.policy import Reported
from repo_harden.engine.records import AUDITED, Drift, RepositoryStatus, Trend

PROTECTION_FAMILY = "BP"

# repository -> (status, ["RULE:fingerprint", ...])
Digest = dict[str, tuple[str, list[str]]]


def digest(reported: Iterable[Reported], repositories: Iterable[RepositoryStatus]) -> Digest:
    """What a later audit compares itself with."""
    keys: dict[str, set[str]] = {}
    for item in reported:
        keys.setdefault(item.repository or "", set()).add(
            f"{item.finding.rule}:{item.finding.fingerprint}"
        )
    return {repo.name: (repo.status, sorted(keys.get(repo.name, ()))) for repo in repositories}


def digest_from_json(document: object) -> Digest:
    """A digest read back from the cache; what is not one is skipped (the cache is ours, but
    a file on disk is input all the same)."""
    found: Digest = {}
    if not isinstance(document, dict):
        return found
    for name, entry in document.items():
        if (
            isinstance(name, str)
            and isinstance(entry, list)
            and len(entry) == 2
            and isinstance(entry[0], str)
            and isinstance(entry[1], list)
        ):
            found[name] = (entry[0], [key for key in entry[1] if isinstance(key, str)])
    return found


def compare(previous: Digest, previous_time: str, current: Digest) -> Trend:
    audited_then = {name for name, (status, _) in previous.items() if status == AUDITED}
    audited_now = {name for name, (status, _) in current.items() if status == AUDITED}
    both = sorted(audited_then & audited_now, key=str.lower)
    new: Counter[str] = Counter()
    fixed: Counter[str] = Counter()
    new_findings: set[tuple[str, str]] = set()
    drift: list[Drift] = []
    for name in both:
        before, after = set(previous[name][1]), set(current[name][1])
        for key in after - before:
            rule, _, fingerprint = key.partition(":")
            new[rule_family(rule)] += 1
            new_findings.add((name, fingerprint))
        for key in before - after:
            fixed[rule_family(key.partition(":")[0])] += 1
        changed = _protection_drift(name, before, after)
        if changed is not None:
            drift.append(changed)
    return Trend(
        previous=previous_time,
        compared=len(both),
        new=dict(new),
        fixed=dict(fixed),
        drift=tuple(drift),
        new_findings=frozenset(new_findings),
        appeared=tuple(sorted(audited_now - audited_then, key=str.lower)),
        disappeared=tuple(sorted(audited_then - audited_now, key=str.lower)),
    )


def _protection_drift(name: str, before: set[str], after: set[str]) -> Drift | None:
    failed_then = _protection_rules(before)
    failed_now = _protection_rules(after)
    if failed_then == failed_now:
        return None
    worse, better = sorted(failed_now - failed_then), sorted(failed_then - failed_now)
    return Drift(name, tuple(worse), tuple(better))


def _protection_rules(keys: Iterable[str]) -> set[str]:
    rules = (key.partition(":")[0] for key in keys)
    return {rule for rule in rules if rule_family(rule) == PROTECTION_FAMILY}


def merge_trends(trends: Iterable[Trend]) -> Trend | None:
    """The trend of shards joined: counts added, drifts and new findings put together."""
    found = list(trends)
    if not found:
        return None
    new: Counter[str] = Counter()
    fixed: Counter[str] = Counter()
    for trend in found:
        new.update(trend.new)
        fixed.update(trend.fixed)
    return Trend(
        previous=min(trend.previous for trend in found),
        compared=sum(trend.compared for trend in found),
        new=dict(new),
        fixed=dict(fixed),
        drift=tuple(sorted((d for t in found for d in t.drift), key=_by_repository)),
        new_findings=frozenset(key for trend in found for key in trend.new_findings),
        appeared=tuple(sorted({n for t in found for n in t.appeared}, key=str.lower)),
        disappeared=tuple(sorted({n for t in found for n in t.disappeared}, key=str.lower)),
    )


def _by_repository(drift: Drift) -> str:
    return drift.repository.lower()


def digest_json(found: Mapping[str, tuple[str, list[str]]]) -> dict[str, Any]:
    return {name: [status, keys] for name, (status, keys) in found.items()}
