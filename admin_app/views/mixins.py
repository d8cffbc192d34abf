"""Shared write behaviour of the model views: the version guard, the audit trail, and
broken rules as translated messages beside their fields."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import flash, g, request
from flask_admin.contrib.sqla.fields import InlineModelFormList
from flask_admin.helpers import is_form_submitted
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstanceState
from sqlalchemy.orm.exc import StaleDataError
from wtforms import HiddenField

from .. import sql
from ..enums import AuditAction
from ..extensions import db
from ..models import utcnow
from ..services import audit, constraints, history, locking

log = logging.getLogger(__name__)


class VersionGuardMixin:
    """An edit form carries the record's version; saving over someone else's newer save is
    refused instead of silently overwriting it. The form comes back with the user's input
    as typed, a message naming who saved in between and when, and the record's new
    version: after checking their changes (the record's History), saving again applies
    one's own. A save without a version (a hand-made request) is refused too."""

    model: Any

    def get_edit_form(self) -> Any:
        form_class = super().get_edit_form()  # type: ignore[misc]
        if self._version_column() is not None:
            form_class = type(form_class.__name__, (form_class,), {"version_id": HiddenField()})
        return form_class

    def _version_column(self) -> Any:
        return self.model.__mapper__.version_id_col

    def update_model(self, form: Any, model: Any) -> bool:
        if "version_id" in form:
            # What the request posted: a missing field would take the record's own value.
            raw = form.version_id.raw_data
            if not self._version_holds(str(raw[0]) if raw else "", model, stale_message):
                form.version_id.data = str(model.version_id)  # a second save is deliberate
                return False
            del form["version_id"]
        return super().update_model(form, model)  # type: ignore[misc]

    def delete_model(self, model: Any) -> bool:
        """A delete from the list checks the version the list showed: a record changed
        since is not deleted (the user is told by whom and when), and a delete without a
        version (a hand-made request) is refused. Bulk deletes go by the ids posted."""
        endpoint = request.endpoint or ""
        if self._version_column() is not None and endpoint.endswith(".delete_view") and \
                not self._version_holds(request.form.get("version_id") or "", model,
                                        stale_delete_message):
            return False
        return super().delete_model(model)  # type: ignore[misc]

    @staticmethod
    def _version_holds(posted: str, model: Any, stale: Callable[[Any], str]) -> bool:
        """True when the request posted the record's current version; otherwise says why
        (no version: a request the screens did not send; another: ``stale(model)``)."""
        posted = posted.strip()
        if not posted:
            flash(_("This form is incomplete: reload the page and edit the record again."),
                  "error")
            return False
        if posted != str(model.version_id):
            flash(stale(model), "error")
            return False
        return True


def _last_saved(record: Any) -> Any:
    """The latest audit entry about ``record`` (who saved it last, and when), or None."""
    latest = history.latest(db.session, record.__tablename__, record.id, limit=1).rows
    return latest[0] if latest else None


def stale_delete_message(record: Any) -> str:
    entry = _last_saved(record)
    if entry is None or entry.user is None:
        return _("Someone else saved this record after you opened the list: it was not "
                 "deleted. Check their changes, then delete it again if it should go.")
    return _("%(who)s saved this record at %(when)s, after you opened the list: it was not "
             "deleted. Check their changes, then delete it again if it should go.",
             who=str(entry.user), when=format_datetime(entry.at, "yyyy-MM-dd HH:mm"))


def stale_message(record: Any) -> str:
    """Who saved ``record`` last and when (its latest audit entry), for a stale save."""
    entry = _last_saved(record)
    if entry is None or entry.user is None:
        return _("Someone else saved this record while you were editing it. Your input is "
                 "kept below: check their changes in the record's history, then save again "
                 "to apply yours.")
    return _("%(who)s saved this record at %(when)s, while you were editing it. Your input "
             "is kept below: check their changes in the record's history, then save again "
             "to apply yours.", who=str(entry.user),
             when=format_datetime(entry.at, "yyyy-MM-dd HH:mm"))


class AuditMixin:
    """Every create, edit and delete through a screen is written to the audit log."""

    model: Any

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        changes = audit.object_changes(model, created=is_created)
        db.session.flush()
        reason = _reason(getattr(getattr(form, "reason", None), "data", None))
        if is_created:
            self._audit("create", model, changes)
            return
        for action, part in self.audit_actions(changes):
            self._audit(action, model, {**part, **reason} if part else part)

    def audit_actions(self, changes: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        """An edit's changes as the audit entries that record them: one "update" here; a
        view may name some changes as actions of their own (a role change, say)."""
        return [(AuditAction.update.value, changes)]

    def on_model_delete(self, model: Any) -> None:
        self._audit("delete", model, {**audit.object_changes(model, deleted=True),
                                      **_reason(request.form.get("reason"))})

    def _audit(self, action: str, model: Any, changes: dict[str, Any]) -> None:
        audit.record(
            db.session,
            action=action,
            entity=self.model.__tablename__,
            entity_id=self.get_pk_value(model),  # type: ignore[attr-defined]
            changes=changes,
            actor=current_user._get_current_object(),
            ip=request.remote_addr,
        )


def _reason(text: Any) -> dict[str, str]:
    """``{"reason": text}`` for an audit entry's changes, when a reason was given."""
    text = (text or "").strip() if isinstance(text, str) else ""
    return {"reason": text} if text else {}


class SaveErrorsMixin:
    """A broken rule is a message beside its field, not the database's generic refusal.

    The form is judged first on the rules of ``services.constraints`` (over the values the
    row would be saved with: the form's, else the stored or default ones), inline rows
    too, and inline rows that would repeat a unique pair. When the database refuses anyway
    the constraint it names finds its rule, and the message goes beside the field (or
    into the flash when the form has no such field). A concurrent save, a lock timeout, or
    a refusal no rule names is a message too, never a 500; an unreachable database is the
    503 page."""

    model: Any

    def validate_form(self, form: Any) -> bool:
        valid = super().validate_form(form)  # type: ignore[misc]
        if not is_form_submitted():
            return bool(valid)
        g.saving_form = form  # for ``handle_view_exception``, in this request only
        now = utcnow()
        kept = judge(form, self.model, getattr(form, "_obj", None), now)
        for inline in inline_lists(form):
            entries = [e for e in inline.entries if not inline.should_delete(e)]
            for entry in entries:
                kept &= judge(entry.form, inline.model, _entry_object(entry), now)
            kept &= no_repeats(entries, inline.model)
        return bool(valid) and kept

    def handle_view_exception(self, exc: Exception) -> bool:
        if sql.is_unreachable(exc):
            raise exc  # the 503 page (errors.py), not Flask-Admin's flash of the driver's text
        # Any refusal of the database (or a value its driver can't bind) is rolled back
        # before anything -- the user, the locale of the message -- is read again: the
        # failed transaction would refuse that read too, and the message would be a 500.
        refused = isinstance(exc, StaleDataError | sa.exc.SQLAlchemyError | OverflowError) \
            or locking.is_lock_timeout(exc)
        if refused:
            db.session.rollback()
        if isinstance(exc, StaleDataError):
            flash(_("Someone else changed this record at the same time. "
                    "Nothing was saved; reload the page and try again."), "error")
        elif locking.is_lock_timeout(exc):
            flash(str(locking.BUSY_MESSAGE), "error")
        elif isinstance(exc, IntegrityError):
            rule = constraints.refusal(exc)
            if request.endpoint and request.endpoint.endswith("delete_view"):
                flash(_("This record cannot be deleted because other records refer to it."),
                      "error")
            elif rule is None:
                flash(_("Nothing was saved: the data conflicts with another record "
                        "or breaks a rule of the database."), "error")
            elif not self._beside_its_field(rule):
                flash(_("Nothing was saved: %(reason)s", reason=rule.message), "error")
        elif refused:  # a value the engine would not take: said, never the driver's words
            log.warning("A save on %s was refused by the database", request.path,
                        exc_info=exc)
            flash(_("Nothing was saved: the data conflicts with another record "
                    "or breaks a rule of the database."), "error")
        return refused or bool(super().handle_view_exception(exc))  # type: ignore[misc]

    def _beside_its_field(self, rule: constraints.Rule) -> bool:
        """Put ``rule``'s message beside its field on the form being saved, if it has one."""
        form = g.get("saving_form")
        if form is None or rule.table != self.model.__tablename__:
            return False
        field = fields_by_column(self.model, form).get(rule.column)
        if field is None:
            return False
        field.errors = [*field.errors, str(rule.message)]
        return True


def inline_lists(form: Any) -> list[Any]:
    """The form's lists of inline rows (each with the ``model`` of its rows)."""
    return [field for field in form if isinstance(field, InlineModelFormList)]


def _entry_object(entry: Any) -> Any:
    return getattr(entry.form, "_obj", None) or entry.object_data


def fields_by_column(model: Any, form: Any) -> dict[str, Any]:
    """The form's fields by the column each sets: a relationship's field (``client``) by
    its foreign key (``client_id``)."""
    mapper = model.__mapper__
    found = {}
    for name, field in form._fields.items():
        if name in mapper.column_attrs:
            found[name] = field
        elif name in mapper.relationships:
            local = list(mapper.relationships[name].local_columns)
            if len(local) == 1:
                found[local[0].key] = field
    return found


def field_value(field: Any) -> Any:
    """What ``field`` would store in its column: for a related record, its key."""
    state = sa.inspect(field.data, raiseerr=False) if field.data is not None else None
    if isinstance(state, InstanceState):
        return state.identity[0] if state.identity else None
    return field.data


def _default(attribute: Any) -> Any:
    default = attribute.columns[0].default
    return default.arg if default is not None and default.is_scalar else None


def row_values(model: Any, obj: Any, fields: dict[str, Any]) -> dict[str, Any]:
    """The values the row would be saved with; a field already refused is left out."""
    values = {}
    for attribute in model.__mapper__.column_attrs:
        field = fields.get(attribute.key)
        if field is None:
            values[attribute.key] = getattr(obj, attribute.key) if obj is not None \
                else _default(attribute)
        elif not field.errors:
            values[attribute.key] = field_value(field)
    return values


def judge(form: Any, model: Any, obj: Any, now: datetime) -> bool:
    """Put the message of each rule the form breaks beside its field; True if none."""
    fields = fields_by_column(model, form)
    row = constraints.Row(row_values(model, obj, fields), now=now)
    kept = True
    for rule in constraints.broken(model.__tablename__, row):
        field = fields.get(rule.column)
        if field is not None and not field.errors:
            field.errors = [*field.errors, str(rule.message)]
            kept = False
    return kept


def no_repeats(entries: list[Any], model: Any) -> bool:
    """Inline rows of one parent may not repeat what the table keeps unique (a client
    twice on an event's list): the repeat gets the unique rule's message."""
    kept = True
    table = model.__tablename__
    for columns in constraints.unique_column_sets(table):
        rule = constraints.unique_rule(table, columns)
        if rule is None:
            continue
        seen: set[tuple[Any, ...]] = set()
        for entry in entries:
            fields = fields_by_column(model, entry.form)
            on_form = [c for c in columns if c in fields]  # the rest: the shared parent
            if rule.column not in on_form or any(fields[c].errors for c in on_form):
                continue
            key = tuple(field_value(fields[c]) for c in on_form)
            if None in key:
                continue
            if key in seen:
                fields[rule.column].errors = [*fields[rule.column].errors, str(rule.message)]
                kept = False
            seen.add(key)
    return kept
