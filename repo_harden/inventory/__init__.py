"""The inventory: every supply-chain input of a repository, read from a snapshot without
I/O (actions and reusable workflows, images, downloads, locked packages, pre-commit hook
repositories), the transitive reading of actions, and the incident queries."""
