"""整改任务 pages: the scoped list, a task's page (edit, submit, review by the level above), manual creation."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from dangjian.compliance import services
from dangjian.compliance.models import TaskStatus
from dangjian.core.pagination import paginate
from dangjian.core.scoping import get_scope, orgs_for, require
from dangjian.core.treepaths import subtree_q
from dangjian.orgs.forms import StyledForm, apply_errors, date_field
from dangjian.orgs.models import Member, OrgKind


class TaskEditForm(StyledForm):
    owner = forms.ModelChoiceField(label="责任人", queryset=None, required=False)
    deadline = date_field("整改时限")
    measures = forms.CharField(label="整改措施", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    evidence = forms.CharField(label="整改佐证", required=False, widget=forms.Textarea(attrs={"rows": 3}),
                               help_text="整改完成的说明、相关活动编号或材料位置")

    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = members


class TaskCreateForm(StyledForm):
    org = forms.ModelChoiceField(label="组织", queryset=None)
    title = forms.CharField(label="标题", max_length=200)
    description = forms.CharField(label="问题描述", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    deadline = date_field("整改时限")

    def __init__(self, *args, orgs=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs


class ReviewForm(StyledForm):
    decision = forms.ChoiceField(label="审核结论", choices=[("approve", "同意销号"), ("reject", "退回整改")])
    note = forms.CharField(label="审核意见", required=False, widget=forms.Textarea(attrs={"rows": 3}))


def _task_members(task):
    """Members who may be the owner: those of the task's organization (a 党小组's: its branch's)."""
    org = task.org
    path = services.parent_path(org) if org.kind == OrgKind.GROUP else org.path
    return Member.objects.filter(subtree_q(path, "branch__path")).order_by("name", "id")


@login_required
def rectification_list(request):
    scope = get_scope(request.user)
    qs = services.tasks_for(request.user).select_related("org", "owner")
    status = request.GET.get("status", "")
    if status in TaskStatus.values:
        qs = qs.filter(status=status)
    elif status == "open":
        qs = qs.open()
    code = request.GET.get("org", "").strip()
    filter_org = None
    if code:
        filter_org = orgs_for(request.user).filter(code=code).first()
        qs = qs.filter(subtree_q(filter_org.path, "org__path")) if filter_org else qs.none()
    overdue = request.GET.get("overdue") == "1"
    if overdue:
        qs = qs.overdue()
    page, querystring = paginate(request, qs.order_by("deadline", "-id") if overdue else qs)
    return render(request, "compliance/rectification_list.html", {
        "page": page, "querystring": querystring, "statuses": TaskStatus.choices, "status": status,
        "filter_code": code, "filter_org": filter_org, "org_missing": bool(code) and filter_org is None,
        "overdue": overdue, "may_create": scope.is_officer, "today": timezone.localdate(),
    })


@login_required
def rectification_detail(request, pk):
    task = services.get_task_for_user(request.user, pk)
    may_edit, may_review = services.may_edit(request.user, task), services.may_review(request.user, task)
    members = _task_members(task)
    form = TaskEditForm(initial={"owner": task.owner, "deadline": task.deadline, "measures": task.measures,
                                 "evidence": task.evidence}, members=members)
    review = ReviewForm()
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "save":
                require(may_edit, "只有本组织的书记、委员或上级管理员可以填写整改情况")
                form = TaskEditForm(request.POST, members=members)
                if form.is_valid():
                    services.task_update(actor=request.user, task=task, **form.cleaned_data)
                    return redirect("rectification_detail", pk=task.pk)
            elif action == "submit":
                require(may_edit, "只有本组织的书记、委员或上级管理员可以提交销号")
                services.task_submit(actor=request.user, task=task)
                return redirect("rectification_detail", pk=task.pk)
            elif action == "review":
                require(may_review, "销号审核应由上级组织进行")
                review = ReviewForm(request.POST)
                if review.is_valid():
                    services.task_review(actor=request.user, task=task,
                                         approve=review.cleaned_data["decision"] == "approve",
                                         note=review.cleaned_data["note"])
                    return redirect("rectification_detail", pk=task.pk)
            else:
                raise Http404("未知操作")
        except ValidationError as exc:
            apply_errors(review if action == "review" else form, exc)
            task.refresh_from_db()
    return render(request, "compliance/rectification_detail.html", {
        "task": task, "evidence": services.evidence_activities(task), "form": form, "review": review, "may_edit": may_edit, "may_review": may_review,
        "editable": may_edit and task.status in (TaskStatus.OPEN, TaskStatus.IN_PROGRESS),
        "reviewable": may_review and task.status == TaskStatus.SUBMITTED,
    })


@login_required
def rectification_create(request):
    scope = get_scope(request.user)
    require(scope.is_officer, "只有书记、委员或管理员可以新建整改任务")
    orgs = orgs_for(request.user).order_by("path")
    form = TaskCreateForm(request.POST or None, orgs=orgs, initial={"org": orgs.filter(
        code=request.GET.get("org", "")).first()})
    if request.method == "POST" and form.is_valid():
        try:
            task = services.task_create_manual(actor=request.user, **form.cleaned_data)
            return redirect("rectification_detail", pk=task.pk)
        except ValidationError as exc:
            apply_errors(form, exc)
    return render(request, "compliance/rectification_form.html", {"form": form})

