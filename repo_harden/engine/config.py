"""Configuration: `.repo-harden.toml`, or `[tool.repo-harden]` in `pyproject.toml`.

Read with `tomllib`; unknown keys are errors (exit 2), so a typo never turns a
check off silently. Incomplete waivers are not errors: they become RH002
findings, so the scan still runs and the problem stays visible.
"""

from __future__ import annotations

import datetime
import os
import stat
from collections.abc import Callable, Collection, Iterable, Mapping
from collections.abc import Set as AbstractSet
from pathlib import Path

from repo_harden.core.branch_requirements import BranchRequirements, parse_requirements
from repo_harden.core.declare import Check
from repo_harden.core.errors import ConfigError
from repo_harden.core.globs import glob_problem
from repo_harden.core.lazy import lazy_compile
from repo_harden.core.model import Severity
from repo_harden.core.record import field, record
from repo_harden.core.snapshot import MAX_FILE_BYTES, RepoSnapshot

CONFIG_FILE = ".repo-harden.toml"
PYPROJECT = "pyproject.toml"
_TOP_KEYS = {
    "select",
    "ignore",
    "exclude",
    "fail-on",
    "severity",
    "rules",
    "waivers",
    "require-compensating-control",
    "branch-protection",
    "max-findings-per-file",
    "shell-inputs",
    "default-excludes",
    "exclude-fixtures",
    "foreign-ignores",
    "fix",
}
MAX_FINDINGS_PER_FILE = 1000
# Other tools whose ignore comments stand for repo-harden's (engine.suppressions).
FOREIGN_TOOLS = ("zizmor",)
_WAIVER_FIELDS = ("rule", "path", "owner", "reason", "expires")
_WAIVER_OPTIONAL = ("compensating-control",)
_FIX_KEYS = {"online"}
_WAIVER_HEADER = lazy_compile(
    r"^\s*\[\[\s*(?:tool\s*\.\s*[\"']?repo-harden[\"']?\s*\.\s*)?waivers\s*\]\]"
)


@record
class Waiver:
    """A time-bound exception; `problems` says what makes it invalid (then it waives nothing)."""

    rule: str
    path: str
    owner: str
    reason: str
    expires: datetime.date | None
    line: int | None
    problems: tuple[str, ...] = ()
    compensating_control: str = ""  # what makes the risk acceptable meanwhile

    def expired(self, today: datetime.date) -> bool:
        return self.expires is not None and self.expires < today


@record
class Config:
    """Settings after validation. `source` is the file they came from, if any."""

    source: Path | None = None
    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    fail_on: Severity | None = Severity.WARNING
    severity: Mapping[str, Severity] = field(default_factory=dict)
    rule_options: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    waivers: tuple[Waiver, ...] = ()
    require_compensating_control: bool = False
    branch_protection: BranchRequirements = field(default_factory=BranchRequirements)
    max_findings_per_file: int = MAX_FINDINGS_PER_FILE  # 0: no limit
    # actions (`owner/repo`) and the inputs they run as shell scripts, for DL001-DL004, PIN002
    shell_inputs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    default_excludes: bool = True  # skip vendored and generated trees (engine.scope)
    exclude_fixtures: bool = False  # skip test fixture folders (engine.scope)
    foreign_ignores: tuple[str, ...] = FOREIGN_TOOLS  # tools whose ignore comments count
    fix_online: bool = False  # [fix] online: the fix-pins hook may ask GitHub and registries


def find_config(root: Path) -> Path | None:
    """The config file of a checkout: `.repo-harden.toml` first, then a pyproject that has ours."""
    dedicated = root / CONFIG_FILE
    if dedicated.is_file() or dedicated.is_symlink():
        return dedicated
    pyproject = root / PYPROJECT
    if pyproject.is_file() or pyproject.is_symlink():
        text = read_config_text(pyproject, root).decode("utf-8", "replace")
        if "repo-harden" in text:
            return pyproject
    return None


