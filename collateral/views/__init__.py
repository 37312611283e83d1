"""The pages, one blueprint per area."""

from flask import Flask


def register_views(app: Flask) -> None:
    from .account import account_bp
    from .admin import admin_bp
    from .auth import auth_bp
    from .buyer import buyer_bp
    from .care import care_bp
    from .collections import collections_bp
    from .health import health_bp
    from .library import library_bp
    from .manage import manage_bp
    from .notifications import notifications_bp
    from .reports import reports_bp
    from .shares import engagement_bp, shares_bp

    for blueprint in (
        auth_bp,
        library_bp,
        manage_bp,
        care_bp,
        collections_bp,
        admin_bp,
        account_bp,
        reports_bp,
        health_bp,
        shares_bp,
        engagement_bp,
        notifications_bp,
        buyer_bp,
    ):
        app.register_blueprint(blueprint)
