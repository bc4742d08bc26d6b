"""Loading of rule packs (standards/*.yaml): plain YAML, checked on load, errors naming file and key."""

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

PACK_DIR = Path(__file__).resolve().parent


class PackError(ValueError):
    """A rule pack is malformed; the message names the file and the key."""


def read_pack(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_absolute():
        path = PACK_DIR / path
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PackError(f"{path.name}: 文件不存在")
    except yaml.YAMLError as exc:
        raise PackError(f"{path.name}: YAML格式错误：{exc}")
    if not isinstance(data, dict):
        raise PackError(f"{path.name}: 顶层应为键值映射")
    for key in ("code", "version", "name"):
        if key not in data:
            raise PackError(f"{path.name}: 缺少键“{key}”")
    data["_file"] = path.name
    return data


def require_number(pack: dict[str, Any], key: str, *, minimum: float | None = None) -> float:
    """Read a numeric parameter `params.<key>` (a bare number or {value: n, source: ...})."""
    params = pack.get("params") or {}
    if key not in params:
        raise PackError(f"{pack['_file']}: 缺少参数“params.{key}”")
    raw = params[key]
    value = raw.get("value") if isinstance(raw, dict) else raw
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise PackError(f"{pack['_file']}: 参数“params.{key}”应为数字，实际为{value!r}")
    if minimum is not None and value < minimum:
        raise PackError(f"{pack['_file']}: 参数“params.{key}”不能小于{minimum}")
    return value


@lru_cache(maxsize=32)
def cached_pack(path: str) -> dict[str, Any]:
    return read_pack(path)
