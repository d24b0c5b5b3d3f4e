"""pre-commit hook `unpinned-downloads`: DL001-DL006, and PIN002 for images in Dockerfiles
and scripts, in workflows, actions, shell scripts, Dockerfiles and Makefiles."""

from __future__ import annotations

from collections.abc import Sequence

from repo_harden.frontend.hook import run_hook


def main(argv: Sequence[str] | None = None) -> int:
    return run_hook("unpinned-downloads", ("DL", "PIN002"), argv)


if __name__ == "__main__":
    raise SystemExit(main())
