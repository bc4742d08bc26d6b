"""Views of organizational life, by sub-domain. Each module owns its pages."""

from .activities import (  # noqa: F401
    activity_advance,
    activity_attendance,
    activity_create,
    activity_detail,
    activity_edit,
    activity_list,
    evidence_download,
    evidence_upload,
)
from .documents import (  # noqa: F401
    activity_record_docx,
    calendar_links,
    ics_member,
    ics_org,
    ledger_docx,
    ledger_xlsx,
)
from .month import leave_request, my_activities, work_month  # noqa: F401
from .templates import template_customize, template_detail, template_list  # noqa: F401
