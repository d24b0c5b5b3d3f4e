"""The audit's memory of itself: each finished audit is kept in the cache under its scope
(the same targets, shard and rule selection), and compared with the previous one of that
scope, so a report shows what got better or worse since."""

from __future__ import annotations

import datetime
import hashlib
import json

from repo_harden.audit.runner import AuditOptions, AuditResult
from repo_harden.audit.store import Store
from repo_harden.engine.records import Trend
from repo_harden.engine.trend import compare, digest, digest_from_json, digest_json


def audit_scope(options: AuditOptions) -> str:
    """What makes two audits comparable: the same targets and the same rules asked."""
    parts = {
        "organizations": sorted(name.lower() for name in options.organizations),
        "users": sorted(name.lower() for name in options.users),
        "repositories": sorted(name.lower() for name in options.repositories),
        "include_archived": options.include_archived,
        "include_forks": options.include_forks,
        "shard": list(options.shard) if options.shard else None,
        "select": options.overrides.select,
        "ignore": options.overrides.ignore,
        "exclude": options.overrides.exclude,
        "config": hashlib.sha256(options.config_text.encode()).hexdigest(),
    }
    return json.dumps(parts, sort_keys=True)


def remember(
    store: Store, options: AuditOptions, result: AuditResult, finished: datetime.datetime
) -> Trend | None:
    """Keep this audit in the history; the trend since the previous one of its scope, if any."""
    scope = audit_scope(options)
    previous = store.previous_audit(scope)
    current = digest(result.reported, result.repositories)
    trend = None
    if previous is not None:
        trend = compare(digest_from_json(previous[1]), previous[0], current)
    store.put_audit(scope, finished.isoformat(timespec="seconds"), digest_json(current))
    return trend
