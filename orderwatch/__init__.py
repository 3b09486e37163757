"""orderwatch: settings, the CLI and process wiring (serve, worker, demo)."""
