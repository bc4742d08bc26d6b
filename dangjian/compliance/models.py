"""No models yet: findings are computed on demand (rectification tasks come with a later change)."""
