"""The admin page's parts: what it reads of the users and tokens, what its actions do, its
forms and their refusals, and its text."""
