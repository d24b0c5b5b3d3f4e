"""`record`: a dataclass that is cheaper to define and never imports `dataclasses`.

On Python 3.11, `@dataclass(frozen=True)` writes and compiles six functions for every
class as its module is imported (`__init__`, `__repr__`, `__eq__`, `__hash__`,
`__setattr__`, `__delattr__`): about half a millisecond a class, a fifth of a cold scan's
start-up for the hundred classes it imports. Importing `dataclasses` at all costs another
~10 ms (it imports `inspect`, `ast`, `dis`, `tokenize`). `record` reads the class's fields
itself, compiles only `__init__`, the one that runs for every instance, and only when the
first instance is made (a scan never instantiates two in five of the records it imports),
and gives the other functions shared code that reads the fields through a compiled
`operator.attrgetter`. Until then `inspect.signature` sees `(*args, **kwargs)`.

`@record` is `@dataclass(frozen=True)`, `@record(frozen=False)` is `@dataclass`, and
`slots=True` makes a new class with `__slots__` as dataclass does (a frozen one pickles
and copies). Fields are declared with this module's `field`, read with its `fields` and
changed with its `replace`; a record is not a dataclass to `dataclasses.fields` or
`is_dataclass` (that would need `dataclasses`' private field markers). Equality, hashes,
`repr`, `__match_args__`, the constructor's errors and `FrozenInstanceError` are those of
the dataclass of the same shape; mypy sees a dataclass (`dataclass_transform`). Not taken:
`InitVar`, `KW_ONLY`, `dataclasses.field` (each raises `TypeError` when the class is
defined). `tests/test_record.py` holds records against dataclasses of the same shapes.
"""

from __future__ import annotations

import reprlib
import sys
from collections.abc import Callable, Iterator
from operator import attrgetter
from types import MemberDescriptorType
from typing import Any, Generic, TypeVar, dataclass_transform, overload

from repo_harden.core.lazy import lazy_compile

T = TypeVar("T")


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
"""No default: the value of `Field.default` and `Field.default_factory` when not given."""


class Field(Generic[T]):
    """One field of a record: what `fields` returns (the attributes of `dataclasses.Field`
    that records use)."""

    __slots__ = ("compare", "default", "default_factory", "init", "name", "repr", "type")

    def __init__(
        self,
        default: Any,
        default_factory: Any,
        init: bool,
        repr: bool,
        compare: bool,
    ) -> None:
        self.name = ""
        self.type: object = None
        self.default = default
        self.default_factory = default_factory
        self.init = init
        self.repr = repr
        self.compare = compare

    def __repr__(self) -> str:
        return (
            f"Field(name={self.name!r},type={self.type!r},default={self.default!r},"
            f"default_factory={self.default_factory!r},init={self.init!r},"
            f"repr={self.repr!r},compare={self.compare!r})"
        )


@overload
def field(
    *,
    default: T,
    init: bool = True,
    repr: bool = True,
    compare: bool = True,
) -> T: ...


@overload
def field(
    *,
    default_factory: Callable[[], T],
    init: bool = True,
    repr: bool = True,
    compare: bool = True,
) -> T: ...


@overload
def field(
    *,
    init: bool = True,
    repr: bool = True,
    compare: bool = True,
) -> Any: ...


def field(
    *,
    default: Any = MISSING,
    default_factory: Any = MISSING,
    init: bool = True,
    repr: bool = True,
    compare: bool = True,
) -> Any:
    """A field with a default, a default factory, or left out of `__init__`, `repr` or
    equality, as `dataclasses.field` declares it."""
    if default is not MISSING and default_factory is not MISSING:
        raise ValueError("cannot specify both default and default_factory")
    return Field(default, default_factory, init, repr, compare)


@overload
def record(cls: type[T], /) -> type[T]: ...


@overload
def record(*, frozen: bool = True, slots: bool = False) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(field, Field))
def record(
    cls: type[T] | None = None, /, *, frozen: bool = True, slots: bool = False
) -> type[T] | Callable[[type[T]], type[T]]:
    """Make `cls` a dataclass, as `@dataclass(frozen=frozen, slots=slots)` would."""

    def decorate(cls: type[T]) -> type[T]:
        return _make_record(cls, frozen, slots)

    if cls is None:
        return decorate
    return decorate(cls)


