"""`pohub agent ...` (issue 3): the supplier-side flow against any Logicbroker-compatible hub.

Settings come from a TOML file, ``POHUB_AGENT_*`` variables and these options (see docs/agent.md).
Exit codes: 0 all went through, 1 something failed (the summary says what and why), 2 bad settings or input.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pohub.core import jsonio

app = typer.Typer(
    help="The supplier side: acknowledge, ship and invoice POs against any compatible hub.", no_args_is_help=True
)
err = Console(stderr=True)

ConfigOpt = Annotated[
    Path | None, typer.Option("--config", "-c", help="TOML settings file ($POHUB_AGENT_CONFIG, ./pohub-agent.toml)")
]
BaseUrlOpt = Annotated[str | None, typer.Option("--base-url", help="The hub, e.g. https://stage.commerceapi.io")]
StateOpt = Annotated[Path | None, typer.Option("--state", help="The agent's SQLite state file")]
RateOpt = Annotated[
    str | None,
    typer.Option(
        "--rate", help="RATE or RATE/BURST in searches per second (default 0.5/25); 'off' for no limit at all"
    ),
]
ConcurrencyOpt = Annotated[int | None, typer.Option("--concurrency", help="Requests in flight at once")]
PolicyOpt = Annotated[
    str | None, typer.Option("--policy", help="accept-all, inventory, or MODULE:CLASS / FILE.py:CLASS")
]
InventoryOpt = Annotated[
    Path | None, typer.Option("--inventory", help="Inventory CSV (SupplierSKU, on hand, lead time days)")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the report as JSON, no progress bars")]
InvoiceNumberOpt = Annotated[
    str | None,
    typer.Option("--invoice-number", help="Invoice numbering, e.g. 'INV-{ShipmentNumber}' (default {ShipmentNumber})"),
]


def _settings(config: Path | None, **overrides: Any) -> Any:
    from pohub.agent.config import ConfigError, load

    try:
        settings = load(config, **overrides)
        settings.key()
    except ConfigError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    return settings


def _policy(settings: Any) -> Any:
    from pohub.agent.csvfiles import CsvError
    from pohub.agent.policies import load_policy

    try:
        return load_policy(settings.policy, inventory=settings.inventory, options=settings.policy_options)
    except (CsvError, ValueError, ImportError, TypeError) as exc:
        err.print(f"[red]error:[/red] policy {settings.policy!r}: {exc}")
        raise typer.Exit(2) from None


def _progress(json_out: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=json_out or not err.is_terminal,
    )


def _print(report: Any, json_out: bool) -> None:
    if json_out:
        print(jsonio.dumps(report.as_dict()).decode(), flush=True)
    else:
        report.render(Console())


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        # Not on the main thread (tests) or no signals on this platform: Ctrl-C still ends the process.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)


def _execute(settings: Any, json_out: bool, work: Callable[[Any], Awaitable[None]]) -> None:
    """Run one piece of the flow with a client, the state and the policy; print the report; exit 1 on failure."""
    from pohub.agent.runner import Agent
    from pohub.agent.state import State
    from pohub.client import AsyncClient

    policy = _policy(settings)

    async def main() -> Any:
        stop = asyncio.Event()
        _stop_on_signals(stop)
        state = State(settings.state)
        try:
            async with AsyncClient(settings.client_options()) as client:
                with _progress(json_out) as progress:
                    agent = Agent(
                        settings=settings, client=client, state=state, policy=policy, progress=progress, stop=stop
                    )
                    await work(agent)
                    return agent.finish()
        finally:
            state.close()

    report = asyncio.run(main())
    _print(report, json_out)
    if report.failed:
        raise typer.Exit(1)


@app.command()
def acknowledge(
    config: ConfigOpt = None,
    base_url: BaseUrlOpt = None,
    state: StateOpt = None,
    rate: RateOpt = None,
    concurrency: ConcurrencyOpt = None,
    policy: PolicyOpt = None,
    inventory: InventoryOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Steps 1-4: list POs in 150, read each, decide by policy, set 200, post the acknowledgement; then send
    updated acknowledgements where the policy can now do better."""
    settings = _settings(
        config,
        base_url=base_url,
        state=state,
        rate=rate,
        concurrency=concurrency,
        policy=policy,
        inventory=inventory,
    )
    _execute(settings, json_out, lambda agent: agent.acknowledge())


