"""The ``regenaid`` command line. Each command parses input, calls one service, prints."""

from __future__ import annotations

import typer

from regenaid.cli.assess import assess_cmd
from regenaid.cli.compare import compare_cmd
from regenaid.cli.meta import evidence_cmd, meta_cmd
from regenaid.cli.plan import plan_cmd

app = typer.Typer(
    name="regenaid",
    help="Evidence-graded decision aid for PRP, exosome therapy and their alternatives.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """Evidence-graded decision aid for PRP, exosome therapy and their alternatives."""


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="TCP port."),
) -> None:
    """Run the web app and JSON API (SQLite by default, created and migrated on first start)."""
    import uvicorn

    from regenaid.web.app import create_app

    uvicorn.run(create_app(), host=host, port=port, log_level="info")


app.command("assess")(assess_cmd)
app.command("compare")(compare_cmd)
app.command("plan")(plan_cmd)
app.command("meta")(meta_cmd)
app.command("evidence")(evidence_cmd)
