"""`record` against `dataclass`: the same classes declared both ways, frozen, mutable and
slotted, behave the same way in everything the code base relies on."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import pytest

from repo_harden.core import record as records
from repo_harden.core.record import MISSING, field, fields, record, replace
from tests.conftest import PROJECT, package_sources

Decorator = Callable[[type[Any]], type[Any]]
FieldMaker = Callable[..., Any]

# (our decorator, the dataclass of the same shape): frozen, mutable, slotted, both
VARIANTS: dict[str, tuple[Decorator, Decorator]] = {
    "frozen": (record, dataclasses.dataclass(frozen=True)),
    "mutable": (record(frozen=False), dataclasses.dataclass),
    "slotted": (record(slots=True), dataclasses.dataclass(frozen=True, slots=True)),
    "mutable-slotted": (record(frozen=False, slots=True), dataclasses.dataclass(slots=True)),
}


def shapes(decorate: Decorator, field: FieldMaker) -> dict[str, type[Any]]:
    """The shapes of record the code base declares, each built by `decorate`, their fields
    declared with `field` (ours or `dataclasses.field`)."""

    @decorate
    class Empty:
        pass

    @decorate
    class One:
        value: str

    @decorate
    class Point:
        line: int
        column: int = 1

    @decorate
    class Tagged:
        name: str
        tags: tuple[str, ...] = field(default_factory=tuple)
        notes: list[str] = field(default_factory=list)
        origin: str = field(default="", compare=False)
        secret: str = field(default="", repr=False)
        counter: ClassVar[int] = 0

    @decorate
    class Derived:
        text: str
        length: int = field(init=False, default=0)
        words: tuple[str, ...] = field(init=False, default_factory=tuple)

        def __post_init__(self) -> None:
            object.__setattr__(self, "length", len(self.text))
            object.__setattr__(self, "words", tuple(self.text.split()))

    @decorate
    class Child(Point):
        path: str = "a.yml"
        column: int = 7  # redeclared: keeps its place among the base's fields

    @decorate
    class OwnEquality:
        key: str
        extra: str = ""

        def __eq__(self, other: object) -> bool:
            return isinstance(other, OwnEquality) and other.key == self.key

        def __hash__(self) -> int:
            return hash(self.key)

    return {
        "Empty": Empty,
        "One": One,
        "Point": Point,
        "Tagged": Tagged,
        "Derived": Derived,
        "Child": Child,
        "OwnEquality": OwnEquality,
    }


ARGUMENTS: dict[str, list[tuple[tuple[Any, ...], dict[str, Any]]]] = {
    "Empty": [((), {})],
    "One": [(("a",), {}), ((), {"value": "b"}), (("a",), {})],
    "Point": [((3,), {}), ((3, 4), {}), ((), {"line": 3, "column": 1}), ((4,), {})],
    "Tagged": [
        (("n",), {}),
        (("n", ("x",)), {}),
        (("n",), {"origin": "elsewhere"}),
        (("n",), {"secret": "s3cr3t", "notes": ["a"]}),
    ],
    "Derived": [(("two words",), {}), (("three little words",), {}), (("two words",), {})],
    "Child": [((1, 2, "b.yml"), {}), ((1,), {}), ((1, 7), {"path": "a.yml"})],
    "OwnEquality": [(("k",), {}), (("k", "other"), {}), (("j",), {})],
}

CLASSES = {
    variant: (shapes(ours, field), shapes(theirs, dataclasses.field))
    for variant, (ours, theirs) in VARIANTS.items()
}
CASES = [(variant, kind) for variant in VARIANTS for kind in sorted(ARGUMENTS)]


def built(variant: str, kind: str) -> tuple[list[Any], list[Any]]:
    """The instances of one shape, as records and as dataclasses."""
    ours, theirs = CLASSES[variant]
    return (
        [ours[kind](*args, **kwargs) for args, kwargs in ARGUMENTS[kind]],
        [theirs[kind](*args, **kwargs) for args, kwargs in ARGUMENTS[kind]],
    )


def outcome(action: Callable[[], object]) -> object:
    """What an action gives, or the type and message of what it raises: to compare both."""
    try:
        return action()
    except Exception as error:
        return (type(error), str(error))


def pickled(instance: object, protocol: int) -> str:
    """The `repr` of an instance pickled and read back."""
    return repr(pickle.loads(pickle.dumps(instance, protocol)))


def replaced(how: Callable[..., object], instance: object, change: dict[str, Any]) -> str:
    """The `repr` of `instance` with `change`, made by `how` (our `replace` or theirs)."""
    return repr(how(instance, **change))


def described(declared: Any) -> tuple[object, ...]:
    return tuple(
        getattr(declared, name)
        for name in ("name", "type", "default", "default_factory", "init", "repr", "compare")
    )


def tidy(value: object) -> object:
    """A default as a description compares: dataclasses' MISSING and ours are the same."""
    return MISSING if value is dataclasses.MISSING else value


