"""The wms dialect (issue 4), mounted under /wms."""

from fastapi import APIRouter

router = APIRouter(tags=["Wms"])
