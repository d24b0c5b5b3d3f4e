"""pre-commit hook `workflow-boundaries`: WF001-WF005 in workflows and action metadata."""

from __future__ import annotations

from collections.abc import Sequence

from repo_harden.frontend.hook import run_hook


def main(argv: Sequence[str] | None = None) -> int:
    return run_hook("workflow-boundaries", ("WF0",), argv)


if __name__ == "__main__":
    raise SystemExit(main())
