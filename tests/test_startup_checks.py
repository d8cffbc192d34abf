"""Start-up checks (issue 11): a declaration that names a capability, resource or column
the permission matrix does not have stops ``create_app`` instead of failing later."""

from __future__ import annotations

import dataclasses

import pytest
from flask_admin import expose

from admin_app import create_app, views
from admin_app.enums import Capability
from admin_app.permissions import FIELD_RULES, ROW_RULES, FieldRule
from admin_app.services import complaints
from admin_app.views.actions import action, requires
from admin_app.views.checks import ImproperlyConfigured

CONFIG = {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"}


def start_with(monkeypatch, name: str, view_class: type) -> None:
    monkeypatch.setattr(views, name, view_class)
    create_app(CONFIG)


def test_the_app_as_declared_starts():
    create_app(CONFIG)


def test_a_misspelt_capability_is_refused_where_it_is_written():
    with pytest.raises(ValueError, match="clsoe"):
        action("close_all", "Close all", capability="clsoe")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="recalcluate"):
        requires("recalcluate")  # type: ignore[arg-type]


def test_an_action_with_a_capability_its_resource_lacks_stops_start_up(monkeypatch):
    class Misdeclared(views.ClientView):
        @action("close_clients", "Close", capability=Capability.close)  # complaints only
        def action_close_clients(self, ids):
            return None

    with pytest.raises(ImproperlyConfigured, match="close_clients.*'close'.*'client'"):
        start_with(monkeypatch, "ClientView", Misdeclared)


def test_an_endpoint_with_a_capability_its_resource_lacks_stops_start_up(monkeypatch):
    class Misdeclared(views.VisitView):
        @expose("/reopen/", methods=("POST",))
        @requires(Capability.reopen)
        def reopen_view(self):
            return ""

    with pytest.raises(ImproperlyConfigured, match="reopen_view.*'reopen'.*'visit'"):
        start_with(monkeypatch, "VisitView", Misdeclared)


def test_a_posted_value_needing_an_unknown_capability_stops_start_up(monkeypatch):
    class Misdeclared(views.EventView):
        @expose("/invite/", methods=("POST",))
        @requires(Capability.edit, form_values={"scope": {"all": Capability.recalculate_all}})
        def invite_view(self):
            return ""

    with pytest.raises(ImproperlyConfigured, match="invite_view.*'recalculate_all'"):
        start_with(monkeypatch, "EventView", Misdeclared)


def test_an_undeclared_endpoint_or_action_stops_start_up(monkeypatch):
    from flask_admin.actions import action as plain_action

    class Undeclared(views.EventView):
        @expose("/plan/", methods=("POST",))
        def plan_view(self):
            return ""

        @plain_action("invite", "Invite")
        def action_invite(self, ids):
            return None

    with pytest.raises(ImproperlyConfigured) as refused:
        start_with(monkeypatch, "EventView", Undeclared)
    assert "plan_view: declares no capability" in str(refused.value)
    assert "action 'invite' declares no capability" in str(refused.value)


def test_a_transition_with_an_unknown_capability_stops_start_up(monkeypatch):
    broken = tuple(dataclasses.replace(t, capability="clsoe") if t.name == "close" else t
                   for t in complaints.TRANSITIONS)
    monkeypatch.setattr(complaints, "TRANSITIONS", broken)
    with pytest.raises(ImproperlyConfigured, match="complaint transitions.*'clsoe'"):
        create_app(CONFIG)


def test_row_and_field_rules_are_checked(monkeypatch):
    monkeypatch.setitem(ROW_RULES, ("visit", "close"), {"staff": "staff_id"})
    monkeypatch.setitem(FIELD_RULES, "event", {"organiser_id": FieldRule(Capability.edit)})
    with pytest.raises(ImproperlyConfigured) as refused:
        create_app(CONFIG)
    assert "row rule: capability 'close'" in str(refused.value)
    assert "field rule on 'organiser_id', which Event does not have" in str(refused.value)


def test_a_masked_column_cannot_be_a_filter(monkeypatch):
    class Probing(views.ClientView):
        column_filters = ("phone",)

    with pytest.raises(ImproperlyConfigured, match=r"masked columns \['phone'\]"):
        start_with(monkeypatch, "ClientView", Probing)
