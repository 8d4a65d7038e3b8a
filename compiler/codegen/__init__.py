"""Checked policy set → Rego v1 modules and the bundle's data document.

One module per policy (`package regate.policies.<name>`), one rule per policy
rule, small methods per AST node dispatched by node type. Generated code is
`opa fmt`-clean and passes `opa check --strict`; it only references the
runtime library by full path, so it needs no imports.

Performance contract: a rule iterates over one input collection; membership
tests against named lists go through sets (`data.regate.sets.*`), parameter
maps through key lookups, each set, list or parameter a rule's conditions read
is looked up once per rule (not per element, and not at all for an empty
collection), and equality on a collection's key becomes a direct lookup
instead of a scan.

Stages of the package, each a module: `rego` (text of Rego: strings, identifiers,
METADATA), `exceptions` (bundle-wide exception ids), `rules` (one policy rule →
a Rego rule and its helpers, with `conditions` and `terms` as its per-node
methods), `modules` (one Rego module per policy, the sets module).
"""

from .exceptions import ExceptionDef, exception_defs
from .modules import GeneratedModule, generate_modules, package_names
from .rego import date_ns, identifier, rego_string, source_of
from .rules import Mapped

__all__ = ["ExceptionDef", "GeneratedModule", "Mapped", "date_ns", "exception_defs", "generate_modules", "identifier",
           "package_names", "rego_string", "source_of"]
