"""Channel connectors, sync with watermarks, reconciliation, scans and history import."""
