"""JSON API for organizations and members (to be filled in)."""

from ninja import Router

router = Router(tags=["组织与党员"])
