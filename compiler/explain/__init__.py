"""`regate check --explain`: from a STOP to the smallest change that passes, proven by OPA.

- `candidates`: which entry each blocking finding names and the change that clears it;
- `versions` (+ `upgrade.rego`): the lowest upgrades, ordered by the bundle's own version library;
- `changes`: each change as JSON Patch operations on the input document;
- `layers`: which layer (base image or own build) brought each changed package in;
- `plan`: the combined plan, its patch, and the patched document evaluated by the same engine;
- `exceptions`: exceptions for what no change clears, suggested and never applied.
"""

from .plan import Context, explain

__all__ = ["Context", "explain"]
