"""Writes of the assessment app: the process 自评 → 审核 → 认定 (with the freeze), 退回, re-evaluation as a new
version, item scores, veto marks (process.py); creation checklists (清单化), posts, KPI indicators and values
(records.py); validators, scheme helpers and the permission helpers may_self_assess / may_review / may_confirm
(common.py). Import from here: `from dangjian.assessment import services`.
"""

from .common import (
    evaluations_for,
    get_evaluation_for_user,
    load_scheme,
    may_confirm,
    may_review,
    may_self_assess,
    parse_date,
    parse_decimal,
    parse_period,
    parse_year,
    period_kind,
    scheme_items,
    sees_evaluation,
)
from .process import (
    canonical_json,
    current_evaluation,
    evaluation_confirm,
    evaluation_open,
    evaluation_reevaluate,
    evaluation_return,
    evaluation_review,
    evaluation_submit,
    fingerprint_of,
    freeze,
    inputs_changed,
    inputs_of,
    item_score_clear,
    item_score_set,
    live_result_json,
    stored_form,
    veto_set,
)
from .records import (
    checklist_item_complete,
    checklist_item_create,
    checklist_item_delete,
    checklist_item_reopen,
    checklist_item_update,
    kpi_indicator_create,
    kpi_indicator_update,
    kpi_value_set,
    may_complete_checklist,
    post_create,
    post_update,
)

__all__ = [
    "canonical_json", "checklist_item_complete", "checklist_item_create", "checklist_item_delete",
    "checklist_item_reopen", "checklist_item_update", "current_evaluation", "evaluation_confirm",
    "evaluation_open", "evaluation_reevaluate", "evaluation_return", "evaluation_review", "evaluation_submit",
    "evaluations_for", "fingerprint_of", "freeze", "get_evaluation_for_user", "inputs_changed", "inputs_of", "stored_form",
    "item_score_clear", "item_score_set", "kpi_indicator_create", "kpi_indicator_update", "kpi_value_set",
    "live_result_json", "load_scheme", "may_complete_checklist", "may_confirm", "may_review",
    "may_self_assess", "parse_date", "parse_decimal", "parse_period", "parse_year", "period_kind",
    "post_create", "post_update", "scheme_items", "sees_evaluation", "veto_set",
]
