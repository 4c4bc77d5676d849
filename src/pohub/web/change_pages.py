"""Placeholder."""

from __future__ import annotations

from fastapi import APIRouter

from pohub.web.common import WebRoute

router = APIRouter(include_in_schema=False, route_class=WebRoute)
