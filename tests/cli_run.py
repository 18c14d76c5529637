"""Run the real ``yangpu-gis`` command in a fresh subprocess (shared by the CLI test files)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: What the CLI prints when an exception that is not a refusal escapes (a bug, said in one
#: line without --debug); a test of refusals treats it like a traceback.
BUG_MARK = "this is a bug in yangpu-gis"


def crashed(text: str) -> bool:
    """Whether ``text`` (a command's output) shows a traceback or the CLI's bug catch-all."""
    return "Traceback" in text or BUG_MARK in text


@dataclass
class Run:
    """What one command printed and returned."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def __str__(self) -> str:  # shown by a failing assert
        return (f"yangpu-gis {' '.join(self.args)} -> {self.returncode}\n"
                f"--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}")


def run_cli(*args: str | os.PathLike, cwd: str | os.PathLike | None = None,
            env: dict[str, str] | None = None, timeout: float = 600,
            input: str | None = None) -> Run:
    """``python -m yangpu_gis.cli ARGS`` in a new process; text decoded as UTF-8.

    The terminal width is fixed (so rich does not wrap lines in a way that depends on the
    machine) and ``$YANGPU_GIS_REGISTRY`` is removed unless ``env`` sets it.
    """
    argv = [str(a) for a in args]
    full_env = {k: v for k, v in os.environ.items() if k != "YANGPU_GIS_REGISTRY"}
    full_env.update({"COLUMNS": "200", "PYTHONIOENCODING": "utf-8"})
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "yangpu_gis.cli", *argv], cwd=cwd or REPO,
                          env=full_env, capture_output=True, timeout=timeout, input=input,
                          text=True, encoding="utf-8", errors="replace")
    return Run(argv, proc.returncode, proc.stdout, proc.stderr)


def cli_commands() -> list[tuple[str, ...]]:
    """Every command and subcommand of the typer app, as name paths (``("analyze", "parking")``)."""
    import typer.main

    from yangpu_gis.cli import app

    def walk(command, prefix: tuple[str, ...]):
        subs = getattr(command, "commands", None)
        if subs:
            for name, sub in subs.items():
                yield from walk(sub, (*prefix, name))
        else:
            yield prefix

    return sorted(walk(typer.main.get_command(app), ()))
