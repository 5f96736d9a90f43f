"""The ``regenaid`` command line. Each command parses input, calls one service, prints."""

from __future__ import annotations

import typer

from regenaid.cli.assess import assess_cmd
from regenaid.cli.clinic import clinic_app
from regenaid.cli.compare import compare_cmd
from regenaid.cli.meta import evidence_cmd, meta_cmd
from regenaid.cli.plan import plan_cmd
from regenaid.cli.serve import serve as serve_cmd

app = typer.Typer(
    name="regenaid",
    help="Evidence-graded decision aid for PRP, exosome therapy and their alternatives.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """Evidence-graded decision aid for PRP, exosome therapy and their alternatives."""


app.command("serve")(serve_cmd)
app.command("assess")(assess_cmd)
app.command("compare")(compare_cmd)
app.command("plan")(plan_cmd)
app.command("meta")(meta_cmd)
app.command("evidence")(evidence_cmd)
app.add_typer(clinic_app, name="clinic")
