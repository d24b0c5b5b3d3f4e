"""pre-commit entry points: thin wrappers from argv to the engine and back to an exit code."""
