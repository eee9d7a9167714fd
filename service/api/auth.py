"""Optional bearer-token auth for every /v1 route."""

from __future__ import annotations

import hmac

from service.api.problems import ProblemError

__all__ = ["check_bearer"]

REALM = 'Bearer realm="opsum"'


def check_bearer(authorization: str | None, keys: list[bytes]) -> None:
    """Raise a 401 problem unless `authorization` is `Bearer <one of keys>`; no keys: no check."""
    if not keys:
        return
    if not authorization:
        raise ProblemError(
            401,
            "unauthorized",
            "this server requires an API key: send the header 'Authorization: Bearer <key>'",
            headers={"WWW-Authenticate": REALM},
        )
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ProblemError(
            401,
            "unauthorized",
            "the Authorization header must be 'Bearer <key>'",
            headers={"WWW-Authenticate": f'{REALM}, error="invalid_request"'},
        )
    given = token.strip().encode("utf-8", "replace")
    matched = False
    for key in keys:  # compare with every key, in constant time each
        matched |= hmac.compare_digest(given, key)
    if not matched:
        raise ProblemError(
            401,
            "unauthorized",
            "the API key is not valid for this server",
            headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'},
        )
