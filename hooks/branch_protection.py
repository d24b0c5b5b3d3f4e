"""pre-commit hook `branch-protection`: BP rules on a changed `.github/settings.yml`, offline."""

from __future__ import annotations

from collections.abc import Sequence

from repo_harden.frontend.hook import run_hook


def main(argv: Sequence[str] | None = None) -> int:
    return run_hook("branch-protection", ("BP",), argv)


if __name__ == "__main__":
    raise SystemExit(main())
