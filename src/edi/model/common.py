"""Small value objects shared by several transactions."""

from __future__ import annotations

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
        try:
            fill = object.__getattribute__(self, "_fill")
        except AttributeError:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}") from None
        object.__delattr__(self, "_fill")
        fill[0](self, *fill[1:])
        return object.__getattribute__(self, name)


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
