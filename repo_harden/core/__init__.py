"""The vocabulary every layer shares: rules, findings, snapshots, the parsed-file cache, the
branch-protection model, globs and user-facing errors. Imports nothing else of repo-harden."""
