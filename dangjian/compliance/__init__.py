"""The compliance check (规范化检查): a rule pack, a pure engine over facts, and the facts it needs."""