@pytest.mark.parametrize(("variant", "kind"), CASES)
def test_a_record_reads_compares_and_hashes_as_the_dataclass(variant: str, kind: str) -> None:
    mine, theirs = built(variant, kind)
    for ours, reference in zip(mine, theirs, strict=True):
        assert repr(ours) == repr(reference)
        assert outcome(partial(hash, ours)) == outcome(partial(hash, reference))
        assert [tuple(map(tidy, described(f))) for f in fields(ours)] == [
            tuple(map(tidy, described(f))) for f in dataclasses.fields(reference)
        ]
        assert type(ours).__match_args__ == type(reference).__match_args__
    for index, first in enumerate(mine):
        for other_index, second in enumerate(mine):
            expected = theirs[index] == theirs[other_index]
            assert (first == second) is expected
            assert (first != second) is not expected


@pytest.mark.parametrize(("variant", "kind"), CASES)
def test_a_record_class_is_left_as_the_dataclass_is(variant: str, kind: str) -> None:
    """Class attributes (defaults kept, field() markers gone), docstring, slots."""
    ours, theirs = (classes[kind] for classes in CLASSES[variant])
    assert ours.__doc__ == theirs.__doc__
    assert ours.__qualname__ == theirs.__qualname__
    assert getattr(ours, "__slots__", None) == getattr(theirs, "__slots__", None)
    assert hasattr(ours(*ARGUMENTS[kind][0][0]), "__dict__") is ("slotted" not in variant)
    for declared in fields(ours):
        mine, reference = (vars(cls).get(declared.name, "absent") for cls in (ours, theirs))
        if "slotted" in variant:  # the slot's descriptor
            assert type(mine) is type(reference)
        else:
            assert mine == reference
    assert ours.counter == 0 if kind == "Tagged" else True


@pytest.mark.parametrize(("variant", "kind"), CASES)
def test_a_record_pickles_and_copies_as_the_dataclass(variant: str, kind: str) -> None:
    mine, theirs = built(variant, kind)
    for ours, reference in zip(mine, theirs, strict=True):
        for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
            loaded = outcome(partial(pickled, ours, protocol))
            expected = outcome(partial(pickled, reference, protocol))
            assert loaded == expected, protocol
            if loaded == repr(ours):
                assert pickle.loads(pickle.dumps(ours, protocol)) == ours
        assert copy.copy(ours) == ours
        assert copy.deepcopy(ours) == ours
        assert repr(copy.deepcopy(ours)) == repr(copy.deepcopy(reference))


@pytest.mark.parametrize(("variant", "kind"), CASES)
def test_a_record_refuses_or_takes_changes_as_the_dataclass(variant: str, kind: str) -> None:
    mine, theirs = built(variant, kind)
    for ours, reference in zip(mine, theirs, strict=True):
        for name in [f.name for f in fields(ours)] + ["unknown"]:
            if variant in ("frozen", "slotted"):
                with pytest.raises(dataclasses.FrozenInstanceError, match=repr(name)):
                    setattr(ours, name, "changed")
                with pytest.raises(dataclasses.FrozenInstanceError, match=repr(name)):
                    delattr(ours, name)
            if variant == "slotted" and name == "unknown":
                # 3.11's dataclass raises TypeError here: its `__setattr__` calls `super()` on
                # the class it replaced with the slotted one; a record refuses as for a field
                continue
            assigned = outcome(partial(setattr, ours, name, "changed"))
            assert assigned == outcome(partial(setattr, reference, name, "changed"))
            assert repr(ours) == repr(reference)
            mine_copy, reference_copy = copy.copy(ours), copy.copy(reference)
            deleted = outcome(partial(delattr, mine_copy, name))
            assert deleted == outcome(partial(delattr, reference_copy, name))


@pytest.mark.parametrize(("variant", "kind"), CASES)
def test_replace_makes_a_new_record_through_its_constructor(variant: str, kind: str) -> None:
    mine, theirs = built(variant, kind)
    for ours, reference in zip(mine, theirs, strict=True):
        for declared in fields(ours):
            value: object = 5 if declared.name in ("line", "column") else "changed words"
            change = {declared.name: value}
            made = outcome(partial(replaced, replace, ours, change))
            assert made == outcome(partial(replaced, dataclasses.replace, reference, change))
        assert replace(ours) == ours
        assert replace(ours) is not ours


