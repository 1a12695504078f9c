"""Which web origins may call the API from a browser? A listed few; never `*` together with credentials.

Starlette's CORS middleware does the protocol; refused preflights are answered as problem+json here.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from error_handling.problems import problem_response

REFUSED = "CORS preflight refused ({failures}): not on this API's allow-list."


class AllowListCORSMiddleware(CORSMiddleware):
    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code == 400:
            failures = bytes(response.body).decode().removeprefix("Disallowed CORS ")
            return problem_response(403, REFUSED.format(failures=failures), slug="cors-refused")
        return response
