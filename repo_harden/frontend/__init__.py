"""What every front end shares: the local scan pipeline, the options that override the
config, outputs and exit codes, and the pre-commit hook runner."""
