"""The kojo dialect (issue 4), mounted under /kojo."""

from fastapi import APIRouter

router = APIRouter(tags=["Kojo"])
