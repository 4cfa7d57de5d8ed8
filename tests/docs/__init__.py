"""What the docs promise: the README and docs/ examples, and the demo command."""
