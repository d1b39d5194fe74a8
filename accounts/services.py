"""Every account write that has a rule: sign-up, invitation, approval, login, passwords, codes."""

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import update_last_login
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import AuthenticationFailed, ValidationError
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import errors, login_guard, otp
from accounts.choices import ApprovalStatus, OtpPurpose, Role
from accounts.models import User
from accounts.profiles import profile_create
from accounts.tasks import send_email
from core.db import constraint_errors
from core.errors import Conflict

# A hash to check against when no user matches, so a missing account costs the same time.
_DUMMY_PASSWORD_HASH = make_password("not-a-real-password")


def _save_account(user):
    """Save a new or changed account; a username or email taken meanwhile is a 400 naming it
    (accounts.models.CONSTRAINT_ERRORS)."""
    with constraint_errors():
        user.save()


def _email_after_commit(subject, body, recipient):
    # robust: the write has committed; a broker that refuses the task is logged, not a 500 for it.
    transaction.on_commit(lambda: send_email.delay(subject, body, [recipient]), robust=True)


def user_register(*, username, email, password, first_name, last_name, role=Role.PATIENT, **profile):
    """Self sign-up. Patients are active at once; staff wait, inactive and pending, for an admin."""
    is_staff_role = role != Role.PATIENT
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
        phone=profile.get("phone", ""),
        department=profile.get("department") if is_staff_role else None,
        approval_status=ApprovalStatus.PENDING if is_staff_role else ApprovalStatus.APPROVED,
        is_active=not is_staff_role,
    )
    check_password_strength(password, user, field="password")
    # Hashed before the transaction: on SQLite a transaction holds the one write lock from BEGIN,
    # and the deliberately slow hash would make every concurrent write wait for it.
    user.set_password(password)
    with transaction.atomic():
        _save_account(user)
        profile_create(user, profile)
        code = otp.issue_code(OtpPurpose.EMAIL_VERIFY, email)
        note = (
            "An administrator will review your sign-up; you can log in once it is approved.\n"
            if is_staff_role
            else ""
        )
        _email_after_commit(
            "Welcome to MediTrack",
            f"Hello {first_name or username},\n\n{note}Your email verification code is {code} "
            f"(valid {settings.OTP_TTL_SECONDS // 60} minutes).",
            email,
        )
    return user


@transaction.atomic
def user_invite(*, username, email, role, first_name="", last_name="", department=None, phone="",
                **profile):
    """An admin creates an account: active and approved, no usable password. The invitation
    email carries a one-time code (72 hours) to set a password through password reset."""
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
        phone=phone,
        department=department,
        approval_status=ApprovalStatus.APPROVED,
        is_active=True,
        # The contract's admins use Django admin: staff with every permission.
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    user.set_unusable_password()
    _save_account(user)
    profile_create(user, profile)
    code = otp.issue_code(OtpPurpose.PASSWORD_RESET, email, ttl_seconds=settings.INVITATION_TTL_SECONDS)
    _email_after_commit(
        "You are invited to MediTrack",
        f"Hello {first_name or username},\n\nAn account was created for you (username: {username}). "
        f"Set your password with this one-time code, valid 72 hours: {code}\n"
        "Use it at POST /api/auth/password/reset/ with your email and a new password.",
        email,
    )
    return user


def _locked_user(user):
    return User.objects.select_for_update().get(pk=user.pk)


@transaction.atomic
def user_approve(*, user, by):
    user = _locked_user(user)
    if user.approval_status != ApprovalStatus.PENDING:
        raise Conflict(_("Only pending sign-ups can be approved; this one is %(status)s.") % {
            "status": user.approval_status},
                       code=errors.NOT_PENDING)
    user.approval_status = ApprovalStatus.APPROVED
    user.is_active = True
    user.save(update_fields=["approval_status", "is_active"])
    _email_after_commit("Your MediTrack account is approved",
                        "Your account was approved. You can now log in.", user.email)
    return user


@transaction.atomic
def user_reject(*, user, by, reason=""):
    user = _locked_user(user)
    if user.approval_status != ApprovalStatus.PENDING:
        raise Conflict(_("Only pending sign-ups can be rejected; this one is %(status)s.") % {
            "status": user.approval_status},
                       code=errors.NOT_PENDING)
    user.approval_status = ApprovalStatus.REJECTED
    user.is_active = False
    user.save(update_fields=["approval_status", "is_active"])
    body = "Your MediTrack sign-up was not approved."
    if reason:
        body += f"\nReason: {reason}"
    _email_after_commit("Your MediTrack sign-up", body, user.email)
    return user


@transaction.atomic
def user_deactivate(*, user, by):
    """DELETE /api/users/{id}/: accounts are never erased (history points at them)."""
    return user_update(user=user, by=by, is_active=False)


