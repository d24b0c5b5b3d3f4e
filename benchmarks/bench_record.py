#!/usr/bin/env python3
"""What `@record` costs against `@dataclass` of the same kind (frozen, mutable, slotted): to
define a class (at import) and to make an instance, in the interpreter that runs this script.

A script, not a test: it prints figures and never fails on a slow one. Run it with each
Python to compare, from the repository's root:

    python benchmarks/bench_record.py
    python3.13 benchmarks/bench_record.py --classes 200 --instances 50000
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from repo_harden.core.record import record

Decorator = Callable[[type[Any]], type[Any]]
FIELDS = 5


def declare(number: int, decorate: Decorator) -> type[Any]:
    """A class of FIELDS text fields, declared as a module would (string annotations)."""
    namespace = {
        "__annotations__": {f"field{index}": "str" for index in range(FIELDS)},
        "__module__": __name__,
        "__qualname__": f"Shape{number}",
        "__doc__": "A shape.",
    }
    return decorate(type(f"Shape{number}", (), namespace))


def measure(decorate: Decorator, classes: int, instances: int) -> tuple[float, float]:
    """Milliseconds per class defined, nanoseconds per instance made."""
    started = time.perf_counter()
    declared = [declare(number, decorate) for number in range(classes)]
    defined = time.perf_counter() - started
    shape = declared[0]
    values = tuple(f"value{index}" for index in range(FIELDS))
    started = time.perf_counter()
    for _ in range(instances):
        shape(*values)
    made = time.perf_counter() - started
    return defined / classes * 1e3, made / instances * 1e9


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--classes", type=int, default=100, help="classes defined (default 100)")
    parser.add_argument(
        "--instances", type=int, default=20_000, help="instances made (default 20,000)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="the best of this many (default 3)")
    args = parser.parse_args()
    kinds: dict[str, Decorator] = {
        "dataclass(frozen=True)": dataclass(frozen=True),
        "record": record,
        "dataclass": dataclass,
        "record(frozen=False)": record(frozen=False),
        "dataclass(frozen, slots)": dataclass(frozen=True, slots=True),
        "record(slots=True)": record(slots=True),
    }
    print(
        f"Python {platform.python_version()}: {args.classes} classes of {FIELDS} fields, "
        f"{args.instances} instances, best of {args.rounds}"
    )
    for label, decorate in kinds.items():
        rounds = [measure(decorate, args.classes, args.instances) for _ in range(args.rounds)]
        define = min(round_[0] for round_ in rounds)
        make = min(round_[1] for round_ in rounds)
        print(f"  {label:<24} define {define:6.3f} ms/class   instance {make:6.0f} ns")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
