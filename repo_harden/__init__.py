"""repo-harden: find the weak links in a software supply chain."""

__version__ = "0.1.0"
