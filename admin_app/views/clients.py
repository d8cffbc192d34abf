"""Client records (客户档案), with the recalculate-tier action in three scopes."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, g, has_request_context, redirect, request
from flask_admin import expose
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_admin.helpers import get_redirect_target
from flask_babel import LazyString, format_datetime, format_number, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import Session

from .. import sql
from ..enums import Capability, Resource, TierCode
from ..extensions import db
from ..forms.reasons import reason_field
from ..forms.validators import (
    Code,
    Email,
    IdNumber,
    Money,
    NonNegative,
    PastDate,
    Phone,
    RequiredIf,
    chosen_by_hand,
    switched_off,
)
from ..labels import COLUMN_LABELS
from ..models import Client, Event, EventAttendance, Tier
from ..permissions import masked_fields
from ..services import callbacks, events, history, inputs, locking, messages, planning, tiers
from . import adapter, client_page
from .access import role_of_current_user
from .actions import action, requires
from .base import SecureModelView
from .filters import OverdueFilter, due_bounds, due_filters
from .formatting import overdue_formatter, phone_formatter
from .lookups import user_lookup
from .queues import birthdays_filter, due_soon_filter, holiday_filter, my_clients_filter

log = logging.getLogger(__name__)
PII_READ_WAIT_MS = 1000  # how long recording a read of personal data waits for a writer


def tier_options() -> list[tuple[str, Any]]:
    """The tier filter's choices, each named as the screens name that tier (an admin's
    name for it, or its translated label); read from the tiers each time a list is drawn."""
    def name(code: TierCode) -> str:
        if "tier_names" not in g:
            g.tier_names = {t.code: str(t) for t in db.session.scalars(sa.select(Tier))}
        return g.tier_names.get(code.value) or str(code.label)

    return [(code.value, LazyString(name, code)) for code in TierCode]


class TierFilter(FilterEqual):
    """Clients in the chosen tier, named ``tier`` for ``links.list_url``."""

    key = "tier"


class ClientView(SecureModelView):
    resource = Resource.client
    record_model = Client
    export_spec = "clients"
    list_template = "admin/client_list.html"
    details_template = "admin/client_details.html"  # the whole relationship: client_page

    column_list = ("code", "name", "kind", "tier", "status", "risk_profile", "assets",
                   "advisor", "next_callback_due", "birth_date")
    column_details_list = (
        "code", "name", "kind", "status", "gender", "birth_date", "phone", "email", "address",
        "occupation", "id_number", "risk_profile", "risk_assessed_at", "assets",
        "annual_contribution", "trades_12m", "tier", "tier_locked", "tier_lock_reason",
        "tier_changed_at", "advisor", "last_callback_at", "next_callback_due",
        "notes", "created_at", "updated_at",
    )
    column_searchable_list = ("code", "name", "phone", "email", "id_number")
    phone_columns = frozenset({"phone"})
    column_sortable_list = ("code", "name", "kind", "status", "risk_profile", "assets",
                            ("tier", "tier.rank"), "next_callback_due", "birth_date")
    column_default_sort = ("code", False)
    column_filters = (
        TierFilter(Tier.code, _l("Tier"), options=tier_options()),
        "kind", "status", "risk_profile", "assets", "annual_contribution", "trades_12m",
        "tier_locked", *due_filters(COLUMN_LABELS["next_callback_due"]), "created_at",
        OverdueFilter(Client.next_callback_due, _l("Callback overdue"),
                      lambda now: callbacks.overdue_criterion(db.session, now)),
        # work queues (views/queues.py)
        due_soon_filter(), my_clients_filter(), birthdays_filter(), holiday_filter(),
    )
    column_labels = COLUMN_LABELS
    column_formatters = {"next_callback_due": overdue_formatter(callbacks.is_overdue),
                         "phone": phone_formatter}
    column_formatters_detail = column_formatters
    form_columns = (
        "code", "name", "kind", "status", "gender", "birth_date", "phone", "email", "address",
        "occupation", "id_number", "risk_profile", "risk_assessed_at", "assets",
        "annual_contribution", "trades_12m", "tier", "tier_locked", "tier_lock_reason",
        "reason", "advisor", "notes",
    )
    form_extra_fields = {"reason": reason_field(
        {"tier": chosen_by_hand, "tier_locked": switched_off},
        _l("Needed when you choose a tier by hand or unlock the tier."))}
    form_args = {
        "code": {"validators": [Code()]},
        "phone": {"validators": [Phone()]},
        "email": {"validators": [Email()]},
        "id_number": {"validators": [IdNumber()]},
        "birth_date": {"validators": [PastDate()]},
        "assets": {"validators": [Money()]},
        "annual_contribution": {"validators": [Money()]},
        "trades_12m": {"validators": [NonNegative()]},
        "tier_lock_reason": {
            "validators": [RequiredIf("tier_locked", _l("Give a reason for locking the tier."))]
        },
        "tier": {"query_factory": lambda: db.session.query(Tier).order_by(Tier.rank),
                 "description": _l("Leave empty to assign the tier the client's figures earn. "
                                   "A tier chosen by hand is recorded as a manual change.")},
    }
    form_ajax_refs = {"advisor": user_lookup("advisor")}

    @property
    def simple_list_pager(self) -> bool:  # type: ignore[override]
        """A list filtered by an uncounted queue (holiday greetings: most clients) pages
        by previous / next, without counting its rows."""
        if not has_request_context() or request.endpoint != f"{self.endpoint}.index_view":
            return False
        filters = adapter.filters(self)
        return any(not getattr(filters[index], "counted", True)
                   for index, *_rest in adapter.list_args(self).filters or ())

    def get_list(self, page: Any, sort_column: Any, sort_desc: Any, search: Any, filters: Any,
                 execute: bool = True, page_size: Any = None) -> Any:
        """Sorted by the next callback's due date, a page is read per tier
        (``callbacks.due_page``): the date is computed, so no index holds it in order."""
        if sort_column != "next_callback_due" or not execute:
            return super().get_list(page, sort_column, sort_desc, search, filters,
                                    execute=execute, page_size=page_size)
        count, query = super().get_list(None, None, False, search, filters, execute=False,
                                        page_size=False)
        size = self.page_size if page_size is None else page_size
        offset = (page or 0) * size if size else 0
        start, end = due_bounds(self, filters)
        return count, callbacks.due_page(db.session, query, offset=offset, limit=size or None,
                                         descending=bool(sort_desc), start=start, end=end)

    def _apply_filters(self, query: Any, count_query: Any, joins: Any, count_joins: Any,
                       filters: Any) -> Any:
        """The rows as every filter says; their number, when filters keep a range of due
        dates (a queue), counted per tier over that range, each count from one index (an
        OR of the ranges would have each engine collect and merge every matching row)."""
        ranged = [f for f in filters if due_bounds(self, [f]) != (None, None)]
        if count_query is None or not ranged:
            return super()._apply_filters(query, count_query, joins, count_joins, filters)
        query, _none, joins, _joins = super()._apply_filters(query, None, joins, {}, filters)
        rest = [f for f in filters if f not in ranged]
        _query, count_query, _joins, count_joins = super()._apply_filters(
            query, count_query, joins, count_joins, rest)
        start, end = due_bounds(self, ranged)
        return query, callbacks.count_query_by_tier(db.session, count_query, start, end), \
            joins, count_joins

    def on_model_change(self, form, model, is_created):
        tiers.apply_manual_change(db.session, model, actor=current_user._get_current_object())
        callbacks.apply_client_change(db.session, model)
        super().on_model_change(form, model, is_created)

    # --- recalculate tier ---------------------------------------------------------------

    @action("recalculate_tier", _l("Recalculate tier"),
            _l("Recalculate the tiers of the selected clients?"),
            capability=Capability.recalculate_tier)
    def action_recalculate(self, ids: list[str]) -> None:
        self._recalculate(self.selected(ids), "selected", dry_run=False)

    @action("recalculate_tier_dry_run", _l("Preview tier recalculation (dry run)"),
            capability=Capability.recalculate_tier)
    def action_recalculate_dry_run(self, ids: list[str]) -> None:
        self._recalculate(self.selected(ids), "selected", dry_run=True)

    @expose("/recalculate/", methods=("POST",))
    @requires(Capability.recalculate_tier,
              form_values={"scope": {"all": Capability.recalculate_all}},
              unfiltered=Capability.recalculate_all)
    def recalculate_view(self) -> Any:
        """Every client matching the list's search and filters, or (admins) every client."""
        scope_name = request.form.get("scope", "filtered")
        if scope_name not in ("all", "filtered"):
            abort(400)
        if scope_name == "all" or not self.list_narrowed():  # every client either way
            scope, scope_name = None, "all"
        else:
            scope = self.selection_scope()
        self._recalculate(scope, scope_name, dry_run=bool(request.form.get("dry_run")))
        return redirect(self.list_url())

    def _committed(self, work: Callable[[], Any]) -> Any:
        """``work``'s result once committed; None when another's lock refused it (said)."""
        try:
            with locking.refusing_busy_writes():
                result = work()
                db.session.commit()
        except locking.Busy as busy:
            db.session.rollback()
            flash(str(busy), "error")
            return None
        return result

    def _recalculate(self, scope: sa.Select | None, label: str, *, dry_run: bool) -> None:
        result = self._committed(lambda: tiers.recalculate(
            db.session, scope=scope, dry_run=dry_run,
            actor=current_user._get_current_object(), scope_label=label))
        if result is not None:
            flash(messages.recalculation_summary(result), "success")

    # --- plan callbacks (services/planning.py) -----------------------------------------

    @action("plan_callbacks", _l("Plan callbacks"),
            _l("Plan callbacks for the selected clients?"),
            capability=Capability.plan_callbacks)
    def action_plan_callbacks(self, ids: list[str]) -> None:
        self._plan(self.selected(ids), "selected")

    @expose("/plan-callbacks/", methods=("POST",))
    @requires(Capability.plan_callbacks, unfiltered=Capability.plan_callbacks_all)
    def plan_callbacks_view(self) -> Any:
        """Every client matching the list's search and filters (with neither: every
        client, which needs ``plan_callbacks_all``)."""
        self._plan(self.selection_scope(), "filtered" if self.list_narrowed() else "all")
        return redirect(self.list_url())

    # --- invite to event (services/events.py) ------------------------------------------

    @action("invite_to_event", _l("Invite to event"), capability=Capability.invite_to_event)
    def action_invite(self, ids: list[str]) -> Any:
        """The selected clients: first the page choosing the event, which posts the action
        again with it."""
        selected = db.session.scalars(self.selected(ids)).all()
        if not selected:
            return None
        if not request.form.get("event_id"):
            hidden = [("action", "invite_to_event"), ("url", self.list_url_or_return()),
                      *(("rowid", str(pk)) for pk in selected)]
            return self._choose_event(len(selected), hidden, self.get_url(".action_view"))
        self._invite(self.selected(ids), "selected")
        return None

    @expose("/invite/", methods=("GET", "POST"))
    @requires(Capability.invite_to_event, unfiltered=Capability.invite_to_event_all)
    def invite_view(self) -> Any:
        """Every client matching the list's search and filters (with neither: every client,
        which needs ``invite_to_event_all``): the event chosen, then invited."""
        if request.method == "GET" or not request.form.get("event_id"):
            count = db.session.scalar(sa.select(sa.func.count()).select_from(
                self.selection_scope().subquery()))
            return self._choose_event(int(count or 0), [],
                                      self.get_url(".invite_view", **request.args))
        self._invite(self.selection_scope(), "filtered" if self.list_narrowed() else "all")
        return redirect(self.list_url())

    def list_url_or_return(self) -> str:
        return get_redirect_target() or self.get_url(".index_view")

    def _choose_event(self, count: int, hidden: list[tuple[str, str]], action_url: str) -> Any:
        return self.render("admin/invite_event.html", heading=ngettext(
            "Invite %(count)s client to an event", "Invite %(count)s clients to an event",
            count, count=format_number(count)), events=self._open_events(), hidden=hidden,
            action_url=action_url, return_url=self.list_url_or_return())

    @staticmethod
    def _open_events() -> list[tuple[str, str]]:
        """The events that take invitations, soonest first, with their places left."""
        taken = (sa.select(sa.func.count()).where(EventAttendance.event_id == Event.id)
                 .scalar_subquery())
        rows = db.session.execute(
            sa.select(Event, taken).where(Event.status.not_in(events.CLOSED_EVENTS))
            .order_by(Event.starts_at).limit(100)).all()
        found = []
        for event, used in rows:
            when = format_datetime(event.starts_at, "yyyy-MM-dd HH:mm")
            places = "" if event.capacity is None else " · " + _(
                "%(left)s of %(capacity)s places left",
                left=format_number(max(0, event.capacity - used)),
                capacity=format_number(event.capacity))
            found.append((str(event.id), f"{event} · {when}{places}"))
        return found

    def _invite(self, scope: sa.Select, label: str) -> None:
        event_id = inputs.column_key(Event.id, request.form.get("event_id", ""))
        if event_id is None:
            abort(400)
        try:
            result = self._committed(lambda: events.invite(
                db.session, event_id, scope, actor=current_user._get_current_object(),
                scope_label=label))
        except events.EventError as refused:
            db.session.rollback()
            flash(str(refused), "error")
            return
        if result is not None:
            flash(events.invite_summary(result), "success" if result.invited else "error")

    def _plan(self, scope: sa.Select, label: str) -> None:
        result = self._committed(lambda: planning.plan_callbacks(
            db.session, scope=scope, actor=current_user._get_current_object(),
            scope_label=label))
        if result is not None:
            flash(planning.summary(result), "success")

    def render(self, template: str, **kwargs: Any) -> Any:
        if template == self.list_template:
            kwargs["can_plan"] = self.allowed(Capability.plan_callbacks)
            kwargs["can_plan_all"] = self.allowed(Capability.plan_callbacks_all)
            kwargs["can_recalculate_all"] = self.allowed(Capability.recalculate_all)
            kwargs["can_recalculate"] = self.allowed(Capability.recalculate_tier)
            kwargs["list_narrowed"] = self.list_narrowed()
            kwargs["can_invite"] = self.allowed(Capability.invite_to_event) and (
                kwargs["list_narrowed"] or self.allowed(Capability.invite_to_event_all))
        shown = None
        if template == self.details_template and kwargs.get("model") is not None:
            kwargs.update(client_page.context(kwargs["model"]))
            shown = kwargs["model"].id
        page = super().render(template, **kwargs)
        if shown is not None and not masked_fields(role_of_current_user(), self.resource):
            self._record_pii_read(shown)
        return page

    def _record_pii_read(self, client_id: int) -> None:
        """The page showed the client's personal data unmasked: who saw it is kept, in a
        transaction of its own that waits at most ``PII_READ_WAIT_MS`` for another writer
        (a long recalculation must not hold every client page up). When it can't be
        written the server log keeps the read instead, and the page is still shown."""
        try:
            with sql.impatient_transaction(db.engine, PII_READ_WAIT_MS) as connection, \
                    Session(bind=connection) as session:
                history.record_pii_read(session, self.model.__tablename__, client_id,
                                        actor=current_user._get_current_object(),
                                        ip=request.remote_addr)
                session.flush()
        except sa.exc.SQLAlchemyError:
            log.warning("The read of client %s's personal data by user %s (%s) could not be "
                        "written to the audit log", client_id, current_user.id,
                        request.remote_addr, exc_info=True)
