"""Policies as code: YAML test files beside policies, compiled to Rego tests and run by `opa test`."""
