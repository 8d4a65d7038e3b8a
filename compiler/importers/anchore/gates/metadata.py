"""metadata/attribute: image size, platform, distro and layer count (gates/image_metadata.py)."""

from __future__ import annotations

import re

from ..model import Rule
from ..params import Params, Untranslatable, anchored, message_text, string, string_list
from . import Translation, translator

ATTRIBUTES = {
    "size": "image.size",
    "architecture": "image.architecture",
    "os_type": "image.os",
    "distro": "image.distro.name",
    "distro_version": "image.distro.version",
    "like_distro": "image.distro.like",
    "layer_count": "count(image.layers)",
}
CHECKS = ("=", "!=", ">", "<", ">=", "<=", "exists", "not_exists", "like", "not_like", "in", "not_in")
# anchore_engine.utils: BYTES_REGEX and SIZE_UNITS (powers of 1024, lower-case units only).
_BYTES = re.compile(r"^([0-9]+)([kmgt]b)?$")
_UNITS = {"kb": 1024, "mb": 1024**2, "gb": 1024**3, "tb": 1024**4}


def _operand(attribute: str, value: str) -> str:
    if attribute == "size":
        found = _BYTES.match(value)
        if not found:
            raise Untranslatable(f"size {value!r} is not a number of bytes with an optional kb, mb, gb or tb")
        return str(int(found.group(1)) * _UNITS.get(found.group(2) or "", 1))
    if attribute == "layer_count":
        if not re.fullmatch(r"\s*\d+\s*", value):
            raise Untranslatable(f"layer_count {value!r} is not a whole number")
        return str(int(value))
    return string(value)


@translator("metadata", "attribute")
def attribute(rule: Rule) -> Translation:
    p = Params(rule, ("attribute", "check", "value"))
    name = p.enum("attribute", tuple(ATTRIBUTES), required=True)
    check = p.enum("check", CHECKS, required=True)
    value = p.text("value")
    field = ATTRIBUTES[name]
    if check in ("exists", "not_exists"):
        # Anchore tests the value's truth: no layers or an empty ID_LIKE does not exist.
        test = {"layer_count": f"{field} > 0", "like_distro": f"count({field}) > 0"}.get(name, f"exists({field})")
        when = test if check == "exists" else f"not ({test})"
    elif value is None:
        raise Untranslatable(f"check '{check}' needs a value to compare with; Anchore never fires this rule")
    elif name == "like_distro":
        # Anchore's like_distro is one string; the document keeps ID_LIKE as a list.
        if check not in ("=", "!=", "in", "not_in"):
            raise Untranslatable(f"like_distro is a list in the input document; check '{check}' has no meaning for it")
        values = [value] if check in ("=", "!=") else [v.strip() for v in value.split(",")]
        test = f"any(d in {field} where d in {string_list(values)})"
        when = test if check in ("=", "in") else f"not ({test})"
    else:
        when = _compare(field, check, name, value)
    # Anchore shows the value it compared: a size in bytes, a count as a number.
    shown = (_operand(name, value) if value and name in ("size", "layer_count") and check not in
             ("exists", "not_exists", "in", "not_in") else value or "")
    head = f"Attribute check for attribute: '{name}' check: '{check}' check_value: '{shown}' matched image value: '"
    # like_distro is a list in the document, one string in Anchore's message: no exact text for its MD5 id.
    anchore = None if name == "like_distro" else f"{string(head)} + string({field}) + \"'\""
    return Translation(title=f"Image {name} {check} {value or ''}".strip(), when=when,
                       message=message_text(head) + f"{{{field}}}'", anchore_message=anchore)


def _compare(field: str, check: str, name: str, value: str) -> str:
    if check in ("like", "not_like"):
        if name in ("size", "layer_count"):
            raise Untranslatable(f"{name} is a number; check '{check}' matches text")
        test = f"{field} matches {anchored(value, 'value')}"
        return test if check == "like" else f"exists({field}) and not ({test})"
    if check in ("in", "not_in"):
        items = [_operand(name, v.strip()) for v in value.split(",")]
        test = f"{field} in [{', '.join(items)}]"
        return test if check == "in" else f"not ({test})"
    test = f"{field} {'==' if check in ('=', '!=') else check} {_operand(name, value)}"
    # Anchore's `None != x` is true: a missing value differs from every value.
    return f"not ({test})" if check == "!=" else test
