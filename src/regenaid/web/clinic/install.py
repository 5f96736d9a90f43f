"""Wire the clinic's pages and API into the app made by ``create_app``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from regenaid.web.clinic import api, pages
from regenaid.web.clinic.auth import NotSignedIn


def install_clinic(app: FastAPI) -> None:
    app.include_router(pages.router)
    app.include_router(api.router)

    @app.exception_handler(NotSignedIn)
    async def _not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse(
                {
                    "detail": [
                        {
                            "loc": ["cookie", "regenaid_staff"],
                            "msg": "sign in first",
                            "type": "not_signed_in",
                        }
                    ]
                },
                status_code=401,
            )
        return RedirectResponse("/clinic/sign-in", status_code=303)
