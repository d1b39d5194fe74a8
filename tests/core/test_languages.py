"""Accept-Language: ar (and en, the default) translates every `message` and validation text (issue 14).

Ours come from locale/ar/LC_MESSAGES/django.po, compiled to the committed django.mo; Django's and DRF's
from their own catalogues. A `code` and the field names in `errors` never change with the language.
"""

import ast
import gettext as gnu_gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import OperationalError
from django.utils import translation

from accounts import errors as accounts_errors
from accounts.choices import Role
from clinical import errors as clinical_errors
from core import views as core_views
from core.testing import assert_error
from devices import errors as devices_errors
from monitoring import errors as monitoring_errors
from spareparts import errors as spareparts_errors
from tests.accounts.helpers import register_body
from tests.core.test_error_codes import CONTRACT
from tests.factories import UserFactory
from workorders import errors as workorders_errors

ROOT = Path(settings.BASE_DIR)
CATALOGUE = ROOT / "locale" / "ar" / "LC_MESSAGES"
ARABIC = re.compile(r"[\u0600-\u06FF]")
PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|%[sd]|\{\w+\}")
AR, EN = {"HTTP_ACCEPT_LANGUAGE": "ar"}, {"HTTP_ACCEPT_LANGUAGE": "en"}


def _po_entries(path=CATALOGUE / "django.po"):
    """{(context or None, msgid): msgstr} of a .po file, msgstr a tuple of its forms for a plural entry
    (obsolete #~ entries left out; a fuzzy entry, a guess of msgmerge's that gettext does not use,
    counts as untranslated: "")."""
    entries, entry, field, fuzzy = {}, {}, None, False

    def keep():
        if "msgid" in entry:
            text = {key: "".join(ast.literal_eval(part) for part in parts) for key, parts in entry.items()}
            forms = tuple(text[key] for key in sorted(text) if key.startswith("msgstr["))
            entries[(text.get("msgctxt"), text["msgid"])] = "" if fuzzy else forms or text.get("msgstr", "")

    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("#,") and "fuzzy" in line:
            keep()
            entry, field, fuzzy = {}, None, True
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if keyword in ("msgctxt", "msgid", "msgid_plural", "msgstr") or keyword.startswith("msgstr["):
            if keyword in ("msgctxt", "msgid") and any(key.startswith("msgstr") for key in entry):
                keep()
                entry, fuzzy = {}, False
            field, line = keyword, rest
        entry.setdefault(field, []).append(line)
    keep()
    entries.pop((None, ""), None)  # the header
    return entries


def _forms(msgstr):
    return msgstr if isinstance(msgstr, tuple) else (msgstr,)


def _is_arabic(text, english):
    return str(text) != str(english) and bool(ARABIC.search(str(text)))


# --- the catalogue: complete, compiled, and in step with the source ---------------------------

GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "gettext_noop"}
CONTEXT_NAMES = {"pgettext", "pgettext_lazy"}
PLURAL_NAMES = {"ngettext", "ngettext_lazy"}


def _source_messages():
    """(context, msgid, where) for every gettext call with literal text in the project's code."""
    skipped = {".venv", "tests", "bench", "node_modules"}
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if parts[0] in skipped or parts[0].startswith(".") or parts[0].endswith(".egg-info"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            texts = [arg.value for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)]
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if (node.func.id in GETTEXT_NAMES and len(texts) == 1) or (node.func.id in PLURAL_NAMES and texts):
                yield None, texts[0], where
            elif node.func.id in CONTEXT_NAMES and len(texts) == 2:
                yield texts[0], texts[1], where


def test_every_message_in_the_source_has_an_arabic_translation_in_the_catalogue():
    entries = _po_entries()
    found = list(_source_messages())
    assert len(found) > 150  # the walk sees the project's messages
    missing = [f"{where}: {msgid!r}" for context, msgid, where in found
               if not all(_forms(entries.get((context, msgid), "")))]
    assert not missing, ("Run `python manage.py makemessages -l ar --no-location --ignore=.venv --ignore=tests "
                         "--ignore=bench`, translate, then compilemessages:\n" + "\n".join(missing))


def test_every_catalogue_entry_is_translated_to_arabic_with_the_same_placeholders():
    entries = _po_entries()
    assert len(entries) > 150
    for (context, msgid), msgstr in entries.items():
        for form in _forms(msgstr):
            assert _is_arabic(form, msgid), f"untranslated: {msgid!r}"
            assert sorted(PLACEHOLDER.findall(form)) == sorted(PLACEHOLDER.findall(msgid)), msgid


