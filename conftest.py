"""Repository-level pytest configuration: the `braze` plugin itself comes from the package's entry point."""
