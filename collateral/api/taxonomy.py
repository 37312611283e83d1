"""The taxonomy: read by everyone signed in, extended by admins."""

from flask import jsonify

from ..errors import NotFound
from ..permissions import ADMINISTER, BROWSE, requires
from ..request_input import acting, json_object
from ..services import taxonomy
from . import api_bp


@api_bp.get("/taxonomy")
@requires(BROWSE)
def get_taxonomy():
    return jsonify(taxonomy.taxonomy_names())


@api_bp.post("/taxonomy/<kind>")
@requires(ADMINISTER)
def add_term(kind: str):
    if kind not in taxonomy.KIND_FOR_PLURAL:
        raise NotFound(f"No taxonomy kind {kind!r}; use {', '.join(taxonomy.PLURALS.values())}.")
    name = json_object().get("name")
    term = taxonomy.add_term(
        taxonomy.KIND_FOR_PLURAL[kind], name if isinstance(name, str) else "", actor=acting()
    )
    return jsonify({"kind": kind, "name": term.name, "position": term.position}), 201
