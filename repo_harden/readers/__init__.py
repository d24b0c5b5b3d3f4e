"""Readers: each kind of file a check reads (YAML, JSON and TOML documents, workflows,
Dockerfiles, Makefiles, requirements, CODEOWNERS, settings files), parsed once with positions."""
