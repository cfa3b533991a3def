"""csp-review: review Children's Services Plans against Criterion 10."""

__version__ = "0.1.0"
