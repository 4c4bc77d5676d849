"""/api/v1/Webhooks (issue 4)."""

from fastapi import APIRouter

router = APIRouter(tags=["Webhooks"])
