"""A route of the read API: what the app registers and what OpenAPI describes."""

from __future__ import annotations

from dataclasses import dataclass

from api.params import ParamSpec

SHOP_PREFIX = "/api/v1/shops/{shop_id}"


# a source of responses that move with time alone (overdue orders): the ETag changes every
# minute
CLOCK_SOURCE = "clock"
HTML_PAGE = "html page"  # the response of a page for people, not a JSON component


@dataclass(frozen=True)
class RouteSpec:
    name: str  # endpoint name and OpenAPI operationId
    path: str  # OpenAPI path template (``{shop_id}``)
    summary: str
    response: str  # component schema of the 200 body
    params: tuple[ParamSpec, ...] = ()
    shop: bool = True  # a shop view: bearer token of that shop, JSON or CSV, ETag
    # what the ETag depends on beside the request: view files (manifest, freshness) or
    # the shop's recorded runs in the metadata database (sync_runs)
    sources: tuple[str, ...] = ("manifest",)
    description: str = ""
    method: str = "get"
    admin: bool = False  # authorised by the admin token (api/admin.py registers it)
    request: str = ""  # component of the JSON body it takes (admin routes), if any
    # rules between parameters that each have a valid value (400 invalid_parameter with
    # this text); OpenAPI states them, since a parameter's schema cannot
    rules: tuple[str, ...] = ()

    @property
    def flask_rule(self) -> str:
        return self.path.replace("{", "<").replace("}", ">")
