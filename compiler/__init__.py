"""regate: policy-as-code for container images, compiled to Rego and evaluated by OPA."""

__version__ = "0.1.0"
