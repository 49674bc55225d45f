"""Small value objects shared by several transactions."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from decimal import Decimal


class LazyFields:
    """Base of model objects a reader may fill in on first access.

    A reader creates the object without calling `__init__`, stores
    `(fill, *args)` in `_fill` and leaves the dataclass slots unset. The first
    read of any unset field lands in `__getattr__`, which calls
    `fill(obj, *args)` once; `fill` must set every field (normally by calling the
    dataclass `__init__`). Objects built with the constructor never take this
    path, and filled objects read their slots at full speed. Equality, repr,
    `dataclasses.replace`/`asdict` and pickling all go through attribute access,
    so a lazy object is indistinguishable from an eagerly built one.
    """

    __slots__ = ("_fill",)

    def __getattr__(self, name: str):
        # Threads: one fill at a time (a lock taken only on this first-access path), and
        # `fill` assigns each field once, already complete, so a thread that reads a field
        # set meanwhile sees its final value and one that reads an unset field waits here.
        with _FILL_LOCK:
            try:
                fill = object.__getattribute__(self, "_fill")
            except AttributeError:
                try:  # filled by another thread while this one waited
                    return object.__getattribute__(self, name)
                except AttributeError:
                    raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}") from None
            fill[0](self, *fill[1:])
            object.__delattr__(self, "_fill")
        return object.__getattribute__(self, name)


_FILL_LOCK = threading.RLock()


@dataclass(frozen=True, slots=True)
class Address:
    line1: str
    city: str
    state: str
    postal_code: str
    line2: str | None = None
    country: str | None = None


@dataclass(slots=True)
class Adjustment:
    """One CAS reason/amount(/quantity). Positive amounts reduce payment (guide section 10)."""

    group: str  # CO, PR, OA, PI (CR only from legacy payers)
    reason: str  # CARC
    amount: Decimal
    quantity: Decimal | None = None
