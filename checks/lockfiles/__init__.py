"""LCK: dependencies locked, in sync, pinned, from trusted indexes, and not known to be
vulnerable."""
