"""`record`: a frozen dataclass that is cheaper to define.

On Python 3.11, `@dataclass(frozen=True)` writes and compiles six functions for every
class as its module is imported (`__init__`, `__repr__`, `__eq__`, `__hash__`,
`__setattr__`, `__delattr__`): about half a millisecond a class, a fifth of a cold scan's
start-up for the hundred classes it imports. `record` compiles only `__init__`, the one
that runs for every instance, and gives the other five shared functions that read the
class's fields through a compiled `operator.attrgetter`.

To everything else a record is a frozen dataclass: `dataclasses.fields`, `replace`,
pickling, `__match_args__`, equality and hashes (the same values), the same `repr` and the
same `FrozenInstanceError`; mypy sees `dataclass(frozen=True)` (`dataclass_transform`).
What it does not take: decorator arguments, `InitVar`, `kw_only`, `field(hash=...)`
(each raises `TypeError` when the class is defined), and `__slots__` (use `dataclass`).
`tests/test_record.py` holds records against dataclasses of the same shapes.
"""

from __future__ import annotations

import dataclasses
import reprlib
from collections.abc import Callable
from inspect import get_annotations
from operator import attrgetter
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
def record(cls: type[T]) -> type[T]:
    """Make `cls` a frozen dataclass, as `@dataclass(frozen=True)` would."""
    own = dict(cls.__dict__)
    if cls.__doc__ is None:
        cls.__doc__ = cls.__name__  # so that dataclass does not build one with `inspect`
    dataclasses.dataclass(cls, init=False, repr=False, eq=False)  # fields, params, match args
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    _refuse_unsupported(cls, fields)
    compared = tuple(field.name for field in fields if field.compare)
    for name in ("__setattr__", "__delattr__"):
        if name in own:
            raise TypeError(f"Cannot overwrite attribute {name} in class {cls.__name__}")
    attributes: dict[str, object] = {
        "__init__": _init_of(cls, fields),
        "__setattr__": _frozen_setattr,
        "__delattr__": _frozen_delattr,
        "__record_owner__": cls,
        "__record_names__": frozenset(field.name for field in fields),
        "__record_shown__": tuple(field.name for field in fields if field.repr),
        "__record_key__": staticmethod(_key_of(compared)),
    }
    if "__repr__" not in own:
        attributes["__repr__"] = _record_repr
    if "__eq__" not in own:
        attributes["__eq__"] = _record_eq
    # dataclass's rule for frozen=True, eq=True: a `__hash__` of the class's own is kept (a
    # `None` too, unless Python put it there because the class defines `__eq__`)
    explicit_hash = "__hash__" in own and not (own["__hash__"] is None and "__eq__" in own)
    if not explicit_hash:
        attributes["__hash__"] = _record_hash
    for name, value in attributes.items():
        setattr(cls, name, value)
    return cls


def _refuse_unsupported(cls: type, fields: tuple[dataclasses.Field[Any], ...]) -> None:
    if any("InitVar" in str(annotation) for annotation in get_annotations(cls).values()):
        raise TypeError(f"{cls.__name__}: record takes no InitVar fields")
    for field in fields:
        if field.kw_only is True or field.hash is not None:
            raise TypeError(f"{cls.__name__}.{field.name}: record takes no kw_only nor hash")


def _init_of(cls: type, fields: tuple[dataclasses.Field[Any], ...]) -> Callable[..., None]:
    """The class's `__init__`, compiled from source as dataclass writes it: defaults and
    default factories, `init=False` fields, then `__post_init__`."""
    namespace: dict[str, object] = {"__record_factory_sentinel": _FACTORY}
    parameters: list[str] = []
    body: list[str] = ["__record_values = self.__dict__"]
    seen_default = False
    for field in fields:
        name = field.name
        has_default = field.default is not dataclasses.MISSING
        has_factory = field.default_factory is not dataclasses.MISSING
        if has_default:
            namespace[f"__record_default_{name}"] = field.default
        if has_factory:
            namespace[f"__record_factory_{name}"] = field.default_factory
        if field.init:
            if has_default:
                parameters.append(f"{name}=__record_default_{name}")
            elif has_factory:
                parameters.append(f"{name}=__record_factory_sentinel")
                body.append(
                    f"if {name} is __record_factory_sentinel: {name} = __record_factory_{name}()"
                )
            elif seen_default:
                raise TypeError(f"non-default argument {name!r} follows default argument")
            else:
                parameters.append(name)
            seen_default = seen_default or has_default or has_factory
            body.append(f"__record_values[{name!r}] = {name}")
        elif has_default:
            body.append(f"__record_values[{name!r}] = __record_default_{name}")
        elif has_factory:
            body.append(f"__record_values[{name!r}] = __record_factory_{name}()")
    if hasattr(cls, "__post_init__"):
        body.append("self.__post_init__()")
    source = f"def __init__(self, {', '.join(parameters)}):\n    " + "\n    ".join(body)
    exec(source, namespace)  # our own source, written from the class's field names
    init: Callable[..., None] = namespace["__init__"]  # type: ignore[assignment]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    return init


class _FactorySentinel:
    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _FactorySentinel()


def _key_of(names: tuple[str, ...]) -> Callable[[object], tuple[object, ...]]:
    """The tuple dataclass compares and hashes: the compared fields, in order."""
    if not names:
        return lambda _: ()
    if len(names) == 1:
        one = attrgetter(names[0])
        return lambda instance: (one(instance),)
    key: Callable[[object], tuple[object, ...]] = attrgetter(*names)
    return key


def _frozen_setattr(self: Any, name: str, value: object) -> None:
    if type(self) is self.__record_owner__ or name in self.__record_names__:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
    super(self.__record_owner__, self).__setattr__(name, value)


def _frozen_delattr(self: Any, name: str) -> None:
    if type(self) is self.__record_owner__ or name in self.__record_names__:
        raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
    super(self.__record_owner__, self).__delattr__(name)


@reprlib.recursive_repr()
def _record_repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__record_shown__)
    return f"{type(self).__qualname__}({shown})"


def _record_eq(self: Any, other: object) -> object:
    key: Callable[[object], tuple[object, ...]] = self.__record_key__
    if other.__class__ is not self.__class__:
        return NotImplemented
    return key(self) == key(other)


def _record_hash(self: Any) -> int:
    return hash(self.__record_key__(self))
