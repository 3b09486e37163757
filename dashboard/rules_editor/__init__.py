"""The rules editor (``/rules``): forms built from the rule models, the dry run, the history and
its diff. The page is ``dashboard/pages/rules.py``; the work is ``rules.editing``'s."""
