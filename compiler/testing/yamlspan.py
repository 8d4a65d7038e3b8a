"""YAML loading that remembers where every value was written."""

from __future__ import annotations

import yaml

from ..diagnostics import Diagnostics, Span, error

Path = tuple  # a path into the loaded value: keys and indices


def load_located(file: str, text: str) -> tuple[object, dict[Path, Span]]:
    """The value of a YAML document and the span of each node, by path.

    A mapping key's path ends with `("key", name)` so a message can point at
    the key itself rather than its value.
    """
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)  # libyaml when available: much faster
    try:
        node = loader.get_single_node()
        value = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = getattr(exc, "problem", None) or str(exc)
        raise Diagnostics([error("E601", Span(file, line, column, line, column + 1), f"invalid YAML: {problem}")]) from None
    finally:
        loader.dispose()
    spans: dict[Path, Span] = {}
    if node is not None:
        _walk(file, node, (), spans)
    return value, spans


def _span(file: str, node) -> Span:
    start, end = node.start_mark, node.end_mark
    return Span(file, start.line + 1, start.column + 1, end.line + 1, end.column + 1)


def _walk(file: str, node, path: Path, spans: dict[Path, Span]) -> None:
    spans[path] = _span(file, node)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = key.value
            spans[path + (("key", name),)] = _span(file, key)
            _walk(file, value, path + (name,), spans)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(file, item, path + (index,), spans)
