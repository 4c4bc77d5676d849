"""documents.models.kind_literal: a kind written into the statement, and nothing but a kind."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from pohub.documents.models import documents, kind_literal


@pytest.mark.parametrize("dialect", [sqlite.dialect, postgresql.dialect])
def test_the_kind_is_in_the_statement_not_a_parameter(dialect: type[Dialect]) -> None:
    stmt = select(documents.c.id).where(documents.c.kind == kind_literal("acknowledgement"))
    compiled = stmt.compile(dialect=dialect())
    assert "documents.kind = 'acknowledgement'" in compiled.string
    assert compiled.params == {}


@pytest.mark.parametrize("text", ["", "Order", "order'", "o' OR '1'='1", "order;", "a" * 41, "order\x00"])
def test_anything_but_a_kind_name_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a document kind"):
        kind_literal(text)