def test_the_committed_mo_is_compiled_from_the_po():
    with open(CATALOGUE / "django.mo", "rb") as handle:
        compiled = gnu_gettext.GNUTranslations(handle)
    for (context, msgid), msgstr in _po_entries().items():
        key = f"{context}\x04{msgid}" if context else msgid
        if isinstance(msgstr, tuple):
            got = tuple(compiled._catalog.get((key, index)) for index in range(len(msgstr)))
        else:
            got = compiled.pgettext(context, msgid) if context else compiled.gettext(msgid)
        assert got == msgstr, f"django.mo is stale for {msgid!r}: run compilemessages"


# --- every error code the API answers, in Arabic ----------------------------------------------
# The domain codes pinned in test_error_codes, each with the message(s) it is raised with. Each must
# be in the catalogue and come out in Arabic (the texts are the msgids of the services' raises).

DOMAIN_MESSAGES = {
    accounts_errors: {
        "account_inactive": ["Your account is inactive; contact an administrator."],
        "account_pending": ["Your account is awaiting approval by an administrator."],
        "account_rejected": ["Your sign-up was rejected; contact an administrator."],
        "invalid_credentials": ["Invalid username or password."],
        "not_pending": ["Only pending sign-ups can be approved; this one is %(status)s.",
                        "Only pending sign-ups can be rejected; this one is %(status)s."],
        "self_deactivation": ["You cannot deactivate your own account."],
    },
    clinical_errors: {
        "already_in_care": ["This patient is already in your care: open the record without emergency access."],
        "consultation_completed": ["This consultation is completed; %(what)s can no longer be changed."],
        "grant_not_live": ["This grant is already %(state)s."],
        "invalid_transition": ["An appointment that is %(status)s cannot become %(target)s.",
                               "An appointment that is %(status)s cannot be rescheduled.",
                               "A consultation cannot be opened for an appointment that is %(status)s.",
                               "A consultation that is %(status)s cannot become %(target)s."],
        "not_started": ["The appointment starts at %(start)s: a patient can be marked as a no-show only once it "
                        "has started (cancel it instead)."],
        "slot_booked": ["This slot holds a live appointment and cannot be %(verb)s."],
        "slot_has_history": ["Cancelled appointments refer to this slot; it cannot be %(verb)s."],
        "slot_taken": ["This time slot is already taken."],
    },
    devices_errors: {
        "device_in_use": ["The monitor is assigned to a patient: unassign it first, or decommission it.",
                          "The device has work orders, spare-part requests or readings and cannot be deleted: "
                          "decommission it instead (status decommissioned)."],
        "device_not_active": ["Only an active monitor can be assigned (this one is %(status)s)."],
        "downtime_open": ["The device already has an open downtime period; the status changed meanwhile: "
                          "reload the device and try again."],
        "invalid_transition": ["The device is already %(status)s.",
                               "Your role (%(role)s) may not change a %(status)s device to %(target)s."],
        "monitor_in_use": ["The monitor is assigned to a patient: unassign it before decommissioning it.",
                           "The monitor is assigned to a patient: unassign it before changing its category.",
                           "This monitor is already assigned to a patient; unassign it first."],
        "monitor_not_assigned": ["This monitor is not assigned to a patient."],
        "not_a_monitor": ["Device %(device)s is not a monitor (category %(category)s)."],
        "patient_has_monitor": ["This patient already has a monitor; unassign it first."],
        "room_in_use": ["Room %(room)s holds devices: move them out before moving the room to another hospital."],
    },
    monitoring_errors: {
        "invalid_api_key": ["Unknown or revoked device API key."],
        "invalid_transition": ["This alert is %(status)s; it cannot be acknowledged.",
                               "This alert is %(status)s; it cannot be resolved."],
        "not_a_monitor": ["Device %(device)s is not a monitor: only monitors post readings."],
    },
    spareparts_errors: {
        "request_number_taken": ["Could not allocate a request number; please retry."],
        "spare_part_not_pending": ["Request %(number)s is already %(status)s.",
                                   "Request %(number)s is already %(status)s; only a pending request is decided."],
    },
    workorders_errors: {
        "device_decommissioned": ["The device is decommissioned; it takes no more work orders."],
        "invalid_transition": ["A work order cannot go from %(status)s to %(target)s "
                               "(open -> in_progress -> closed).", "A work order cannot go back to %(status)s."],
        "work_number_taken": ["Could not allocate a work number; please retry."],
        "work_order_closed": ["Work order %(number)s is closed; a closed work order is final."],
        "work_order_in_use": ["The work order has spare-part requests and cannot be deleted."],
        "work_order_not_open": ["Only an open work order's description can be edited by its reporter."],
    },
}

