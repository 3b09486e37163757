"""CLI command groups, one module per area; ``orderwatch.cli`` puts them together."""