def fields(class_or_instance: object) -> tuple[Field[Any], ...]:
    """The fields of a record (class or instance), in order, as `dataclasses.fields`."""
    try:
        found: dict[str, Field[Any]] = class_or_instance.__record_fields__  # type: ignore[attr-defined]
    except AttributeError:
        raise TypeError("must be called with a record type or instance") from None
    return tuple(found.values())


def replace(obj: T, /, **changes: Any) -> T:
    """A new record like `obj` with `changes`, made by its `__init__` (so `__post_init__`
    runs), as `dataclasses.replace`; an `init=False` field cannot be changed."""
    for one in fields(obj):
        if not one.init:
            if one.name in changes:
                raise ValueError(
                    f"field {one.name} is declared with init=False, "
                    "it cannot be specified with replace()"
                )
            continue
        if one.name not in changes:
            changes[one.name] = getattr(obj, one.name)
    return obj.__class__(**changes)


def _make_record(cls: type[T], frozen: bool, slots: bool) -> type[T]:
    own = dict(cls.__dict__)
    found = _collect_fields(cls, frozen)
    declared = tuple(found.values())
    if cls.__doc__ is None:
        cls.__doc__ = _signature_doc(cls, declared)
    if frozen:
        for name in ("__setattr__", "__delattr__"):
            if name in own:
                raise TypeError(f"Cannot overwrite attribute {name} in class {cls.__name__}")
    attributes: dict[str, object] = {
        "__record_fields__": found,
        "__record_frozen__": frozen,
        "__record_owner__": cls,
        "__record_names__": frozenset(found),
        "__record_shown__": tuple(one.name for one in declared if one.repr),
        "__record_key__": staticmethod(_key_of(tuple(one.name for one in declared if one.compare))),
    }
    if "__init__" not in own:
        _check_defaults_order(declared)
        attributes["__init__"] = _compiled_on_first_use(cls, declared, frozen, slots)
    if "__repr__" not in own:
        attributes["__repr__"] = _record_repr
    if "__eq__" not in own:
        attributes["__eq__"] = _record_eq
    # dataclass's rule for eq=True: a `__hash__` of the class's own is kept (a `None` too,
    # unless Python put it there because the class defines `__eq__`); otherwise a frozen
    # class hashes its compared fields and a mutable one is unhashable
    explicit_hash = "__hash__" in own and not (own["__hash__"] is None and "__eq__" in own)
    if not explicit_hash:
        attributes["__hash__"] = _record_hash if frozen else None
    if frozen:
        attributes["__setattr__"] = _frozen_setattr
        attributes["__delattr__"] = _frozen_delattr
    if "__match_args__" not in own:
        attributes["__match_args__"] = tuple(one.name for one in declared if one.init)
    for name, value in attributes.items():
        setattr(cls, name, value)
    if slots:
        cls = _with_slots(cls, frozen)
    return cls


def _collect_fields(cls: type, frozen: bool) -> dict[str, Field[Any]]:
    """The fields as dataclass orders them: the bases' records first (the furthest base
    first), then the class's own annotations in order, `ClassVar` left out."""
    found: dict[str, Field[Any]] = {}
    for base in cls.__mro__[-1:0:-1]:
        inherited: dict[str, Field[Any]] | None = base.__dict__.get("__record_fields__")
        if inherited is None:
            continue
        if base.__dict__["__record_frozen__"] != frozen:
            kind = "frozen" if frozen else "non-frozen"
            other = "non-frozen" if frozen else "frozen"
            raise TypeError(f"cannot inherit {kind} dataclass from a {other} one")
        found.update(inherited)
    # the class's own, in order (`inspect.get_annotations` would import `inspect`)
    annotations: dict[str, object] = cls.__dict__.get("__annotations__", {})  # noqa: RUF063
    for name, annotation in annotations.items():
        if isinstance(annotation, str) and not _MARKED.search(annotation):
            found[name] = _field_of(cls, name, annotation)  # the usual case, read at once
            continue
        if _names_one_of(annotation, cls, ("InitVar", "KW_ONLY")):
            raise TypeError(f"{cls.__name__}.{name}: record takes no InitVar nor KW_ONLY")
        if _names_one_of(annotation, cls, ("ClassVar",)):
            continue
        found[name] = _field_of(cls, name, annotation)
    for name, value in cls.__dict__.items():
        if isinstance(value, Field) and name not in annotations:
            raise TypeError(f"{name!r} is a field but has no type annotation")
    return found