@pytest.mark.parametrize("variant", VARIANTS)
def test_defaults_factories_and_post_init_give_fresh_values(variant: str) -> None:
    ours = CLASSES[variant][0]
    first, second = ours["Tagged"]("a"), ours["Tagged"]("b")
    assert first.notes == [] and first.notes is not second.notes
    derived = replace(ours["Derived"]("one two"), text="one two three")
    assert (derived.length, derived.words) == (13, ("one", "two", "three"))
    with pytest.raises(ValueError, match="length is declared with init=False"):
        replace(derived, length=1)


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_constructor_checks_its_arguments_as_the_dataclass_does(variant: str) -> None:
    ours, theirs = CLASSES[variant]
    calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
        ("Point", (), {}),
        ("Point", (1, 2, 3), {}),
        ("Point", (1,), {"line": 2}),
        ("Derived", ("x",), {"length": 1}),
        ("Tagged", (), {"name": "n", "counter": 1}),
        ("Empty", (1,), {}),
        ("Child", (), {"path": "p"}),
    ]
    for kind, args, kwargs in calls:
        mine_class: Callable[..., object] = ours[kind]
        their_class: Callable[..., object] = theirs[kind]
        mine = outcome(partial(mine_class, *args, **kwargs))
        reference = outcome(partial(their_class, *args, **kwargs))
        assert isinstance(mine, tuple) and isinstance(reference, tuple)
        assert mine[0] is reference[0] is TypeError
        # the same message but for the function's name: dataclass's is `__create_fn__`'s
        assert str(mine[1]).split("() ", 1)[1] == str(reference[1]).split("() ", 1)[1]


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_record_refuses_the_declarations_the_dataclass_refuses(variant: str) -> None:
    ours, theirs = VARIANTS[variant]

    def mutable_default(decorate: Decorator) -> object:
        class Holder:
            items: list[str] = []  # noqa: RUF012 (the mistake under test)

        return outcome(lambda: decorate(Holder))

    def default_first(decorate: Decorator) -> object:
        class DefaultFirst:
            first: int = 0
            second: int

        return outcome(lambda: decorate(DefaultFirst))

    def no_annotation(decorate: Decorator, field: FieldMaker) -> object:
        class Unannotated:
            first = field(default=1)

        return outcome(lambda: decorate(Unannotated))

    assert mutable_default(ours) == mutable_default(theirs)
    assert default_first(ours) == default_first(theirs)
    assert no_annotation(ours, field) == no_annotation(theirs, dataclasses.field)


def test_frozen_and_mutable_records_do_not_inherit_from_each_other() -> None:
    def inherit(base_decorator: Decorator, decorator: Decorator) -> object:
        base = base_decorator(type("Base", (), {"__annotations__": {"a": "int"}}))
        return outcome(partial(decorator, type("C", (base,), {})))

    for base_variant, variant in (("frozen", "mutable"), ("mutable", "frozen")):
        mine = inherit(VARIANTS[base_variant][0], VARIANTS[variant][0])
        assert mine == inherit(VARIANTS[base_variant][1], VARIANTS[variant][1])
        assert isinstance(mine, tuple) and mine[0] is TypeError


def test_a_record_is_never_equal_to_another_class_with_the_same_values() -> None:
    ours, theirs = CLASSES["frozen"]
    point = ours["Point"](1, 2)
    assert point != theirs["Point"](1, 2)
    assert point != ours["Child"](1, 2)
    assert point != CLASSES["slotted"][0]["Point"](1, 2)
    assert point != (1, 2)


@record(slots=True)
class Slotted:
    name: str


def test_a_slotted_record_refuses_its_fields_and_pickles_at_module_level() -> None:
    instance = Slotted("a")
    with pytest.raises(dataclasses.FrozenInstanceError, match="'name'"):
        instance.name = "b"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(instance)) == instance


