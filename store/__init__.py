"""The unified order store: schema, sessions, migrations, the stage state machine and the
order repository. Imports nothing else of orderwatch."""
