"""The alerts page's parts (``dashboard/pages/alerts.py`` puts them together): what it reads,
how its tables show it, the silence form, the routing editor and the actions."""