# The generic codes of core.errors and DRF that no request below triggers as easily.
GENERIC_MESSAGES = {
    "domain_error": ["The request breaks a business rule."],
    "conflict": ["The request conflicts with the current state of the resource."],
    "protected": ["This object is still referenced by other records and cannot be deleted."],
    "payload_too_large": ["The request body is too large."],
    "photo_too_large": ["The photo exceeds {mb} MB."],
    "service_unavailable": ["A service this request needs is unavailable; try again in a moment.",
                            "The cache (Redis), which this request needs, is unavailable; try again in a moment."],
    "throttled": ["Too many failed logins. Try again later."],
}


def test_every_pinned_domain_code_has_its_messages_listed():
    assert {module: set(codes) for module, codes in DOMAIN_MESSAGES.items()} == CONTRACT


@pytest.mark.parametrize("code, msgid", [
    *[(f"{module.__name__.split('.')[0]}.{code}", msgid)
      for module, codes in DOMAIN_MESSAGES.items() for code, msgids in codes.items() for msgid in msgids],
    *[(code, msgid) for code, msgids in GENERIC_MESSAGES.items() for msgid in msgids],
])
def test_every_error_code_s_message_comes_out_in_arabic(code, msgid):
    assert (None, msgid) in _po_entries(), f"{code}: {msgid!r} is not a message of the source any more"
    with translation.override("ar"):
        assert _is_arabic(translation.gettext(msgid), msgid), code
    with translation.override("en"):
        assert translation.gettext(msgid) == msgid


# --- through the API: each answer in Arabic, same code and field names as in English ----------

def _boom(self, request):
    raise RuntimeError("unexpected")


def _database_down(self, request):
    raise OperationalError("connection refused")


def _admin_deactivates_self(ctx, headers):
    client = ctx["client_for"](Role.ADMIN)
    return client.delete(f"/api/users/{client.user.pk}/", **headers)


def _pending_user_logs_in(ctx, headers):
    user = UserFactory(pending=True)
    user.set_password("Secret-pass-2026")
    user.save()
    return ctx["api"].post("/api/auth/login/", {"username": user.username, "password": "Secret-pass-2026"},
                           format="json", **headers)


def _too_large(ctx, headers):
    ctx["settings"].DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    return ctx["api"].post("/api/auth/login/", {"username": "x" * 200, "password": "y"}, format="json", **headers)


def _throttled(ctx, headers):
    ctx["settings"].LOGIN_FAILURES_PER_USERNAME = 1
    for _attempt in range(2):
        response = ctx["api"].post("/api/auth/login/", {"username": "a", "password": "b"}, format="json", **headers)
    return response


def _raising(view_method):
    def call(ctx, headers):
        ctx["monkeypatch"].setattr(core_views.ApiIndexView, "get", view_method)
        ctx["api"].raise_request_exception = False
        return ctx["api"].get("/api/", **headers)
    return call


def _broken():
    raise OSError("down")


def _health_down(ctx, headers):
    ctx["monkeypatch"].setitem(core_views.HEALTH_CHECKS, "database", _broken)
    return ctx["api"].get("/api/health/", **headers)


def _bearer(token):
    def call(ctx, headers):
        ctx["api"].credentials(HTTP_AUTHORIZATION=token)
        return ctx["api"].get("/api/auth/profile/", **headers)
    return call


