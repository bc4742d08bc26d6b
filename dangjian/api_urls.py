"""The JSON API (django-ninja): one NinjaAPI, one router per app; OpenAPI at /api/docs.

Authentication: a personal token (`Authorization: Bearer <token>`, see dangjian.core.api_auth) or the web
session (with CSRF for writes). Errors are JSON with Chinese messages:
  401/403/404/400 → {"detail": "说明"};
  422 → {"detail": [{"field": "id_number", "message": "说明"}, …]} for the service's checks and for malformed
  input alike.
The docs page (Swagger UI) loads only the copy of swagger-ui that django-ninja ships in its static folder
(no CDN: "ninja" is in INSTALLED_APPS) and asks for a login; it holds no data.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import path
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer

from dangjian.assessment.api import router as assessment_router
from dangjian.compliance.api import router as compliance_router
from dangjian.core.api_auth import API_AUTH, UNAUTHENTICATED_MESSAGE, docs_login_required
from dangjian.meetings.api import router as meetings_router
from dangjian.orgs.api import router as orgs_router
from dangjian.points.api import router as points_router


class Utf8JSONRenderer(JSONRenderer):
    """Chinese stays readable in the JSON (UTF-8, not \\u escapes)."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    title="党建工作标准化管理平台 API",
    version="1",
    description="组织、党员与班组的数据接口。认证：登录会话，或请求头 Authorization: Bearer <令牌>"
                "（令牌由 `python manage.py create_api_token 用户名` 生成）。",
    urls_namespace="api",
    auth=API_AUTH,
    renderer=Utf8JSONRenderer(),
    # validatorUrl null: Swagger UI would otherwise send the schema to validator.swagger.io.
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": False}),
    docs_decorator=docs_login_required,
)
api.add_router("/", orgs_router)
api.add_router("/", meetings_router)
api.add_router("/", compliance_router)
api.add_router("/", points_router)
api.add_router("/", assessment_router)


# --- errors --------------------------------------------------------------------------------------

# pydantic error types → Chinese messages (format fields come from the error's ctx).
PYDANTIC_MESSAGES = {
    "missing": "此项必填",
    "date_parsing": "日期格式应为YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式应为YYYY-MM-DD",
    "date_from_datetime_inexact": "日期格式应为YYYY-MM-DD",
    "date_type": "日期格式应为YYYY-MM-DD",
    "datetime_parsing": "日期时间格式应为YYYY-MM-DDTHH:MM:SS",
    "datetime_type": "日期时间格式应为YYYY-MM-DDTHH:MM:SS",
    "datetime_from_date_parsing": "日期时间格式应为YYYY-MM-DDTHH:MM:SS",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "string_type": "应为文本",
    "string_too_short": "长度不能少于{min_length}个字符",
    "string_too_long": "长度不能超过{max_length}个字符",
    "greater_than": "应大于{gt}",
    "greater_than_equal": "应不小于{ge}",
    "less_than": "应小于{lt}",
    "less_than_equal": "应不大于{le}",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "extra_forbidden": "不支持此字段",
    "literal_error": "取值无效，应为：{expected}",
    "enum": "取值无效，应为：{expected}",
    "json_invalid": "不是有效的JSON",
    "uuid_parsing": "应为UUID",
}
PARAM_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}


def _field_of(loc: list | tuple) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in PARAM_SOURCES:
        source = parts.pop(0)
        if source == "body" and len(parts) > 1:
            parts.pop(0)  # the handler's argument name ("payload")
    return ".".join(parts) or "__all__"


def _message_of(error: dict) -> str:
    template = PYDANTIC_MESSAGES.get(error.get("type", ""))
    if template is None:
        return f"取值无效（{error.get('msg', '')}）" if error.get("msg") else "取值无效"
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError):
        return template.split("{")[0].rstrip("，：")


def _json(request, data, status: int, headers: dict | None = None):
    response = api.create_response(request, data, status=status)
    for key, value in (headers or {}).items():
        response[key] = value
    return response


@api.exception_handler(NinjaValidationError)
def on_schema_error(request, exc: NinjaValidationError):
    detail = [{"field": _field_of(e.get("loc", ())), "message": _message_of(e)} for e in exc.errors]
    return _json(request, {"detail": detail}, 422)


@api.exception_handler(DjangoValidationError)
def on_service_error(request, exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        detail = [{"field": f, "message": m} for f, msgs in exc.message_dict.items() for m in msgs]
    else:
        detail = [{"field": "__all__", "message": m} for m in exc.messages]
    return _json(request, {"detail": detail}, 422)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc: AuthenticationError):
    message = exc.message if exc.message and exc.message != "Unauthorized" else UNAUTHENTICATED_MESSAGE
    return _json(request, {"detail": message}, 401, {"WWW-Authenticate": "Bearer"})


@api.exception_handler(PermissionDenied)
def on_forbidden(request, exc: PermissionDenied):
    return _json(request, {"detail": str(exc) or "您没有执行此操作的权限"}, 403)


@api.exception_handler(Http404)
def on_not_found(request, exc: Http404):
    return _json(request, {"detail": str(exc) or "对象不存在或无权查看"}, 404)


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    message = exc.message
    if exc.status_code == 400 and message.startswith("Cannot parse request body"):
        message = "请求体无法解析，应为JSON"
    return _json(request, {"detail": message}, exc.status_code)


urlpatterns = [path("", api.urls)]
