"""Subtree filters on materialized paths (treebeard MP, alphabet 0-9A-Z) that use the index.

`path LIKE 'p%'` is what `__startswith` produces, and neither SQLite (because of Django's ESCAPE clause)
nor PostgreSQL (outside the C collation) serves it from a b-tree index: at 60,000 members every scoped
query became a full scan. A subtree is instead the half-open range [p, successor(p)), where the
successor increments p as a base-36 number of the same length. Strings made of digits and capital
letters compare the same way in every collation, so the range is exact everywhere.
"""

from functools import reduce
from operator import or_

from django.db.models import Q

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def successor(path: str) -> str | None:
    """The smallest same-length path greater than every path that starts with `path` (None if none)."""
    chars = list(path)
    for i in range(len(chars) - 1, -1, -1):
        pos = ALPHABET.index(chars[i])
        if pos + 1 < len(ALPHABET):
            chars[i] = ALPHABET[pos + 1]
            return "".join(chars[: i + 1]) + ALPHABET[0] * (len(chars) - i - 1)
    return None


def subtree_q(path: str, field: str = "path") -> Q:
    """Rows whose `field` (a path) lies in the subtree rooted at `path`, itself included."""
    q = Q(**{f"{field}__gte": path})
    upper = successor(path)
    if upper is not None:
        q &= Q(**{f"{field}__lt": upper})
    return q


def subtrees_q(paths, field: str = "path") -> Q:
    """Rows in any of the subtrees; no rows for no paths."""
    conditions = [subtree_q(p, field) for p in paths]
    if not conditions:
        return Q(pk__in=[])
    return reduce(or_, conditions)
