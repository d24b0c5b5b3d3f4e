"""PIN: actions, reusable workflows, container images and pre-commit hooks pinned to
immutable references, and pins that say what they really are.

- `unpinned`: PIN001 (actions and reusable workflows), PIN002 (images);
- `verified`: PIN003 (a pin's version comment), PIN004 (impostor commits, ambiguous refs),
  online;
- `pre_commit`: PIN005 (pre-commit hook revisions).
"""
