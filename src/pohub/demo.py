"""Demo data for ``make run``: a buyer, two suppliers, 25 POs in 150 built from seed 002's order."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core import jsonio
from pohub.documents.examples import sales_order
from pohub.documents.inbound import parse
from pohub.documents.logicbroker import SalesOrder
from pohub.orders.service import create_order
from pohub.partners import repository as partners_repo
from pohub.partners import service as partners
from pohub.users import repository as users_repo
from pohub.users import service as users

BUYER = "ZAGENO"
SUPPLIERS = ("Acme Lab Supply", "Beta Scientific")
CATALOGUE = [
    ("49-98760", "Nitrile gloves, M, box of 100", Decimal("31.02")),
    ("PIP-200", "Pipette tips 200 ul, rack of 96", Decimal("12.50")),
    ("FLK-500", "Erlenmeyer flask 500 ml", Decimal("8.75")),
    ("CEN-15", "Centrifuge tubes 15 ml, pack of 50", Decimal("19.99")),
    ("ETH-1L", "Ethanol 70%, 1 l", Decimal("6.40")),
    ("PET-90", "Petri dishes 90 mm, sleeve of 20", Decimal("9.10")),
]


@dataclass
class DemoCompany:
    id: int
    name: str
    key: str
    email: str = ""
    password: str = ""


def demo_email(name: str) -> str:
    slug = "".join(ch for ch in name.lower() if ch.isalnum())
    return f"admin@{slug}.example"


async def _admin(conn: AsyncConnection, company_id: int, name: str) -> tuple[str, str]:
    """The company's demo admin and a fresh first password (printed by pohub demo, never stored plain)."""
    email = demo_email(name)
    if await users_repo.by_email(conn, email) is None:
        await users.add_user(conn, company_id=company_id, email=email, role="admin", name=f"{name} admin")
    return email, await users.issue_password(conn, email=email)


async def _company(conn: AsyncConnection, name: str) -> int:
    row = await partners_repo.company_by_name_or_id(conn, name)
    return int(row.id) if row is not None else (await partners.add_company(conn, name=name)).id


async def load(conn: AsyncConnection, *, orders: int = 25, seed: int = 150) -> list[DemoCompany]:
    """Create the demo companies (once) and their orders (once), and a fresh key for each company."""
    buyer_id = await _company(conn, BUYER)
    supplier_ids = [await _company(conn, name) for name in SUPPLIERS]
    await partners.connect(conn, buyer_id=buyer_id, supplier_id=supplier_ids[0], invoice_required=True)
    await partners.connect(conn, buyer_id=buyer_id, supplier_id=supplier_ids[1], invoice_required=False)
    rng = random.Random(seed)
    from pohub.documents import repository as repo

    for n in range(orders):
        supplier_id = supplier_ids[n % 2]
        po = f"ZG-{4500001 + n}"
        if await repo.order_by_po(conn, sender_id=buyer_id, receiver_id=supplier_id, partner_po=po):
            continue
        lines = []
        for i, (sku, description, price) in enumerate(rng.sample(CATALOGUE, rng.randint(1, 4)), start=1):
            lines.append(
                {
                    "LineNumber": f"{i:02d}",
                    "Description": description,
                    "Price": price,
                    "Quantity": rng.randint(1, 20),
                    "QuantityUOM": "EA",
                    "ItemIdentifier": {"SupplierSKU": sku, "PartnerSKU": f"ZG-{sku}"},
                }
            )
        body = sales_order(
            PartnerPO=po,
            OrderNumber=f"{900100 + n}",
            SenderCompanyId=buyer_id,
            ReceiverCompanyId=supplier_id,
            OrderLines=lines,
            Identifier={"SourceKey": po},
            DocumentDate=None,
            SalesRequirement=rng.choice([0, 1, 2]),
        )
        del body["DocumentDate"]
        await create_order(conn, company_id=buyer_id, inbound=parse(jsonio.dumps(body), SalesOrder))
    out = []
    for name, company_id in ((BUYER, buyer_id), *zip(SUPPLIERS, supplier_ids, strict=True)):
        key = await partners.create_key(conn, company_id=company_id, label="demo")
        email, password = await _admin(conn, company_id, name)
        out.append(DemoCompany(company_id, name, key, email, password))
    return out
