import re
import time

import pytest
from django.core import mail
from django.core.cache import cache

from accounts import otp
from accounts.choices import OtpPurpose
from core.testing import assert_error
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW = "Brand-New-Secret-7"


@pytest.fixture
def send(api_client, django_capture_on_commit_callbacks):
    def request_code(email, purpose="password_reset"):
        with django_capture_on_commit_callbacks(execute=True):
            return api_client.post("/api/auth/otp/request/", {"email": email, "purpose": purpose}, format="json")

    return request_code


def last_code():
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


def reset(api_client, email, code, password=NEW):
    return api_client.post("/api/auth/password/reset/",
                           {"email": email, "code": code, "new_password": password}, format="json")


def test_reset_lifecycle_code_works_once(api_client, send):
    user = UserFactory()
    assert send(user.email).status_code == 202
    code = last_code()
    assert reset(api_client, user.email, code).status_code == 200
    user.refresh_from_db()
    assert user.check_password(NEW) and user.email_verified
    assert_error(reset(api_client, user.email, code, "Another-Secret-8"), 400, fields=["code"])
    user.refresh_from_db()
    assert user.check_password(NEW)


def test_code_is_stored_hashed_in_the_cache(send):
    user = UserFactory()
    send(user.email)
    code = last_code()
    key, _ = otp._key(OtpPurpose.PASSWORD_RESET, user.email)
    stored = cache.get(key)
    assert stored and code not in stored and len(stored) == 64


def test_unknown_email_also_answers_202_and_sends_nothing(send):
    assert send("nobody@example.org").status_code == 202
    assert mail.outbox == []


def test_bad_purpose_or_email_is_400(api_client):
    assert_error(api_client.post("/api/auth/otp/request/", {"email": "a@b.org", "purpose": "x"}, format="json"),
                 400, fields=["purpose"])
    assert_error(api_client.post("/api/auth/otp/request/", {"email": "nope", "purpose": "email_verify"},
                                 format="json"), 400, fields=["email"])


def test_wrong_codes_are_counted_and_kill_the_code_after_five(api_client, send):
    user = UserFactory()
    send(user.email)
    code = last_code()
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        assert_error(reset(api_client, user.email, wrong), 400, fields=["code"])
    assert_error(reset(api_client, user.email, code), 400, fields=["code"])
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_new_request_replaces_the_old_code(api_client, send):
    user = UserFactory()
    send(user.email)
    first = last_code()
    send(user.email)
    second = last_code()
    if first != second:
        assert_error(reset(api_client, user.email, first), 400)
    assert reset(api_client, user.email, second).status_code == 200


def test_expired_code_is_refused(api_client):
    user = UserFactory()
    code = otp.issue_code(OtpPurpose.PASSWORD_RESET, user.email, ttl_seconds=1)
    time.sleep(1.2)
    assert_error(reset(api_client, user.email, code), 400, fields=["code"])


def test_weak_new_password_is_400_and_keeps_the_code(api_client, send):
    user = UserFactory()
    send(user.email)
    code = last_code()
    assert_error(reset(api_client, user.email, code, "123"), 400, fields=["new_password"])
    assert reset(api_client, user.email, code).status_code == 200


def test_email_verify_lifecycle(api_client, send):
    user = UserFactory(email_verified=False)
    send(user.email, "email_verify")
    code = last_code()
    response = api_client.post("/api/auth/email/verify/", {"email": user.email, "code": code}, format="json")
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.email_verified
    assert_error(api_client.post("/api/auth/email/verify/", {"email": user.email, "code": code}, format="json"),
                 400, fields=["code"])


def test_a_reset_code_cannot_verify_email(api_client, send):
    user = UserFactory(email_verified=False)
    send(user.email, "password_reset")
    response = api_client.post("/api/auth/email/verify/", {"email": user.email, "code": last_code()},
                               format="json")
    assert_error(response, 400, fields=["code"])


def test_malformed_code_is_400(api_client):
    response = api_client.post("/api/auth/email/verify/", {"email": "a@b.org", "code": "12ab"}, format="json")
    assert_error(response, 400, fields=["code"])


def test_otp_requests_are_throttled_per_email(send):
    user = UserFactory()
    statuses = [send(user.email).status_code for _ in range(11)]
    assert statuses[:10] == [202] * 10
    assert statuses[10] == 429
    assert len(mail.outbox) == 10


def test_otp_requests_are_throttled_per_address(send, monkeypatch):
    from accounts.throttles import OtpAddressThrottle

    monkeypatch.setattr(OtpAddressThrottle, "rate", "3/10m", raising=False)
    statuses = [send(f"person{n}@example.org").status_code for n in range(4)]
    assert statuses == [202, 202, 202, 429]


def test_window_rates_parse():
    from accounts.throttles import WindowRateThrottle

    assert WindowRateThrottle.parse_rate(None, "10/10m") == (10, 600)
    assert WindowRateThrottle.parse_rate(None, "5/hour") == (5, 3600)


def test_reset_reveals_nothing_about_the_account_before_the_code_is_right(api_client, send):
    user = UserFactory(email="known@example.org")
    send(user.email)
    wrong = f"{(int(last_code()) + 1) % 10**6:06d}"
    similar = "known@example.org"  # too similar to the email: only a real account could tell
    for email in ("known@example.org", "unknown@example.org"):
        body = assert_error(reset(api_client, email, wrong, similar), 400)
        assert set(body["errors"]) == {"code"}
