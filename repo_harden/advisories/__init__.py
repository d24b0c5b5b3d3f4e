"""Known vulnerabilities (LCK006): an OSV service, asked through pip-audit."""
