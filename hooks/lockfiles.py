"""pre-commit hook `lockfiles`: LCK001-LCK005, on manifests, lockfiles, requirements files
and package-manager configuration. LCK006 is loaded with its family but needs `--online`,
which a hook never is: it finds nothing here and asks nothing."""

from __future__ import annotations

from collections.abc import Sequence

from repo_harden.frontend.hook import run_hook


def main(argv: Sequence[str] | None = None) -> int:
    return run_hook("lockfiles", ("LCK",), argv)


if __name__ == "__main__":
    raise SystemExit(main())