def _field_of(cls: type, name: str, annotation: object) -> Field[Any]:
    default = getattr(cls, name, MISSING)
    if isinstance(default, Field):
        declared = default
    else:
        if _is_dataclasses_field(default):
            raise TypeError(f"{cls.__name__}.{name}: declare it with repo_harden's record.field")
        if isinstance(default, MemberDescriptorType):  # a slot of a base, not a default
            default = MISSING
        declared = Field(default, MISSING, True, True, True)
    declared.name = name
    declared.type = annotation
    if declared.default is not MISSING and declared.default.__class__.__hash__ is None:
        raise ValueError(
            f"mutable default {type(declared.default)} for field {name} is not allowed: "
            "use default_factory"
        )
    # the class attribute as dataclass leaves it: the default, or none at all
    if isinstance(cls.__dict__.get(name), Field):
        if declared.default is MISSING:
            delattr(cls, name)
        else:
            setattr(cls, name, declared.default)
    return declared


def _signature_doc(cls: type, declared: tuple[Field[Any], ...]) -> str:
    """The docstring dataclass gives a class without one: its `__init__`'s signature, as
    `inspect.signature` writes it."""
    parameters = []
    for one in declared:
        if not one.init:
            continue
        text = f"{one.name}: {_annotation_text(one.type)}"
        if one.default is not MISSING:
            text += f" = {one.default!r}"
        elif one.default_factory is not MISSING:
            text += " = <factory>"
        parameters.append(text)
    return f"{cls.__name__}({', '.join(parameters)})"


def _annotation_text(annotation: object) -> str:
    if isinstance(annotation, type) and annotation.__module__ == "builtins":
        return annotation.__qualname__
    if isinstance(annotation, type):
        return f"{annotation.__module__}.{annotation.__qualname__}"
    return repr(annotation).replace("typing.", "")


def _is_dataclasses_field(value: object) -> bool:
    kind = type(value)
    return kind.__module__ == "dataclasses" and kind.__name__ == "Field"


# A string annotation without these names is a plain field.
_MARKED = lazy_compile(r"ClassVar|InitVar|KW_ONLY")
_ANNOTATION_HEAD = lazy_compile(r"^(?:\s*(\w+)\s*\.)?\s*(\w+)")


def _names_one_of(annotation: object, cls: type, names: tuple[str, ...]) -> bool:
    """Whether a (possibly string) annotation is `ClassVar`, `typing.ClassVar[...]`, ... as
    dataclass reads it: the name at its head."""
    if not isinstance(annotation, str):
        origin = getattr(annotation, "__origin__", annotation)
        kind = origin if isinstance(origin, type) else type(origin)
        label = getattr(origin, "_name", None) or kind.__name__
        return label in names and kind.__module__ in ("typing", "dataclasses")
    match = _ANNOTATION_HEAD.match(annotation)
    if match is None:
        return False
    module_name, name = match.groups()
    if name not in names:
        return False
    if module_name is None:
        return True
    module = sys.modules.get(cls.__module__)
    namespace = module.__dict__ if module is not None else {}
    bound = namespace.get(module_name)
    return getattr(bound, "__name__", None) in ("typing", "dataclasses")


def _check_defaults_order(declared: tuple[Field[Any], ...]) -> None:
    """dataclass's error, when the class is defined, for a field without a default that
    follows one with a default in `__init__`."""
    seen_default = False
    for one in declared:
        if not one.init:
            continue
        has_default = one.default is not MISSING or one.default_factory is not MISSING
        if seen_default and not has_default:
            raise TypeError(f"non-default argument {one.name!r} follows default argument")
        seen_default = seen_default or has_default


def _compiled_on_first_use(
    cls: type, declared: tuple[Field[Any], ...], frozen: bool, slots: bool
) -> Callable[..., None]:
    """An `__init__` that compiles the class's own (`_init_of`) when the first instance is
    made, puts it in its place and runs it: a class that is never instantiated (most of
    those a scan imports) never pays for the compile, a fifth of a millisecond."""

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        # the class that holds this placeholder: `cls`, or the class `slots=True` made of it
        owner = next((k for k in type(self).__mro__ if k.__dict__.get("__init__") is __init__), cls)
        compiled = _init_of(owner, declared, frozen, slots)
        owner.__init__ = compiled  # type: ignore[misc]
        compiled(self, *args, **kwargs)

    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    __init__.__module__ = cls.__module__
    return __init__


