"""Interface languages (Flask-Babel): French and English.

The language of a page is the one the person chose (``POST /language``, kept in their session),
else the best match of the browser's ``Accept-Language``, else ``BABEL_DEFAULT_LOCALE``. The
catalogues are ``app/translations/<lang>/LC_MESSAGES/messages.po``; the compiled ``.mo`` files
are committed beside them (``docs/operations.md``, "Translations", says how to refresh them), so
a clean install needs no build step.
"""

from __future__ import annotations

from flask import Flask, request, session
from flask_babel import Babel

#: The interface languages, in the order the language picker shows them.
LANGUAGES = {"en": "English", "fr": "Français"}

babel = Babel()


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES.keys()) or _default()


def _default() -> str:
    from flask import current_app

    return current_app.config.get("BABEL_DEFAULT_LOCALE", "en")


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    babel.init_app(app, locale_selector=select_locale)

    @app.after_request
    def _vary(response):  # type: ignore[no-untyped-def]
        # A page's language follows Accept-Language and the session: caches must key on both.
        if response.mimetype == "text/html":
            response.vary.add("Accept-Language")
            response.vary.add("Cookie")
        return response

    @app.context_processor
    def _languages() -> dict:
        from flask_babel import get_locale

        return {"interface_languages": LANGUAGES, "page_lang": str(get_locale() or _default())}
