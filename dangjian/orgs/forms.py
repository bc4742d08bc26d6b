"""Forms of the organization, roster, team and user pages.

Forms only shape input (types, choices within the user's scope); the rules live in rules.py and the
services, whose ValidationErrors `apply_errors` puts back on the fields.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.urls import reverse

from dangjian.core.masking import mask_id_number
from dangjian.core.scoping import Scope, members_for
from dangjian.core.treepaths import subtree_q, subtrees_q

from .models import (
    ALLOWED_PARENT_KINDS,
    PARTY_MEMBER_CATEGORIES,
    Category,
    Member,
    Organization,
    OrgKind,
    PartyPost,
    Role,
    WorkStatus,
)
from .services import MEMBER_FIELDS, parent_of

# Up to this many candidates an organization is picked from a select; above it, from a text input with
# suggestions (a 2,000-option select is no use to anyone).
SELECT_LIMIT = 40
EMPTY_CHOICE = ("", "—— 请选择 ——")


def choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    """A form's field that offers choices, typed as such (form.fields holds plain Fields)."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField), f"{name} is not a choice field"
    return field


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form's fields (unknown fields become form errors)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class StyledForm(forms.Form):
    """Bootstrap classes on every widget."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            self.style(field)

    @staticmethod
    def style(field: forms.Field) -> None:
        widget = field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect | forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def date_field(label: str) -> forms.DateField:
    return forms.DateField(label=label, required=False, widget=DateInput())


class OrgSuggestInput(forms.TextInput):
    """A text input for an 组织编码 with a datalist that htmx fills as the user types."""

    template_name = "orgs/widgets/org_suggest.html"

    def __init__(self, *, kind: str = "", purpose: str = "", options: list[Organization] | None = None, attrs=None):
        super().__init__(attrs=attrs)
        self.kind, self.purpose, self.options = kind, purpose, options or []

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        params = "&".join(f"{k}={v}" for k, v in (("kind", self.kind), ("purpose", self.purpose)) if v)
        list_id = f"{context['widget']['attrs'].get('id') or name}-list"
        context["widget"]["attrs"].update({
            "list": list_id,
            "hx-get": reverse("org_suggest") + (f"?{params}" if params else ""),
            "hx-trigger": "input changed delay:250ms",
            "hx-target": f"#{list_id}",
            "hx-swap": "innerHTML",
            "hx-sync": "this:replace",
        })
        context["widget"].update({"list_id": list_id, "options": self.options})
        return context


class OrgChoiceField(forms.Field):
    """An organization among `queryset`, entered by 组织编码 (or exact name)."""

    default_error_messages = {"invalid_org": "组织“%(value)s”不存在或不在您的权限范围内"}

    def __init__(self, *, queryset: QuerySet[Organization], kind: str = "", purpose: str = "", **kwargs):
        self.queryset = queryset
        candidates = list(queryset.order_by("path")[: SELECT_LIMIT + 1])
        if len(candidates) <= SELECT_LIMIT:
            widget: forms.Widget = forms.Select(
                choices=[EMPTY_CHOICE] + [(o.code, f"{o.name}（{o.code}）") for o in candidates])
        else:
            widget = OrgSuggestInput(kind=kind, purpose=purpose, options=candidates[:20],
                                     attrs={"placeholder": "输入名称或编码搜索", "autocomplete": "off"})
        super().__init__(widget=widget, **kwargs)

    def prepare_value(self, value):
        return value.code if isinstance(value, Organization) else value

    def to_python(self, value):
        value = (value or "").strip() if isinstance(value, str) else value
        if not value:
            return None
        if isinstance(value, Organization):
            return value
        org = self.queryset.filter(code=value).first()
        if org is None:
            named = list(self.queryset.filter(name=value)[:2])
            org = named[0] if len(named) == 1 else None
        if org is None:
            raise ValidationError(self.error_messages["invalid_org"], code="invalid_org", params={"value": value})
        return org


def branches_q() -> Q:
    return Q(kind=OrgKind.BRANCH)


def visible_orgs(scope: Scope) -> QuerySet[Organization]:
    return Organization.objects.filter(scope.org_q())


def admin_orgs(scope: Scope) -> QuerySet[Organization]:
    """Organizations in the subtrees the user administers (where they may grant roles)."""
    if scope.is_admin:
        return Organization.objects.all()
    return Organization.objects.filter(subtrees_q(scope.admin_paths))


def parent_candidates(scope: Scope) -> QuerySet[Organization]:
    """Organizations under which the user may set up some kind of child."""
    if scope.is_admin:
        return Organization.objects.exclude(kind=OrgKind.GROUP)
    q = subtrees_q(scope.admin_paths) | Q(path__in=scope.officer_paths)
    return Organization.objects.filter(q).exclude(kind=OrgKind.GROUP)


def child_kinds(parent: Organization | None) -> list[str]:
    if parent is None:
        return [OrgKind.COMMITTEE]
    return [k for k, parents in ALLOWED_PARENT_KINDS.items() if parent.kind in parents]


# --- organizations -------------------------------------------------------------------------------


class OrgForm(StyledForm):
    parent = forms.Field(label="上级组织", required=False)
    code = forms.CharField(label="组织编码", max_length=40, required=False)
    name = forms.CharField(label="组织名称", max_length=100, required=False)
    kind = forms.ChoiceField(label="组织类型", choices=[EMPTY_CHOICE, *OrgKind.choices], required=False)
    founded_on = date_field("成立日期")
    term_started_on = date_field("本届任期开始")
    term_years = forms.IntegerField(label="任期年限", required=False,
                                    help_text="不填则按默认：党委5年，党总支、党支部3年")

    def __init__(self, *args, scope: Scope, org: Organization | None = None, **kwargs):
        self.scope, self.org = scope, org
        super().__init__(*args, **kwargs)
        queryset = parent_candidates(scope)
        if org is not None:
            self.current_parent = parent_of(org)
            if self.current_parent is not None:  # keeping the present parent is always allowed
                queryset = queryset | Organization.objects.filter(pk=self.current_parent.pk)
            queryset = queryset.exclude(subtree_q(org.path))
        self.fields["parent"] = OrgChoiceField(label="上级组织", queryset=queryset, required=False,
                                               help_text="党委可作为最上级组织，其余须选择上级")
        self.style(self.fields["parent"])

    def clean(self):
        data = super().clean()
        parent, kind = data.get("parent"), data.get("kind")
        if self.org is not None:
            current = self.current_parent
            moving = (parent.pk if parent else None) != (current.pk if current else None)
            data["move"] = moving
            if not moving:
                return data
        if kind and not self.scope.may_add_child(parent, kind):
            label = OrgKind(kind).label if kind in OrgKind.values else kind
            if parent is None:
                self.add_error("parent", "只有系统管理员可以设立最上级组织，请选择上级组织")
            else:
                self.add_error("parent", f"您无权在“{parent.name}”下设立{label}")
        return data


# --- members -------------------------------------------------------------------------------------


class MemberForm(StyledForm):
    id_number = forms.CharField(label="身份证号", max_length=18, required=False,
                                widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}))
    name = forms.CharField(label="姓名", max_length=50, required=False)
    category = forms.ChoiceField(label="人员类别", choices=Category.choices)
    branch = forms.Field(label="所在党支部", required=False)
    group = forms.ChoiceField(label="党小组", required=False)
    team = forms.ChoiceField(label="班组", required=False)
    posts = forms.MultipleChoiceField(label="党内职务", choices=PartyPost.choices, required=False,
                                      widget=forms.CheckboxSelectMultiple)
    applied_on = date_field("申请入党日期")
    activist_on = date_field("确定积极分子日期")
    candidate_on = date_field("确定发展对象日期")
    admitted_on = date_field("接收预备党员日期")
    full_on = date_field("转正日期")
    ethnicity = forms.CharField(label="民族", max_length=20, required=False)
    education = forms.CharField(label="学历", max_length=20, required=False)
    job_post = forms.CharField(label="岗位", max_length=50, required=False)
    admin_title = forms.CharField(label="行政职务", max_length=50, required=False)
    phone = forms.CharField(label="手机号码", max_length=20, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel"}))
    work_status = forms.ChoiceField(label="工作状态", choices=WorkStatus.choices, initial=WorkStatus.WORKING)

    def __init__(self, *args, scope: Scope, member: Member | None = None, **kwargs):
        self.scope, self.member = scope, member
        super().__init__(*args, **kwargs)
        branch_field = OrgChoiceField(label="所在党支部", queryset=visible_orgs(scope).filter(branches_q()),
                                      kind=OrgKind.BRANCH, required=False)
        self.style(branch_field)
        self.fields["branch"] = branch_field
        # Whoever may not see the ID number in full may not retype it either.
        self.id_locked = member is not None and not scope.sees_id_numbers(member)
        if member is not None and self.id_locked:
            self.fields["id_number"].disabled = True
            self.fields["id_number"].help_text = "身份证号仅组织管理员可以查看和修改"
            self.initial["id_number"] = mask_id_number(member.id_number)
        # Not `self.branch`: that name is the form field (templates read form.branch as the bound field).
        self.chosen_branch = self._chosen_branch()
        choice_field(self, "group").choices, choice_field(self, "team").choices = branch_choices(self.chosen_branch)

    def _chosen_branch(self) -> Organization | None:
        raw = self.data.get("branch") if self.is_bound else self.initial.get("branch")
        if isinstance(raw, Organization):
            return raw
        if not raw:
            return None
        try:
            return self.fields["branch"].to_python(raw)
        except ValidationError:
            return None

    def clean(self):
        data = super().clean()
        branch = data.get("branch")
        data["group_org"] = None
        data["team_obj"] = None
        if branch is not None:
            if data.get("group"):
                data["group_org"] = Organization.objects.filter(code=data["group"], kind=OrgKind.GROUP).first()
            if data.get("team"):
                data["team_obj"] = branch.teams.filter(code=data["team"]).first()
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        kwargs = {f: data.get(f) for f in MEMBER_FIELDS}
        for f in ("name", "ethnicity", "education", "job_post", "admin_title", "phone"):
            kwargs[f] = (kwargs[f] or "").strip()
        kwargs.update(branch=data.get("branch"), group=data["group_org"], team=data["team_obj"],
                      posts=list(data.get("posts") or []))
        if not self.id_locked:
            kwargs["id_number"] = data.get("id_number") or ""
        return kwargs


def branch_choices(branch: Organization | None) -> tuple[list, list]:
    """The 党小组 and 班组 choices of a branch."""
    if branch is None:
        return [("", "（请先选择党支部）")], [("", "（请先选择党支部）")]
    groups = Organization.objects.get_children(branch).filter(kind=OrgKind.GROUP).order_by("path")
    teams = branch.teams.order_by("code")
    return ([("", "（无）")] + [(g.code, g.name) for g in groups],
            [("", "（无）")] + [(t.code, t.name) for t in teams])


def member_initial(member: Member) -> dict:
    initial = {f: getattr(member, f) for f in MEMBER_FIELDS}
    group, team = member.group, member.team
    initial.update(id_number=member.id_number, branch=member.branch,
                   group=group.code if group is not None else "",
                   team=team.code if team is not None else "",
                   posts=[p.post for p in member.posts.all()])
    return initial


# --- work teams ----------------------------------------------------------------------------------


class TeamForm(StyledForm):
    code = forms.CharField(label="班组编码", max_length=40, required=False)
    name = forms.CharField(label="班组名称", max_length=100, required=False)
    branch = forms.Field(label="所属党支部", required=False)
    staff_count = forms.IntegerField(label="职工人数", required=False)
    contact_member = forms.ChoiceField(label="联系党员（“1+1”）", required=False,
                                       help_text="从本支部的党员中选择一名联系该班组")

    def __init__(self, *args, scope: Scope, team=None, **kwargs):
        self.scope, self.team = scope, team
        super().__init__(*args, **kwargs)
        field = OrgChoiceField(label="所属党支部", queryset=visible_orgs(scope).filter(branches_q()),
                               kind=OrgKind.BRANCH, required=False)
        self.style(field)
        self.fields["branch"] = field
        raw = self.data.get("branch") if self.is_bound else self.initial.get("branch")
        branch = None
        if isinstance(raw, Organization):
            branch = raw
        elif raw:
            try:
                branch = field.to_python(raw)
            except ValidationError:
                branch = None
        choice_field(self, "contact_member").choices = contact_choices(branch)

    def clean(self):
        data = super().clean()
        data["contact"] = None
        if data.get("contact_member"):
            data["contact"] = Member.objects.select_related("branch").filter(pk=data["contact_member"]).first()
        return data


def contact_choices(branch: Organization | None) -> list:
    if branch is None:
        return [("", "（请先选择党支部）")]
    members = Member.objects.filter(branch=branch, category__in=PARTY_MEMBER_CATEGORIES).order_by("name")
    return [("", "（暂不指定）")] + [(str(m.pk), f"{m.name}（{m.get_category_display()}）") for m in members]


# --- users ---------------------------------------------------------------------------------------


class MemberPickField(forms.IntegerField):
    """A roster member chosen from search results (radio buttons), limited to the actor's scope."""

    def __init__(self, *, queryset: QuerySet[Member], **kwargs):
        self.queryset = queryset
        super().__init__(required=False, widget=forms.HiddenInput, **kwargs)

    def clean(self, value):
        pk = super().clean(value)
        if pk is None:
            return None
        member = self.queryset.select_related("branch").filter(pk=pk).first()
        if member is None:
            raise ValidationError("人员不存在或不在您的权限范围内")
        return member


