"""Every private Flask-Admin name the app relies on is still there, with the same
signature: an upgrade that moves one fails here, loudly, not later on a screen."""

from __future__ import annotations

import flask_admin.babel
from flask import Flask
from flask_admin import Admin
from flask_admin.contrib.sqla import ModelView

from admin_app.extensions import db
from admin_app.models import Client
from admin_app.views import adapter


def test_the_private_names_we_use_exist_on_a_plain_flask_admin(app):
    """Checked on a plain ModelView, not ours, so our own overrides can't hide a change."""
    plain = Flask("plain")
    plain.config["SECRET_KEY"] = "x"
    with app.app_context():
        admin = Admin(plain)
        view = ModelView(Client, db, endpoint="plain_client")
        view.column_filters = ("status",)
        admin.add_view(view)
        assert adapter.missing_names(view, admin) == []


def test_a_moved_name_is_reported(monkeypatch):
    owner = next(c for c in ModelView.__mro__ if "_get_column_by_idx" in vars(c))
    monkeypatch.delattr(owner, "_get_column_by_idx")
    assert adapter.missing_names() == ["ModelView._get_column_by_idx('self', 'idx')"]


def test_adapter_reads_the_registered_app(app):
    admin = app.extensions["admin"][0]
    client_view = next(v for v in adapter.views_of(admin) if v.endpoint == "client")
    assert adapter.missing_names(client_view, admin) == []
    assert "code" in adapter.list_column_names(client_view)
    assert adapter.sort_column(client_view, 10_000) is None


def test_a_moved_catalogue_cache_is_reported(monkeypatch):
    """``translate_admin_over`` lays our catalogue over Flask-Admin's through its domain's
    cache: an upgrade that renames either fails here."""
    monkeypatch.setattr(flask_admin.babel, "domain", object())
    assert adapter.missing_names() == ["flask_admin.babel.domain.cache"]
