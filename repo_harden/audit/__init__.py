"""`repo-harden audit`: every check, run on every repository of a GitHub organization or
user, through the API.

The modules, in the order an audit uses them:
- `transport`: one HTTP client (`github/connection.py`; PyGithub authenticates) behind one
  rate-limit governor for REST and GraphQL, with retries, backoff and conditional requests;
- `queries` and `listing`: the repositories, their head commits and what the listing query
  can already tell about their settings, in GraphQL pages of 100;
- `settings`: each default branch's protection, read into the same `BranchPolicy` as
  `scan --online`;
- `content`: trees and blobs, in GraphQL batches across repositories, cached by SHA;
- `store`: the SQLite cache (objects, ETags, per-repository results);
- `snapshot`: a repository at its head commit as a `RepoSnapshot`, so every check runs
  unchanged;
- `runner`: the pipeline. `repo_harden.commands.audit` and `.merge` are its command
  lines; the reporters print it.
"""
