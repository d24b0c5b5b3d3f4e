"""`record` against `dataclass(frozen=True)`: the same classes declared both ways behave the
same way in everything the code base relies on."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest

from repo_harden.core.record import record

Decorator = Callable[[type[Any]], type[Any]]


def frozen_dataclass(cls: type[Any]) -> type[Any]:
    return dataclass(frozen=True)(cls)


def shapes(decorate: Decorator) -> dict[str, type[Any]]:
    """The shapes of record the code base declares, each built by `decorate`."""

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
    "Child": [((1, 2, "b.yml"), {}), ((1,), {}), ((1, 2), {"path": "a.yml"})],
    "OwnEquality": [(("k",), {}), (("k", "other"), {}), (("j",), {})],
}

RECORDS = shapes(record)
DATACLASSES = shapes(frozen_dataclass)


def built(kind: str, classes: dict[str, type[Any]]) -> list[Any]:
    return [classes[kind](*args, **kwargs) for args, kwargs in ARGUMENTS[kind]]


def hash_or_error(instance: object) -> int | str:
    try:
        return hash(instance)
    except TypeError as error:  # a field holds a list, as in a dataclass
        return str(error)


@pytest.mark.parametrize("kind", sorted(ARGUMENTS))
def test_a_record_reads_compares_and_hashes_as_the_frozen_dataclass(kind: str) -> None:
    records, reference = built(kind, RECORDS), built(kind, DATACLASSES)
    for mine, theirs in zip(records, reference, strict=True):
        assert repr(mine) == repr(theirs)
        assert hash_or_error(mine) == hash_or_error(theirs)
        assert [f.name for f in dataclasses.fields(mine)] == [
            f.name for f in dataclasses.fields(theirs)
        ]
        assert dataclasses.astuple(mine) == dataclasses.astuple(theirs)
        assert type(mine).__match_args__ == type(theirs).__match_args__
        assert dataclasses.is_dataclass(mine)
    for index, first in enumerate(records):
        for other_index, second in enumerate(records):
            expected = reference[index] == reference[other_index]
            assert (first == second) is expected
            assert (first != second) is not expected


@pytest.mark.parametrize("kind", sorted(ARGUMENTS))
def test_a_record_refuses_changes_as_the_frozen_dataclass(kind: str) -> None:
    for instance in built(kind, RECORDS):
        for name in [f.name for f in dataclasses.fields(instance)] + ["unknown"]:
            with pytest.raises(dataclasses.FrozenInstanceError, match=repr(name)):
                setattr(instance, name, "changed")
            with pytest.raises(dataclasses.FrozenInstanceError, match=repr(name)):
                delattr(instance, name)


def test_a_record_is_never_equal_to_another_class_with_the_same_values() -> None:
    point = RECORDS["Point"](1, 2)
    assert point != DATACLASSES["Point"](1, 2)
    assert point != RECORDS["Child"](1, 2)
    assert point != (1, 2)


def test_replace_copy_and_defaults_give_fresh_values() -> None:
    first, second = RECORDS["Tagged"]("a"), RECORDS["Tagged"]("b")
    assert first.notes is not second.notes  # each instance gets its own list from the factory
    changed = dataclasses.replace(first, name="c", origin="o")
    assert (changed.name, changed.origin, changed.tags) == ("c", "o", ())
    assert copy.deepcopy(changed) == changed
    derived = dataclasses.replace(RECORDS["Derived"]("one two"), text="one two three")
    assert (derived.length, derived.words) == (13, ("one", "two", "three"))
    with pytest.raises(ValueError, match="init=False"):
        dataclasses.replace(derived, length=1)


def test_the_constructor_checks_its_arguments_as_a_dataclass_does() -> None:
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'line'"):
        RECORDS["Point"]()
    with pytest.raises(TypeError, match="unexpected keyword argument 'length'"):
        RECORDS["Derived"]("x", length=1)
    with pytest.raises(TypeError, match="takes from 2 to 3 positional arguments"):
        RECORDS["Point"](1, 2, 3)


@record
class Pickled:
    name: str
    items: tuple[int, ...] = (1, 2)


def test_a_record_pickles_and_unpickles_equal() -> None:
    original = Pickled("x", (3,))
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.loads(pickle.dumps(original, protocol)) == original


def test_what_a_record_does_not_take_is_refused_when_declared() -> None:
    with pytest.raises(TypeError, match="follows default argument"):

        @record
        class DefaultFirst:
            first: int = 0
            second: int  # type: ignore[misc]

    with pytest.raises(TypeError, match="kw_only"):

        @record
        class KeywordOnly:
            first: int = field(kw_only=True)

    with pytest.raises(TypeError, match="Cannot overwrite attribute __setattr__"):

        @record
        class OwnSetattr:
            first: int

            def __setattr__(self, name: str, value: object) -> None:
                pass


def test_the_code_base_declares_no_frozen_dataclass_where_a_record_would_do() -> None:
    """Every frozen dataclass of the package is a record, but those with `slots` (which
    `record` does not make): a new `@dataclass(frozen=True)` would cost start-up time."""
    from pathlib import Path

    project = Path(__file__).resolve().parent.parent
    sources = {
        path.resolve()
        for folder in ("repo_harden", "checks", "hooks")
        for path in (project / folder).rglob("*.py")
    }
    offenders = [
        f"{path.relative_to(project)}:{number}"
        for path in sorted(sources)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if line.strip().startswith("@dataclass(frozen=True") and "slots=True" not in line
    ]
    assert offenders == []


def test_a_class_that_says_it_is_unhashable_stays_so_as_with_dataclass() -> None:
    def unhashable(decorate: Decorator) -> type[Any]:
        @decorate
        class Unhashable:
            value: str
            __hash__ = None  # type: ignore[assignment]

        return Unhashable

    for decorate in (record, frozen_dataclass):
        with pytest.raises(TypeError, match="unhashable"):
            hash(unhashable(decorate)("x"))
