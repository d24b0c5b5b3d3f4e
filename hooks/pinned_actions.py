"""pre-commit hook `pinned-actions`: PIN001 and PIN002 in workflows and action metadata."""

from __future__ import annotations

from collections.abc import Sequence

from repo_harden.frontend.hook import run_hook


def main(argv: Sequence[str] | None = None) -> int:
    return run_hook("pinned-actions", ("PIN",), argv)


if __name__ == "__main__":
    raise SystemExit(main())