def _check_fixed_fields(user, changes):
    """The role is fixed at creation (profiles hang on it); a sign-up is decided only through
    user_approve/user_reject. Sending the current value is fine."""
    errors = {}
    if "role" in changes and changes["role"] != user.role:
        errors["role"] = [_("The role cannot be changed after creation; create a new account instead.")]
    if "approval_status" in changes and changes["approval_status"] != user.approval_status:
        errors["approval_status"] = [_("Decide a sign-up with the approve and reject routes.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def user_update(*, user, by, **changes):
    """An admin edits an account. Deactivating revokes its tokens (never one's own account);
    activating needs an approved sign-up (pending ones go through approve/reject)."""
    user = _locked_user(user)
    _check_fixed_fields(user, changes)
    deactivating = changes.get("is_active") is False and user.is_active
    if deactivating and user.pk == by.pk:
        raise Conflict(_("You cannot deactivate your own account."), code=errors.SELF_DEACTIVATION)
    if changes.get("is_active") and not user.is_active and user.approval_status != ApprovalStatus.APPROVED:
        message = _("This sign-up is %(status)s: approve it first.") % {"status": user.approval_status}
        raise ValidationError({"is_active": [message]})
    if "email" in changes and changes["email"].lower() != user.email.lower():
        user.email_verified = False
    for field, value in changes.items():
        setattr(user, field, value)
    _save_account(user)
    if deactivating:
        revoke_all_tokens(user)
    return user


def revoke_all_tokens(user):
    """Blacklist every refresh token the user holds (password change/reset, deactivation)."""
    live = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=token) for token in live], ignore_conflicts=True)


def _refusal(user):
    if user.approval_status == ApprovalStatus.PENDING:
        return errors.ACCOUNT_PENDING, _("Your account is awaiting approval by an administrator.")
    if user.approval_status == ApprovalStatus.REJECTED:
        return errors.ACCOUNT_REJECTED, _("Your sign-up was rejected; contact an administrator.")
    if not user.is_active:
        return errors.ACCOUNT_INACTIVE, _("Your account is inactive; contact an administrator.")
    return None


def login(*, identifier, password, address):
    """Username (or email) and password -> tokens. Failures count towards the throttle."""
    # Usernames cannot contain "@" (see the serializers), so an identifier is one or the other.
    match = Q(email__iexact=identifier) if "@" in identifier else Q(username=identifier)
    user = User.objects.with_profiles().filter(match).first()
    subject = login_guard.subject(identifier, user)
    login_guard.check_not_locked(subject, address)
    if user is None or not user.check_password(password):
        if user is None:
            check_password(password, _DUMMY_PASSWORD_HASH)  # spend the same time as a real check
        login_guard.record_failure(subject, address)
        raise AuthenticationFailed(_("Invalid username or password."), code=errors.INVALID_CREDENTIALS)
    refusal = _refusal(user)
    if refusal:
        code, message = refusal
        raise AuthenticationFailed(message, code=code)
    login_guard.clear_failures(subject)
    refresh = RefreshToken.for_user(user)
    update_last_login(None, user)
    return user, refresh


def logout(*, user, refresh):
    try:
        token = RefreshToken(refresh)
    except TokenError as exc:
        raise ValidationError({"refresh": [str(exc)]}) from exc
    if str(token.get("user_id")) != str(user.pk):
        raise ValidationError({"refresh": [_("This token does not belong to you.")]})
    token.blacklist()


def password_change(*, user, new_password):
    check_password_strength(new_password, user, field="new_password")
    user.set_password(new_password)  # hashed before the transaction (see user_register)
    with transaction.atomic():
        user.save(update_fields=["password"])
        revoke_all_tokens(user)


def check_password_strength(password, user, *, field):
    """Django's password validators, as a 400 naming the field."""
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationError({field: list(exc.messages)}) from exc


def otp_request(*, email, purpose):
    """Always succeeds from the caller's view: no account enumeration."""
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        return
    if purpose == OtpPurpose.EMAIL_VERIFY and user.email_verified:
        return
    code = otp.issue_code(purpose, email)
    minutes = settings.OTP_TTL_SECONDS // 60
    if purpose == OtpPurpose.PASSWORD_RESET:
        subject, what = "Your MediTrack password reset code", "reset your password"
    else:
        subject, what = "Your MediTrack email verification code", "verify your email address"
    _email_after_commit(subject, f"Use the code {code} to {what}. It is valid for {minutes} minutes.",
                        user.email)


INVALID_CODE = gettext_lazy("The code is invalid or has expired.")


def password_reset(*, email, code, new_password):
    user = User.objects.filter(email__iexact=email).first()
    # The code first, so an outsider learns nothing about the account from the password checks;
    # then the password, before the code is spent, so a weak one can be retried with it.
    if user is None or not otp.code_matches(OtpPurpose.PASSWORD_RESET, email, code):
        raise ValidationError({"code": [INVALID_CODE]})
    check_password_strength(new_password, user, field="new_password")
    if not otp.consume_code(OtpPurpose.PASSWORD_RESET, email, code):
        raise ValidationError({"code": [INVALID_CODE]})
    user.set_password(new_password)  # hashed before the transaction (see user_register)
    user.email_verified = True  # the code arrived at this address
    with transaction.atomic():
        user.save(update_fields=["password", "email_verified"])
        revoke_all_tokens(user)
    return user


def email_verify(*, email, code):
    user = User.objects.filter(email__iexact=email).first()
    if user is None or not otp.consume_code(OtpPurpose.EMAIL_VERIFY, email, code):
        raise ValidationError({"code": [INVALID_CODE]})
    user.email_verified = True
    user.save(update_fields=["email_verified"])
    return user
