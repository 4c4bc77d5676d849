"""A supplier document's two reads after its order's lock, the order's earlier documents of its kind
and the order's lines, run as one statement (documents/inbound.duplicate_and_lines, db/together.py):
on both databases, the rows, their order, their values and their types are those of the two
statements it replaces (repository.numbered_documents, repository.order_lines_of: of the lines,
the columns the rules read, documents/inbound.RULE_LINE_COLUMNS)."""

from __future__ import annotations

import uuid

from bench import documents as docs
from bench.write_cost import message

import pohub.api.app  # noqa: F401  (the server's event listeners, as it runs them)
from pohub.db.engine import Database
from pohub.documents import inbound as documents_inbound
from pohub.documents import repository as repo
from pohub.exchanges import inbound
from pohub.partners import service as partners


async def test_the_earlier_documents_and_the_lines_read_together_are_those_read_apart(db: Database) -> None:
    tag = uuid.uuid4().hex[:8]
    async with db.write() as conn:
        buyer = (await partners.add_company(conn, name=f"Together Buyer {tag}")).id
        supplier = (await partners.add_company(conn, name=f"Together Supplier {tag}")).id
        await partners.connect(conn, buyer_id=buyer, supplier_id=supplier)
    po = await inbound.receive(
        db, message("order", buyer, docs.order(1, prefix=f"T{tag}", buyer=buyer, supplier=supplier))
    )
    assert po.document_id is not None
    key = str(po.document_id)
    await inbound.receive(db, message("acknowledgement", supplier, docs.acknowledgement(1, key)))
    await inbound.receive(db, message("shipment", supplier, docs.shipment(1), key))
    for kind, count in (("acknowledgement", 1), ("shipment", 1), ("invoice", 0)):
        async with db.write() as conn:
            dup, earlier, lines = await documents_inbound.duplicate_and_lines(
                conn,
                order_id=po.document_id,
                kind=kind,
                sender_id=supplier,
                number=None,
                body_hash="",
                number_field="number",
            )
            apart_earlier = await repo.numbered_documents(conn, order_id=po.document_id, kind=kind)
            apart_lines = await repo.order_lines_of(conn, order_id=po.document_id)
        assert dup is None
        assert len(earlier) == count and len(lines) == 10
        assert [r._mapping for r in earlier] == [r._mapping for r in apart_earlier], kind
        assert [[type(v) for v in r] for r in earlier] == [[type(v) for v in r] for r in apart_earlier], kind
        # The lines: the columns the rules read (RULE_LINE_COLUMNS), each as order_lines_of reads it,
        # in the lines' order (order_lines_of's, by position).
        names = [c.key for c in documents_inbound.RULE_LINE_COLUMNS]
        assert list(lines[0]._fields) == names
        assert [r._mapping for r in lines] == [{n: a._mapping[n] for n in names} for a in apart_lines], kind
        assert [[type(v) for v in r] for r in lines] == [[type(a._mapping[n]) for n in names] for a in apart_lines], (
            kind
        )
        assert [r.id for r in lines] == [a.id for a in apart_lines]
        assert lines[0].line_key == apart_lines[0].line_key and earlier == sorted(earlier, key=lambda r: r.id)
