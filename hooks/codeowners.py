"""pre-commit hook `codeowners`: OWN001-OWN003, on CODEOWNERS and the paths it must protect."""

from __future__ import annotations

from collections.abc import Sequence

from repo_harden.frontend.hook import run_hook


def main(argv: Sequence[str] | None = None) -> int:
    return run_hook("codeowners", ("OWN",), argv)


if __name__ == "__main__":
    raise SystemExit(main())