def _init_of(
    cls: type, declared: tuple[Field[Any], ...], frozen: bool, slots: bool
) -> Callable[..., None]:
    """The class's `__init__`, compiled from source as dataclass writes it: defaults and
    default factories, `init=False` fields, then `__post_init__`."""
    namespace: dict[str, object] = {
        "__record_factory_sentinel": _FACTORY,
        "__record_set": object.__setattr__,
    }
    parameters: list[str] = []
    body: list[str] = ["__record_values = self.__dict__"] if frozen and not slots else []

    def store(name: str, value: str) -> str:
        if not frozen:
            return f"self.{name} = {value}"
        if slots:
            return f"__record_set(self, {name!r}, {value})"
        return f"__record_values[{name!r}] = {value}"

    for one in declared:
        name = one.name
        has_default = one.default is not MISSING
        has_factory = one.default_factory is not MISSING
        if has_default:
            namespace[f"__record_default_{name}"] = one.default
        if has_factory:
            namespace[f"__record_factory_{name}"] = one.default_factory
        if one.init:
            if has_default:
                parameters.append(f"{name}=__record_default_{name}")
            elif has_factory:
                parameters.append(f"{name}=__record_factory_sentinel")
                body.append(
                    f"if {name} is __record_factory_sentinel: {name} = __record_factory_{name}()"
                )
            else:
                parameters.append(name)
            body.append(store(name, name))
        elif has_default:
            body.append(store(name, f"__record_default_{name}"))
        elif has_factory:
            body.append(store(name, f"__record_factory_{name}()"))
    if hasattr(cls, "__post_init__"):
        body.append("self.__post_init__()")
    if not body:
        body.append("pass")
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


def _with_slots(cls: type[T], frozen: bool) -> type[T]:
    """A new class with `__slots__` for the fields not slotted in a base, as dataclass's
    `slots=True` makes it."""
    if "__slots__" in cls.__dict__:
        raise TypeError(f"{cls.__name__} already specifies __slots__")
    namespace = dict(cls.__dict__)
    names = tuple(namespace["__record_fields__"])
    inherited = {slot for base in cls.__mro__[1:-1] for slot in _slots_of(base)}
    namespace["__slots__"] = tuple(name for name in names if name not in inherited)
    for name in names:
        namespace.pop(name, None)  # a default stays in `__init__`, not as a class attribute
    namespace.pop("__dict__", None)
    namespace.pop("__weakref__", None)
    metaclass: Any = type(cls)
    slotted: Any = metaclass(cls.__name__, cls.__bases__, namespace)
    slotted.__qualname__ = cls.__qualname__
    slotted.__record_owner__ = slotted
    if frozen:
        if "__getstate__" not in namespace:
            slotted.__getstate__ = _slotted_getstate
        if "__setstate__" not in namespace:
            slotted.__setstate__ = _slotted_setstate
    made: type[T] = slotted
    return made


def _slots_of(cls: type) -> Iterator[str]:
    slots = cls.__dict__.get("__slots__")
    if slots is None:
        return
    if isinstance(slots, str):
        yield slots
    elif not hasattr(slots, "__next__"):
        yield from slots
    else:
        raise TypeError(f"Slots of '{cls.__name__}' cannot be determined")


def _slotted_getstate(self: Any) -> list[object]:
    return [getattr(self, name) for name in self.__record_fields__]


def _slotted_setstate(self: Any, state: list[object]) -> None:
    for name, value in zip(self.__record_fields__, state, strict=False):
        object.__setattr__(self, name, value)  # frozen: as its `__init__` does


def _key_of(names: tuple[str, ...]) -> Callable[[object], tuple[object, ...]]:
    """The tuple dataclass compares and hashes: the compared fields, in order."""
    if not names:
        return lambda _: ()
    if len(names) == 1:
        one = attrgetter(names[0])
        return lambda instance: (one(instance),)
    key: Callable[[object], tuple[object, ...]] = attrgetter(*names)
    return key


def _frozen_error(message: str) -> AttributeError:
    """`dataclasses.FrozenInstanceError`, imported only when one is raised (rare)."""
    import dataclasses

    return dataclasses.FrozenInstanceError(message)


def _frozen_setattr(self: Any, name: str, value: object) -> None:
    if type(self) is self.__record_owner__ or name in self.__record_names__:
        raise _frozen_error(f"cannot assign to field {name!r}")
    super(self.__record_owner__, self).__setattr__(name, value)


def _frozen_delattr(self: Any, name: str) -> None:
    if type(self) is self.__record_owner__ or name in self.__record_names__:
        raise _frozen_error(f"cannot delete field {name!r}")
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
