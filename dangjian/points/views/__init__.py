"""The points pages (党员积分): the member's page, rankings and export, the scoring grid, claims, specials, packs."""

from .claims import points_claim_decide, points_claim_evidence, points_claims
from .grid import points_grid, points_grid_cell, points_grid_home
from .member import points_award, points_claim_create, points_entry_reverse, points_me, points_member
from .packs import points_pack_create, points_packs
from .ranking import points_export, points_ranking
from .specials import points_special_create, points_special_detail, points_special_edit, points_specials

__all__ = [
    "points_award", "points_claim_create", "points_claim_decide", "points_claim_evidence", "points_claims",
    "points_entry_reverse", "points_export", "points_grid", "points_grid_cell", "points_grid_home", "points_me",
    "points_member", "points_pack_create", "points_packs", "points_ranking", "points_special_create",
    "points_special_detail", "points_special_edit", "points_specials",
]