API_CASES = {  # name: (status, code, request)
    "not_authenticated": (401, "not_authenticated", lambda ctx, h: ctx["api"].get("/api/auth/profile/", **h)),
    "unknown_scheme": (401, "not_authenticated", _bearer("Token abc")),
    "token_not_valid": (401, "token_not_valid", _bearer("Bearer not.a.token")),
    "refresh_not_valid": (401, "token_not_valid", lambda ctx, h: ctx["api"].post(
        "/api/auth/refresh/", {"refresh": "not.a.token"}, format="json", **h)),
    "invalid_credentials": (401, "invalid_credentials", lambda ctx, h: ctx["api"].post(
        "/api/auth/login/", {"username": "nobody", "password": "wrong"}, format="json", **h)),
    "account_pending": (401, "account_pending", _pending_user_logs_in),
    "permission_denied": (403, "permission_denied", lambda ctx, h: ctx["client_for"](Role.NURSE).get(
        "/api/users/", **h)),
    "not_found": (404, "not_found", lambda ctx, h: ctx["client_for"](Role.ADMIN).get("/api/users/424242/", **h)),
    "unknown_path": (404, "not_found", lambda ctx, h: ctx["api"].get("/api/nowhere/", **h)),
    "missing_slash": (404, "not_found", lambda ctx, h: ctx["api"].post("/api/auth/login", **h)),
    "method_not_allowed": (405, "method_not_allowed", lambda ctx, h: ctx["api"].get("/api/auth/login/", **h)),
    "not_acceptable": (406, "not_acceptable", lambda ctx, h: ctx["api"].get(
        "/api/", HTTP_ACCEPT="application/xml", **h)),
    "validation_error": (400, "validation_error", lambda ctx, h: ctx["api"].post(
        "/api/auth/login/", {}, format="json", **h)),
    "password_validators": (400, "validation_error", lambda ctx, h: ctx["api"].post(  # Django's catalogue
        "/api/auth/register/", register_body(password="123"), format="json", **h)),
    "ingest_refusal": (400, "validation_error", lambda ctx, h: ctx["client_for"](Role.ADMIN).post(  # ours
        "/api/records/", {"readings": [{"device": 999999, "bpm": 70, "recorded_at": "2026-01-01T00:00:00Z"}]},
        format="json", **h)),
    "parse_error": (400, "parse_error", lambda ctx, h: ctx["api"].post(
        "/api/auth/login/", data="{not json", content_type="application/json", **h)),
    "unsupported_media_type": (415, "unsupported_media_type", lambda ctx, h: ctx["api"].post(
        "/api/auth/login/", data="username=x", content_type="text/plain", **h)),
    "self_deactivation": (409, "self_deactivation", _admin_deactivates_self),
    "payload_too_large": (413, "payload_too_large", _too_large),
    "throttled": (429, "throttled", _throttled),
    "server_error": (500, "server_error", _raising(_boom)),
    "service_unavailable": (503, "service_unavailable", _raising(_database_down)),
    "health_down": (503, "service_unavailable", _health_down),
}


@pytest.fixture
def ctx(api_client, client_for, settings, monkeypatch):
    return {"api": api_client, "client_for": client_for, "settings": settings, "monkeypatch": monkeypatch}


@pytest.mark.django_db
@pytest.mark.parametrize("name", API_CASES)
def test_every_error_answers_in_arabic_with_the_english_code_and_fields(ctx, name):
    status_code, code, call = API_CASES[name]
    english = assert_error(call(ctx, EN), status_code, code)
    response = call(ctx, AR)
    arabic = assert_error(response, status_code, code)
    assert response["Content-Language"] == "ar"
    assert _is_arabic(arabic["message"], english["message"]), arabic
    assert list(arabic["errors"]) == list(english["errors"])  # field names never translate
    for field, messages in arabic["errors"].items():
        assert all(_is_arabic(text, before) for text, before in zip(messages, english["errors"][field],
                                                                     strict=True)), field


@pytest.mark.django_db
def test_a_validation_error_names_the_field_in_arabic_too(api_client):
    body = assert_error(api_client.post("/api/auth/login/", {}, format="json", **AR), 400, "validation_error",
                        fields=["password"])
    assert body["errors"]["password"] == ["هذا الحقل مطلوب."]  # DRF's own catalogue
    assert body["message"] == "مدخلات غير صالحة: password."  # ours, the field name as sent


@pytest.mark.django_db
def test_the_json_404_is_written_as_arabic_text_not_escapes(api_client):
    response = api_client.get("/api/nowhere", **AR)
    assert "لا يوجد مسار API يطابق /api/nowhere." in response.content.decode("utf-8")
    assert response["Content-Language"] == "ar"


@pytest.mark.django_db
@pytest.mark.parametrize("headers, language", [
    ({}, "en"),  # no header: English, the default
    ({"HTTP_ACCEPT_LANGUAGE": "fr"}, "en"),  # not offered: English
    ({"HTTP_ACCEPT_LANGUAGE": "fr-FR, ar;q=0.8"}, "ar"),  # the first offered one
    ({"HTTP_ACCEPT_LANGUAGE": "ar-SA"}, "ar"),  # a regional variant: Arabic
    ({"HTTP_ACCEPT_LANGUAGE": "en-GB, ar;q=0.5"}, "en"),
])
def test_the_language_follows_accept_language_and_falls_back_to_english(api_client, headers, language):
    response = api_client.get("/api/auth/profile/", **headers)
    body = assert_error(response, 401, "not_authenticated")
    assert response["Content-Language"] == language
    expected = "لم يتم تزويد بيانات الدخول." if language == "ar" else "Authentication credentials were not provided."
    assert body["message"] == expected


@pytest.mark.django_db
def test_a_success_carries_content_language_too(client_for):
    response = client_for(Role.NURSE).get("/api/auth/profile/", **AR)
    assert response.status_code == 200 and response["Content-Language"] == "ar"
