"""The spectrum dialect (issue 4), mounted under /spectrum."""

from fastapi import APIRouter

router = APIRouter(tags=["Spectrum"])
