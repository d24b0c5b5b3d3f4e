"""The paths that must have a code owner: what runs with the repository's token and secrets,
and what decides who must review changes.

A folder is sensitive for files that do not exist yet too: a workflow added
tomorrow runs as soon as it is merged, so it is checked through a probe, a path
such as `.github/workflows/<new>.yml` that only a pattern covering the whole
folder owns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from repo_harden.core.globs import PathMatcher
from repo_harden.core.record import field, record
from repo_harden.readers.file_kinds import CODEOWNERS_LOCATIONS as LOCATIONS

NEW = "<new>"
_GLOB_CHARACTERS = frozenset("*?[")


@record
class Probe:
    """A file that does not exist yet but must have an owner once it is added.
    `note` says why, when the path alone does not."""

    path: str
    note: str | None = None


@record
class SensitivePath:
    """One entry of the sensitive list: the files it covers and the files it probes.

    `globs` use the syntax of `exclude` (like CODEOWNERS: a name without a slash
    matches at any depth, a leading `/` anchors at the root). `suggestion` is a
    CODEOWNERS pattern that owns the entry.
    """

    label: str
    globs: tuple[str, ...]
    probes: tuple[Probe, ...]
    suggestion: str
    matcher: PathMatcher = field(compare=False, repr=False)

    def covers(self, path: str) -> bool:
        return self.matcher.matches(path)


@record
class Subject:
    """A path that must have an owner: an existing file, or a probe for a future one."""

    path: str
    entry: SensitivePath
    probe: Probe | None = None


def sensitive_path(
    label: str, globs: tuple[str, ...], probes: tuple[Probe, ...], suggestion: str
) -> SensitivePath:
    return SensitivePath(label, globs, probes, suggestion, PathMatcher(globs))


def default_sensitive_paths(present: Sequence[str]) -> tuple[SensitivePath, ...]:
    """The built-in list, given the CODEOWNERS files that exist (GitHub's order)."""
    return (
        *codeowners_entries(present),
        sensitive_path(
            ".github/workflows/",
            (".github/workflows",),
            (Probe(f".github/workflows/{NEW}.yml"), Probe(f".github/workflows/{NEW}.yaml")),
            "/.github/workflows/",
        ),
        sensitive_path(
            ".github/actions/",
            (".github/actions",),
            (Probe(f".github/actions/{NEW}/action.yml"),),
            "/.github/actions/",
        ),
        sensitive_path("action.yml", ("action.yml", "action.yaml"), (), "action.yml"),
        sensitive_path(
            ".pre-commit-config.yaml",
            ("/.pre-commit-config.yaml",),
            (),
            "/.pre-commit-config.yaml",
        ),
        sensitive_path(
            ".github/settings.yml", (".github/settings.yml",), (), "/.github/settings.yml"
        ),
    )


def codeowners_entries(present: Sequence[str]) -> tuple[SensitivePath, ...]:
    """The CODEOWNERS file GitHub reads, and every location it would read first: a new file
    there would replace the owners of everything."""
    if not present:
        return ()
    effective = present[0]
    entries = []
    for location in LOCATIONS[: LOCATIONS.index(effective) + 1]:
        note = f"GitHub would read it instead of {effective}"
        probes = () if location == effective else (Probe(location, note),)
        entries.append(sensitive_path(location, (f"/{location}",), probes, f"/{location}"))
    return tuple(entries)


def configured_sensitive_path(entry: str) -> SensitivePath:
    """An entry of the `sensitive-paths` option. A folder (`deploy/`) without wildcards is
    also probed for new files, directly in it and deeper."""
    probes: tuple[Probe, ...] = ()
    if entry.endswith("/") and not _GLOB_CHARACTERS & set(entry):
        base = entry.lstrip("/")
        probes = (Probe(f"{base}{NEW}"), Probe(f"{base}{NEW}/{NEW}"))
    return sensitive_path(entry, (entry,), probes, entry)


def subjects(entries: Sequence[SensitivePath], paths: Iterable[str]) -> list[Subject]:
    """Every existing file an entry covers (under its first entry only), then every probe."""
    any_entry = PathMatcher(glob for entry in entries for glob in entry.globs)
    found = []
    for path in paths:
        entry = entry_for(entries, path) if any_entry.matches(path) else None
        if entry is not None:
            found.append(Subject(path, entry))
    found += [Subject(probe.path, entry, probe) for entry in entries for probe in entry.probes]
    return found


def entry_for(entries: Sequence[SensitivePath], path: str) -> SensitivePath | None:
    return next((entry for entry in entries if entry.covers(path)), None)


# What the built-in entries cover, besides CODEOWNERS: the files OWN002 declares it reads.
