"""The dashboard (issue 5), served at / by the same process as the API."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
