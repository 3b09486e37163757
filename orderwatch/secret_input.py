"""Secrets a command needs, read where no other user can see them.

A secret on the command line shows in ``ps`` and in the shell's history, so commands take
none as an argument: they read it from an environment variable, from standard input (one per
line, for scripts), or from a prompt that does not echo.
"""

from __future__ import annotations

import os
import sys

import typer


def read_secret(label: str, *, env: str, stdin: bool, required: bool = True) -> str | None:
    """``label``'s value: from ``env``, else a line of stdin when ``stdin``, else a hidden
    prompt (when ``required``; otherwise ``None``)."""
    value = os.environ.get(env)
    if value:
        return value
    if stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        return line or None
    if not required:
        return None
    return str(typer.prompt(label, hide_input=True))


def refuse_on_command_line(option: str, *, env: str, stdin_flag: str) -> typer.BadParameter:
    return typer.BadParameter(
        f"{option} on the command line shows in `ps` and the shell's history; set {env}, "
        f"pass {stdin_flag} and write it to standard input, or leave it out to be asked"
    )