def role_choices() -> list:
    return [("", "（不授予角色）"), *Role.choices]


class PasswordFields(StyledForm):
    password = forms.CharField(label="密码", required=False, strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                               help_text="至少8位，不能全是数字，不能过于常见或与用户名相近")
    password2 = forms.CharField(label="确认密码", required=False, strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if not data.get("password"):
            self.add_error("password", "请输入密码")
        elif data.get("password") != data.get("password2"):
            self.add_error("password2", "两次输入的密码不一致")
        return data


class UserCreateForm(PasswordFields):
    username = forms.CharField(label="用户名", max_length=150, required=False,
                               widget=forms.TextInput(attrs={"autocomplete": "off"}))
    display_name = forms.CharField(label="显示名称", max_length=50, required=False)
    is_superuser = forms.BooleanField(label="系统管理员（拥有全部权限）", required=False)
    role = forms.ChoiceField(label="角色", choices=role_choices(), required=False)
    field_order = ["username", "display_name", "password", "password2", "member", "is_superuser", "role", "org"]

    def __init__(self, *args, scope: Scope, actor, **kwargs):
        self.scope = scope
        super().__init__(*args, **kwargs)
        self.fields["member"] = MemberPickField(label="对应党员", queryset=members_for(actor))
        self.fields["org"] = OrgChoiceField(label="授权组织", queryset=admin_orgs(scope), purpose="admin",
                                            required=False)
        self.style(self.fields["org"])
        if not scope.is_admin:
            del self.fields["is_superuser"]
        self.order_fields(self.field_order)

    def clean(self):
        data = super().clean()
        role, org = data.get("role"), data.get("org")
        if role and org is None and "org" not in self.errors:
            self.add_error("org", "授予角色须选择组织")
        if org is not None and not role:
            self.add_error("role", "请选择要授予的角色")
        if not self.scope.is_admin and not role and data.get("member") is None and not self.errors:
            self.add_error(None, "请关联本单位的党员或授予一个角色，否则您将无法管理该用户")
        return data


class UserEditForm(StyledForm):
    display_name = forms.CharField(label="显示名称", max_length=50, required=False)
    is_active = forms.BooleanField(label="账号有效（取消勾选即停用）", required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"] = MemberPickField(label="对应党员", queryset=members_for(actor))


class PasswordResetForm(PasswordFields):
    pass


class GrantForm(StyledForm):
    role = forms.ChoiceField(label="角色", choices=[EMPTY_CHOICE, *Role.choices], required=False)

    def __init__(self, *args, scope: Scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"] = OrgChoiceField(label="组织", queryset=admin_orgs(scope), purpose="admin",
                                            required=False)
        self.style(self.fields["org"])

    def clean(self):
        data = super().clean()
        if not data.get("role"):
            self.add_error("role", "请选择角色")
        if data.get("org") is None and "org" not in self.errors:
            self.add_error("org", "请选择组织")
        return data
