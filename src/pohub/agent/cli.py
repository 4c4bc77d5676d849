"""`pohub agent ...` (issue 3): the supplier-side flow. Commands are added by the agent package."""

import typer

app = typer.Typer(help="The supplier side: acknowledge, ship and invoice POs against any compatible hub.",
                  no_args_is_help=True)
