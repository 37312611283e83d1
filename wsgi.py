"""The WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

from collateral import create_app

app = create_app()
