"""The API docs page (/api/docs): Swagger UI served from our own origin under a strict CSP.

The Swagger UI files come from the pinned npm package swagger-ui-dist, copied into the frontend build
(frontend/dist/swagger-ui/). FastAPI's page starts Swagger UI with an inline script; that one exact
script is allowed by its hash, computed from the page itself, so no 'unsafe-inline' is needed.
"""

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from app.core.headers import content_security_policy, inline_script_hashes

SWAGGER_JS = "/swagger-ui/swagger-ui-bundle.js"
SWAGGER_CSS = "/swagger-ui/swagger-ui.css"


def install_docs(app: FastAPI, path: str, img_sources: list[str]) -> None:
    """Serve Swagger UI for app.openapi_url at `path` (create the app with docs_url=None)."""
    page = get_swagger_ui_html(
        openapi_url=app.openapi_url, title=f"{app.title} API", swagger_js_url=SWAGGER_JS,
        swagger_css_url=SWAGGER_CSS, swagger_favicon_url="/icons/icon-192.png",
        # No online validator badge (it would load an image from the validator's server).
        swagger_ui_parameters={"validatorUrl": None},
    ).body.decode()
    csp = content_security_policy(img_sources, script_hashes=inline_script_hashes(page))

    @app.get(path, include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return HTMLResponse(page, headers={"Content-Security-Policy": csp, "Cache-Control": "no-cache"})
