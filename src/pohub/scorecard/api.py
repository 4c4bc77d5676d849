"""GET /api/v1/Scorecard (issue 5)."""

from fastapi import APIRouter

router = APIRouter(tags=["Scorecard"])
