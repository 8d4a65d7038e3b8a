"""The three actions of a decision, best first: the index is an action's severity."""

from __future__ import annotations

from typing import Iterable

ACTIONS = ("GO", "WARN", "STOP")


def rank(action: str) -> int:
    return ACTIONS.index(action)


def worst(actions: Iterable[str]) -> str:
    return max(actions, key=rank, default="GO")
