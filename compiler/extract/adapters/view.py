"""A typed, pointer-carrying view of untrusted JSON.

Adapters read files written by other tools, sometimes by hand or by a broken
tool. Every access goes through a `View`, so a value of the wrong type becomes
an `InputError` naming the file and the JSON Pointer of the offending value
instead of a Python traceback deep inside an adapter.
"""

from __future__ import annotations

import math
from typing import Any, Iterator

from ...errors import InputError
from ..numbers import clip, decimal, in_range

_STRING = frozenset({str})
_TYPE_NAMES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}


def describe(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _short(value: object) -> str:
    """A number as found, cut short: an integer may have thousands of digits (too many for str())."""
    if isinstance(value, int) and value.bit_length() > 128:
        return f"a {value.bit_length()}-bit integer"
    return repr(clip(value)) if isinstance(value, str) else clip(str(value))


def escape(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


class View:
    # The pointer is built only when an error needs it: views are made for every value read. The
    # adapters read hundreds of thousands of values from a large report, so each method below looks
    # its child up itself rather than through a shared helper, a function call per value read, and
    # asks a value that is no object for a member by catching the AttributeError (only objects have
    # `get` among JSON values), which costs nothing until raised, unlike a type test per read.
    __slots__ = ("value", "path", "_base", "_parent", "_key")

    # An item of an array has the array's parent as its own and (key, index) as its key: no view
    # is made for the array itself.
    def __init__(self, value: Any, path: str, pointer: str = "", parent: "View | None" = None,
                 key: str | int | tuple[str, int] = ""):
        self.value = value
        self.path = path
        self._base = pointer
        self._parent = parent
        self._key = key

    @property
    def pointer(self) -> str:
        if self._parent is None:
            return self._base
        if type(self._key) is tuple:
            return f"{self._parent.pointer}/{escape(self._key[0])}/{self._key[1]}"
        return f"{self._parent.pointer}/{escape(self._key)}"

    def error(self, message: str, key: str | int | None = None) -> InputError:
        pointer = self.pointer if key is None else f"{self.pointer}/{escape(key)}"
        return InputError(self.path, message, pointer or "/")

    def has(self, key: str) -> bool:
        try:
            return self.value.get(key) not in (None, "", [], {})
        except AttributeError:
            return False

    def raw(self, key: str) -> Any:
        try:
            return self.value.get(key)
        except AttributeError:
            return None

    def at(self, key: str | int, child: Any) -> "View":
        return View(child, self.path, "", self, key)

    def obj(self, key: str) -> "View":
        """The object under `key`; missing or null reads as an empty object."""
        try:
            child = self.value.get(key)
        except AttributeError:
            child = None
        if child is None:
            child = {}
        elif not isinstance(child, dict):
            raise self.error(f"expected an object, found {describe(child)}", key)
        return View(child, self.path, "", self, key)

    def arr(self, key: str) -> list["View"]:
        """The items of the array under `key`; missing or null reads as empty."""
        try:
            child = self.value.get(key)
        except AttributeError:
            child = None
        if child is None:
            return []
        if not isinstance(child, list):
            raise self.error(f"expected an array, found {describe(child)}", key)
        if not child:
            return []
        path = self.path
        if len(child) == 1:  # most arrays of a report (a comprehension costs a call of its own)
            return [View(child[0], path, "", self, (key, 0))]
        return [View(item, path, "", self, (key, index)) for index, item in enumerate(child)]

    def items(self) -> Iterator["View"]:
        if not isinstance(self.value, list):
            raise self.error(f"expected an array, found {describe(self.value)}")
        for index, item in enumerate(self.value):
            yield self.at(index, item)

    def entries(self) -> Iterator[tuple[str, "View"]]:
        if not isinstance(self.value, dict):
            raise self.error(f"expected an object, found {describe(self.value)}")
        for key, item in self.value.items():
            yield key, self.at(key, item)

    def expect_object(self) -> "View":
        if not isinstance(self.value, dict):
            raise self.error(f"expected an object, found {describe(self.value)}")
        return self

    def str(self, key: str, default: str = "") -> str:
        """A string; numbers are accepted and written in decimal (some tools emit numeric versions)."""
        try:
            child = self.value.get(key)
        except AttributeError:
            child = None
        if isinstance(child, str):
            return child
        if child is None:
            return default
        if isinstance(child, (int, float)) and not isinstance(child, bool):
            return str(child)
        raise self.error(f"expected a string, found {describe(child)}", key)

    def strs(self, key: str) -> list[str]:
        """An array of strings, or a single string read as a one-item array."""
        try:
            child = self.value.get(key)
        except AttributeError:
            child = None
        if child is None:
            return []
        if isinstance(child, str):
            return [child] if child else []
        if type(child) is list and {*map(type, child)} <= _STRING:  # the usual case, without a view per item
            return [item for item in child if item]
        out = []
        for item in self.arr(key):
            if not isinstance(item.value, str):
                raise item.error(f"expected a string, found {describe(item.value)}")
            if item.value:
                out.append(item.value)
        return out

    def int(self, key: str) -> int | None:
        """An integer in 64-bit range; decimal strings are accepted (some tools quote numbers)."""
        try:
            child = self.value.get(key)
        except AttributeError:
            child = None
        if child is None or child == "":
            return None
        value = None
        if isinstance(child, int) and not isinstance(child, bool):
            value = child
        elif isinstance(child, float) and child.is_integer():
            value = int(child)
        elif isinstance(child, str):
            value = decimal(child, signed=True)
            if value is None:
                raise self.error("expected an integer, found a string that is not a decimal integer in 64-bit range", key)
        if value is None:
            raise self.error(f"expected an integer, found {describe(child)}", key)
        if not in_range(value):
            raise self.error(f"integer {_short(value)} is out of range (64-bit)", key)
        return value

    def uint(self, key: str, bits: int) -> int | None:
        """A non-negative integer that fits in `bits` bits (file modes)."""
        value = self.int(key)
        if value is not None and not 0 <= value < 1 << bits:
            raise self.error(f"expected an unsigned {bits}-bit integer, found {_short(value)}", key)
        return value

    def size(self, key: str) -> int | None:
        """A byte count: an integer that is not negative."""
        value = self.int(key)
        if value is not None and value < 0:
            raise self.error(f"expected a size in bytes, found {value}", key)
        return value

    def fraction(self, key: str) -> float | None:
        """A number between 0 and 1 (probabilities, percentiles)."""
        value = self.num(key)
        if value is not None and not 0 <= value <= 1:
            raise self.error(f"expected a number between 0 and 1, found {value}", key)
        return value

    def num(self, key: str) -> float | None:
        """A finite number: NaN and Infinity are not JSON and must never reach a document."""
        try:
            child = self.value.get(key)
        except AttributeError:
            child = None
        if type(child) is float and math.isfinite(child):  # the usual case, before the rules below
            return child
        if child is None or child == "":
            return None
        if isinstance(child, bool):
            raise self.error("expected a number, found a boolean", key)
        value = child
        if isinstance(child, str):
            try:
                value = float(child)
            except ValueError:
                raise self.error("expected a number, found a string that is not a number", key) from None
        if isinstance(value, int):
            if not in_range(value):
                raise self.error(f"number {_short(value)} is out of range (64-bit)", key)
            return value
        if not isinstance(value, float):
            raise self.error(f"expected a number, found {describe(child)}", key)
        if not math.isfinite(value):
            raise self.error(f"expected a finite number, found {_short(child)} (NaN and Infinity are not JSON)", key)
        return value

    def bool(self, key: str) -> bool | None:
        try:
            child = self.value.get(key)
        except AttributeError:
            child = None
        if child is None:
            return None
        if isinstance(child, bool):
            return child
        raise self.error(f"expected a boolean, found {describe(child)}", key)