@app.command()
def ship(
    file: Annotated[Path, typer.Argument(help="CSV: PartnerPO or LogicbrokerKey, LineNumber or SupplierSKU, ...")],
    config: ConfigOpt = None,
    base_url: BaseUrlOpt = None,
    state: StateOpt = None,
    rate: RateOpt = None,
    concurrency: ConcurrencyOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Step 5: send shipments from a CSV file; rows with the same ShipmentNumber are one shipment."""
    from pohub.agent.csvfiles import CsvError, read_shipments

    settings = _settings(config, base_url=base_url, state=state, rate=rate, concurrency=concurrency)
    try:
        requests = read_shipments(file)
    except CsvError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None

    _execute(settings, json_out, lambda agent: agent.ship_requests(requests))


@app.command()
def invoice(
    config: ConfigOpt = None,
    base_url: BaseUrlOpt = None,
    state: StateOpt = None,
    rate: RateOpt = None,
    concurrency: ConcurrencyOpt = None,
    invoice_number: InvoiceNumberOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Step 6: invoice every shipment not invoiced yet, at the acknowledged (else the ordered) prices."""
    settings = _settings(
        config, base_url=base_url, state=state, rate=rate, concurrency=concurrency, invoice_number=invoice_number
    )
    _execute(settings, json_out, lambda agent: agent.invoice())


@app.command()
def run(
    every: Annotated[str | None, typer.Option("--every", help="Pause between rounds: 300, 30s, 5m, 1h")] = None,
    once: Annotated[bool, typer.Option("--once", help="One round, then exit (for cron)")] = False,
    ship_dir: Annotated[
        Path | None, typer.Option("--ship-dir", help="Directory of shipment CSV files; sent ones move to done/")
    ] = None,
    config: ConfigOpt = None,
    base_url: BaseUrlOpt = None,
    state: StateOpt = None,
    rate: RateOpt = None,
    concurrency: ConcurrencyOpt = None,
    policy: PolicyOpt = None,
    inventory: InventoryOpt = None,
    invoice_number: InvoiceNumberOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """All of it in a loop (acknowledge, ship the files in --ship-dir, invoice) until SIGTERM or Ctrl-C;
    a signal lets the document in flight finish and the state stay whole."""
    from pohub.agent.config import ConfigError
    from pohub.agent.runner import Agent
    from pohub.agent.state import State
    from pohub.client import AsyncClient

    settings = _settings(
        config,
        every=every,
        ship_dir=ship_dir,
        base_url=base_url,
        state=state,
        rate=rate,
        concurrency=concurrency,
        policy=policy,
        inventory=inventory,
        invoice_number=invoice_number,
    )
    try:
        pause = settings.every_seconds()
    except ConfigError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    policy_obj = _policy(settings)

    async def main() -> bool:
        stop = asyncio.Event()
        _stop_on_signals(stop)
        state_db = State(settings.state)
        failed = False
        try:
            async with AsyncClient(settings.client_options()) as client:
                while not stop.is_set():
                    with _progress(json_out) as progress:
                        agent = Agent(
                            settings=settings,
                            client=client,
                            state=state_db,
                            policy=policy_obj,
                            progress=progress,
                            stop=stop,
                        )
                        await agent.cycle(ship_dir=settings.ship_dir)
                    report = agent.finish()
                    _print(report, json_out)
                    failed = report.failed
                    if once:
                        break
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=pause)
        finally:
            state_db.close()
        return failed

    if asyncio.run(main()):
        raise typer.Exit(1)


@app.command("config")
def show_config(config: ConfigOpt = None) -> None:
    """Show the settings in effect (the API key only as set / not set)."""
    from pohub.agent.config import ConfigError, load

    try:
        settings = load(config)
    except ConfigError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    table = Table("setting", "value")
    for name, value in settings.shown().items():
        table.add_row(name, str(value))
    Console().print(table)


@app.command()
def status(config: ConfigOpt = None, state: StateOpt = None, json_out: JsonOpt = False) -> None:
    """What the state file holds: documents per kind and state, and the refusals waiting on a change."""
    from pohub.agent.config import ConfigError, load
    from pohub.agent.state import State

    try:
        settings = load(config, state=state)
    except ConfigError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    db = State(settings.state)
    try:
        counts = db.counts()
        refused = [
            {"kind": d.kind, "LogicbrokerKey": d.order_key, "number": d.number, "reason": d.last_error}
            for d in db.refused()
        ]
    finally:
        db.close()
    if json_out:
        print(jsonio.dumps({"counts": counts, "refused": refused}).decode())
        return
    table = Table("kind", "state", "count")
    for kind, states in counts.items():
        for name, n in states.items():
            table.add_row(kind, name, str(n))
    Console().print(table)
    if refused:
        detail = Table("kind", "order", "number", "reason", title="Refused, waiting for a change of input")
        for r in refused:
            detail.add_row(str(r["kind"]), str(r["LogicbrokerKey"]), str(r["number"]), str(r["reason"]))
        Console().print(detail)