def load_config(
    path: Path | None,
    checks: Mapping[str, Check],
    codes: Collection[str],
    *,
    root: Path | None = None,
) -> Config:
    """The config at `path`. Rule codes are checked against every code that exists;
    options only for the `checks` loaded in this run (the others are not used by it).
    A config found in the checkout `root` is read under the scanned files' rules."""
    if path is None:
        return Config()
    data = read_config_text(path, root)
    path = shown_path(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    return parse_config(path, text, checks, codes)


def read_config_text(path: Path, root: Path | None) -> bytes:
    """A config file's bytes, read as a scanned file is: a regular file of at most
    MAX_FILE_BYTES, and, when it belongs to the checkout `root`, not through a symbolic
    link that leads out of it (the checkout's content chooses nothing outside it)."""
    shown = shown_path(path)
    try:
        if root is not None and not path.resolve().is_relative_to(root.resolve()):
            raise ConfigError(f"{shown}: a symbolic link that points outside the repository")
        with path.open("rb") as file:
            info = os.fstat(file.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise ConfigError(f"{shown}: not a regular file")
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise ConfigError(f"{shown}: cannot read it ({error.strerror})") from None
    except RuntimeError:  # Python < 3.13: resolve() of a symlink loop
        raise ConfigError(f"{shown}: a symbolic link that loops") from None
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError(f"{shown}: larger than {MAX_FILE_BYTES // 1048576} MiB, not read")
    return data


def config_path_in(paths: Collection[str], read_text: Callable[[str], str | None]) -> str | None:
    """Which file of a repository is its config, by the rule `find_config` follows on disk."""
    if CONFIG_FILE in paths:
        return CONFIG_FILE
    if PYPROJECT in paths and "repo-harden" in (read_text(PYPROJECT) or ""):
        return PYPROJECT
    return None


def snapshot_config(
    snapshot: RepoSnapshot, checks: Mapping[str, Check], codes: Collection[str]
) -> tuple[Config, str]:
    """The config a repository holds (`.repo-harden.toml`, or `[tool.repo-harden]` in
    `pyproject.toml`), read from its snapshot, and its path ("" when it has none). Messages
    name it `<repository>/<path>`."""
    found = config_path_in(set(snapshot.paths()), snapshot.read_text)
    text = snapshot.read_text(found) if found is not None else None
    if found is None or text is None:
        return Config(), ""
    return parse_config(Path(f"{snapshot.name}/{found}"), text, checks, codes), found


def parse_config(
    path: Path, text: str, checks: Mapping[str, Check], codes: Collection[str]
) -> Config:
    """A config file's text; `path` is how messages name it."""
    import tomllib  # only when there is a config file to read

    from repo_harden.readers.documents import load_toml

    try:
        document = load_toml(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    table = _our_table(path, document)
    return _parse(path, text, table, checks, set(codes))


def shown_path(path: Path) -> Path:
    """The path as the user would type it: relative to the working folder when inside it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def _our_table(path: Path, document: Mapping[str, object]) -> Mapping[str, object]:
    tool = document.get("tool")
    nested = tool.get("repo-harden") if isinstance(tool, dict) else None
    if path.name == PYPROJECT or nested is not None:
        if nested is None:
            return {}
        if not isinstance(nested, dict):
            raise ConfigError(f"{path}: [tool.repo-harden] must be a table")
        return nested
    return document


def _parse(
    path: Path,
    text: str,
    table: Mapping[str, object],
    checks: Mapping[str, Check],
    codes: set[str],
) -> Config:
    unknown = sorted(set(table) - _TOP_KEYS)
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting {', '.join(map(repr, unknown))}; "
            f"known settings are {', '.join(sorted(_TOP_KEYS))}"
        )
    return Config(
        source=path,
        select=tuple(_selectors(path, table, "select", codes)) or ("ALL",),
        ignore=tuple(_selectors(path, table, "ignore", codes)),
        exclude=tuple(_globs(path, table, "exclude")),
        fail_on=parse_fail_on(str(table.get("fail-on", "warning")), f"{path}: fail-on"),
        severity=_severities(path, table, codes),
        rule_options=_rule_options(path, table, checks, codes),
        waivers=_waivers(path, text, table, codes, _required_control(path, table)),
        require_compensating_control=_required_control(path, table),
        branch_protection=parse_requirements(
            table.get("branch-protection", {}), f"{path}: [branch-protection]"
        ),
        max_findings_per_file=_count(path, table, "max-findings-per-file", MAX_FINDINGS_PER_FILE),
        shell_inputs=_shell_inputs(path, table),
        default_excludes=_boolean(path, table, "default-excludes", default=True),
        exclude_fixtures=_boolean(path, table, "exclude-fixtures", default=False),
        foreign_ignores=_foreign_ignores(path, table),
        fix_online=_fix_online(path, table),
    )


def _count(path: Path, table: Mapping[str, object], key: str, default: int) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{path}: {key} must be a whole number, 0 or more (0: no limit)")
    return value


def _foreign_ignores(path: Path, table: Mapping[str, object]) -> tuple[str, ...]:
    if "foreign-ignores" not in table:
        return FOREIGN_TOOLS
    tools = _strings(path, table, "foreign-ignores")
    unknown = [tool for tool in tools if tool not in FOREIGN_TOOLS]
    if unknown:
        raise ConfigError(
            f"{path}: foreign-ignores: unknown tool {unknown[0]!r}; known: "
            f"{', '.join(FOREIGN_TOOLS)} (`[]` honours none)"
        )
    return tuple(tools)


def _boolean(path: Path, table: Mapping[str, object], key: str, *, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{path}: {key} must be true or false")
    return value


_ACTION_NAME = lazy_compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[^@\s]+)?$")


def _shell_inputs(path: Path, table: Mapping[str, object]) -> dict[str, tuple[str, ...]]:
    """`[shell-inputs]`: `"owner/action" = ["input", ...]`."""
    raw = table.get("shell-inputs", {})
    where = f"{path}: shell-inputs"
    if not isinstance(raw, dict):
        raise ConfigError(f'{where} must be a table of "owner/action" = ["input", ...]')
    found: dict[str, tuple[str, ...]] = {}
    for action, inputs in raw.items():
        if not _ACTION_NAME.match(action):
            raise ConfigError(
                f"{where}: {action!r} is not an action (`owner/repo` or `owner/repo/path`)"
            )
        if not isinstance(inputs, list) or not all(isinstance(i, str) for i in inputs):
            raise ConfigError(f"{where}.{action} must be a list of input names")
        found[action.lower()] = tuple(inputs)
    return found


def _required_control(path: Path, table: Mapping[str, object]) -> bool:
    return _boolean(path, table, "require-compensating-control", default=False)


def _fix_online(path: Path, table: Mapping[str, object]) -> bool:
    raw = table.get("fix", {})
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: fix must be a table ([fix])")
    unknown = sorted(set(raw) - _FIX_KEYS)
    if unknown:
        raise ConfigError(f"{path}: [fix]: unknown setting {', '.join(map(repr, unknown))}")
    online = raw.get("online", False)
    if not isinstance(online, bool):
        raise ConfigError(f"{path}: [fix].online must be true or false")
    return online


def parse_fail_on(value: str, where: str) -> Severity | None:
    if value == "never":
        return None
    try:
        return Severity(value)
    except ValueError:
        raise ConfigError(
            f"{where}: expected error, warning, note or never, not {value!r}"
        ) from None


def _strings(path: Path, table: Mapping[str, object], key: str) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{path}: {key} must be a list of strings")
    return value


def _globs(path: Path, table: Mapping[str, object], key: str) -> list[str]:
    globs = _strings(path, table, key)
    check_not_empty(globs, f"{path}: {key}", "glob")
    check_globs(globs, f"{path}: {key}")
    return globs


def check_globs(globs: Iterable[str], where: str) -> None:
    """A glob that cannot be matched is a configuration error, not a crash mid-scan."""
    for glob in globs:
        problem = glob_problem(glob)
        if problem is not None:
            raise ConfigError(f"{where}: {problem}")


def _selectors(path: Path, table: Mapping[str, object], key: str, codes: set[str]) -> list[str]:
    selectors = [s.strip().upper() for s in _strings(path, table, key)]
    check_not_empty(selectors, f"{path}: {key}")
    for selector in selectors:
        check_selector(selector, codes, f"{path}: {key}")
    return selectors


_EMPTY_HINTS = {"rule selector": "name codes or prefixes", "glob": "name a path or a pattern"}


def check_not_empty(values: Iterable[str], where: str, what: str = "rule selector") -> None:
    """An empty selector is a prefix of every code (it would select, or turn off, every rule)
    and an empty glob names no path: both are mistakes, such as `--select "$RULES"` with
    `RULES` unset, never a choice."""
    if any(not value.strip() for value in values):
        raise ConfigError(f'{where}: an empty {what} "" ({_EMPTY_HINTS[what]})')


def check_selector(selector: str, codes: AbstractSet[str], where: str) -> None:
    """A selector is ALL, a rule code, or a prefix of at least one code."""
    if selector != "ALL" and not any(code.startswith(selector) for code in codes):
        raise ConfigError(f"{where}: {selector!r} matches no rule (see `repo-harden rules`)")


def _severities(path: Path, table: Mapping[str, object], codes: set[str]) -> dict[str, Severity]:
    raw = table.get("severity", {})
    if not isinstance(raw, dict):
        raise ConfigError(f'{path}: severity must be a table of CODE = "error|warning|note"')
    result: dict[str, Severity] = {}
    for code, value in raw.items():
        if code not in codes:
            raise ConfigError(f"{path}: severity: unknown rule {code!r}")
        level = parse_fail_on(str(value), f"{path}: severity.{code}")
        if level is None:
            raise ConfigError(f"{path}: severity.{code}: use `ignore` to turn a rule off")
        result[code] = level
    return result


def _rule_options(
    path: Path, table: Mapping[str, object], checks: Mapping[str, Check], codes: set[str]
) -> dict[str, Mapping[str, object]]:
    raw = table.get("rules", {})
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: rules must be a table of [rules.CODE] tables")
    result: dict[str, Mapping[str, object]] = {}
    for code, options in raw.items():
        check = checks.get(code)
        if code in codes and check is None and isinstance(options, dict):
            result[code] = options  # a family this run does not load (a hook's)
            continue
        if check is None or not isinstance(options, dict):
            raise ConfigError(f"{path}: [rules.{code}]: no rule {code!r} takes options")
        known = {spec.key: spec for spec in check.options}
        for key, value in options.items():
            spec = known.get(key)
            if spec is None:
                names = ", ".join(known) or "none"
                raise ConfigError(
                    f"{path}: [rules.{code}]: unknown option {key!r} (known: {names})"
                )
            if not isinstance(value, spec.kind):
                kind = "table" if spec.kind is dict else spec.kind.__name__
                raise ConfigError(f"{path}: [rules.{code}].{key} must be a {kind}")
            if spec.globs and isinstance(value, list):
                check_globs([str(glob) for glob in value], f"{path}: [rules.{code}].{key}")
            problem = spec.validate(value) if spec.validate is not None else None
            if problem is not None:
                raise ConfigError(f"{path}: [rules.{code}].{key}: {problem}")
        result[code] = options
    return result


def _waivers(
    path: Path, text: str, table: Mapping[str, object], codes: set[str], require_control: bool
) -> tuple[Waiver, ...]:
    raw = table.get("waivers", [])
    if not isinstance(raw, list):
        raise ConfigError(f"{path}: waivers must be an array of tables ([[waivers]])")
    header_lines = [n for n, line in enumerate(text.splitlines(), 1) if _WAIVER_HEADER.match(line)]
    waivers = []
    for index, entry in enumerate(raw):
        line = header_lines[index] if index < len(header_lines) else None
        waiver = _waiver(entry, line, codes, require_control)
        check_globs([waiver.path], f"{path}: the waiver at line {line or '?'}: path")
        waivers.append(waiver)
    return tuple(waivers)


def _waiver(entry: object, line: int | None, codes: set[str], require_control: bool) -> Waiver:
    fields: Mapping[str, object] = entry if isinstance(entry, dict) else {}
    problems = [f"missing `{name}`" for name in _WAIVER_FIELDS if not fields.get(name)]
    known = _WAIVER_FIELDS + _WAIVER_OPTIONAL
    problems += [f"unknown field `{name}`" for name in fields if name not in known]
    control = fields.get("compensating-control", "")
    if not isinstance(control, str):
        problems.append("`compensating-control` must be text")
        control = ""
    if require_control and not control.strip():
        problems.append("missing `compensating-control` (the config requires one)")
    rule = str(fields.get("rule", "")).strip().upper()
    if rule and rule not in codes:
        problems.append(f"unknown rule `{rule}`")
    expires = fields.get("expires")
    if expires is not None and not isinstance(expires, datetime.date):
        problems.append("`expires` must be a TOML date such as 2027-03-31 (no quotes)")
        expires = None
    if isinstance(expires, datetime.datetime):
        expires = expires.date()
    return Waiver(
        rule=rule,
        path=str(fields.get("path", "")),
        owner=str(fields.get("owner", "")),
        reason=str(fields.get("reason", "")),
        expires=expires,
        line=line,
        problems=tuple(problems),
        compensating_control=control.strip(),
    )
