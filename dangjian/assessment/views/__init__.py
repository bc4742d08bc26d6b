"""The assessment pages (see ASSESS.md "Pages")."""

from .card import (
    assessment_approval_docx,
    assessment_card,
    assessment_member_card,
    assessment_mine,
    assessment_post_card,
    assessment_team_card,
)
from .checklists import assessment_checklist_complete, assessment_checklists
from .overview import assessment_export, assessment_overview, assessment_queue
from .tables import (
    assessment_indicator_create,
    assessment_kpi,
    assessment_post_create,
    assessment_teams,
    assessment_value_set,
    assessment_wall,
)

__all__ = [
    "assessment_approval_docx", "assessment_card", "assessment_checklist_complete", "assessment_checklists",
    "assessment_export", "assessment_indicator_create", "assessment_kpi", "assessment_member_card",
    "assessment_mine", "assessment_overview", "assessment_post_card", "assessment_post_create",
    "assessment_queue", "assessment_team_card", "assessment_teams", "assessment_value_set", "assessment_wall",
]
