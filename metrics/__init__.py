"""Every KPI and chart series, computed in SQL from the store."""
