from app.web.search import bp  # noqa: F401
