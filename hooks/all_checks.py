"""pre-commit hook `repo-harden`: every check, in one process."""

from __future__ import annotations

from collections.abc import Sequence

from repo_harden.frontend.hook import run_hook


def main(argv: Sequence[str] | None = None) -> int:
    return run_hook("repo-harden", (), argv)


if __name__ == "__main__":
    raise SystemExit(main())