def test_what_a_record_does_not_take_is_refused_when_declared() -> None:
    with pytest.raises(TypeError, match=r"record\.field"):

        @record
        class TheirField:
            first: int = dataclasses.field(default=0)

    with pytest.raises(TypeError, match="kw_only"):

        @record
        class KeywordOnly:
            first: int = field(kw_only=True)  # type: ignore[call-overload]

    with pytest.raises(TypeError, match="InitVar"):

        @record
        class WithInitVar:
            first: dataclasses.InitVar[int]

    with pytest.raises(ValueError, match="both default and default_factory"):
        field(default=1, default_factory=int)  # type: ignore[call-overload]

    with pytest.raises(TypeError, match="Cannot overwrite attribute __setattr__"):

        @record
        class OwnSetattr:
            first: int

            def __setattr__(self, name: str, value: object) -> None:
                pass

    with pytest.raises(TypeError, match="already specifies __slots__"):

        @record(slots=True)
        class OwnSlots:  # type: ignore[misc]
            __slots__ = ("first",)
            first: int

    with pytest.raises(TypeError, match="must be called with a record"):
        fields(object())


def test_a_mutable_record_may_define_its_own_setattr() -> None:
    seen: list[str] = []

    @record(frozen=False)
    class Watched:
        name: str

        def __setattr__(self, name: str, value: object) -> None:
            seen.append(name)
            object.__setattr__(self, name, value)

    Watched("a").name = "b"
    assert seen == ["name", "name"]  # `__init__` assigns through it too, as dataclass's does


def test_a_class_that_says_it_is_unhashable_stays_so_as_with_dataclass() -> None:
    def unhashable(decorate: Decorator) -> type[Any]:
        @decorate
        class Unhashable:
            value: str
            __hash__ = None  # type: ignore[assignment]

        return Unhashable

    for decorate in (record, dataclasses.dataclass(frozen=True)):
        with pytest.raises(TypeError, match="unhashable"):
            hash(unhashable(decorate)("x"))


def test_the_code_base_declares_every_value_type_with_record() -> None:
    """No module of the package imports `dataclasses` when it is imported: that costs ~10 ms
    of every command's start-up (`inspect`, `ast`, `dis`, `tokenize`); `record` imports it
    only to raise a `FrozenInstanceError`."""
    offenders = [
        f"{path.relative_to(PROJECT)}:{number}"
        for path in package_sources()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if line.startswith(("import dataclasses", "from dataclasses "))
        or line.split("(")[0] == "@dataclass"
    ]
    assert offenders == []
    assert "dataclasses" not in records.__dict__


_STDLIB_NOT_AT_START = ("dataclasses", "inspect", "ast", "dis", "tokenize")


def _modules_after(repo: Path, call: str) -> tuple[str, set[str]]:
    """What a call of repo-harden prints in a fresh interpreter, and which of the
    `_STDLIB_NOT_AT_START` modules it imported."""
    from tests.conftest import modules_after

    output, imported = modules_after(repo, call)
    return output, imported.intersection(_STDLIB_NOT_AT_START)


def test_a_scan_and_the_hook_never_import_dataclasses_nor_inspect(tmp_path: Path) -> None:
    import json

    from tests.conftest import make_repo

    corpus = Path(__file__).resolve().parent / "corpus" / "starter-workflows"
    files = {
        f".github/workflows/{path.parent.name}-{path.name}": path.read_text(encoding="utf-8")
        for path in sorted(corpus.glob("*/*.yml"))[:40]
    }
    files["Dockerfile"] = (
        "FROM python:3.12-slim\nRUN curl -fsSL https://example.com/install.sh | bash\n"
    )
    files["package.json"] = (
        '{"name": "app", "version": "1.0.0", "dependencies": {"left-pad": "^1"}}\n'
    )
    files["package-lock.json"] = (
        '{"name": "app", "version": "1.0.0", "lockfileVersion": 3, "requires": true,\n'
        ' "packages": {"": {"name": "app", "version": "1.0.0"}}}\n'
    )
    files[".github/CODEOWNERS"] = "/.github/workflows/ @org/platform\n"
    repo = make_repo(tmp_path / "repo", files)

    report, imported = _modules_after(
        repo,
        "from repo_harden.cli import main; main(['scan', '--format', 'json', '--no-cache'])",
    )
    findings = json.loads(report)["findings"]
    assert imported == set(), imported
    paths = {finding["path"] for finding in findings}
    assert "Dockerfile" in paths  # the Dockerfile's rules ran
    assert any(path.startswith(".github/workflows/") for path in paths)
    assert "OWN001" not in {finding["rule"] for finding in findings}  # CODEOWNERS was read
    rules = {finding["rule"] for finding in findings}
    assert any(rule.startswith("LCK") for rule in rules), rules  # the lockfile was read

    workflow = next(name for name in files if name.startswith(".github/workflows/"))
    text, imported = _modules_after(
        repo, f"from repo_harden.hooks.all_checks import main; main([{workflow!r}])"
    )
    assert imported == set(), imported
    assert workflow in text  # the hook reported on the file
