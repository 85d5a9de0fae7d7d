"""Signing in and out, the locked-account page, and password reset (Django's own flow)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_POST

from cqcportal.accounts import two_factor
from cqcportal.accounts.forms import SecondFactorCodeForm, SignInForm
from cqcportal.accounts.lockout import account_locked_until, account_unlock
from cqcportal.accounts.services import UserCannotSignInBadCredentials, UserCannotSignInLocked, user_sign_in_attempt
from cqcportal.accounts.session import session_touch


def sign_in(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.user.is_authenticated:
        # Already signed in (a time-out warning that fired a moment early, say): carry on where they were.
        return redirect(_safe_next(request, next_url))
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_sign_in_attempt(
                request=request, email=form.cleaned_data["email"], password=form.cleaned_data["password"]
            )
        except UserCannotSignInLocked:
            return redirect("accounts:locked")
        except UserCannotSignInBadCredentials:
            form.add_error(None, "The e-mail address or password is not right. Check them and try again.")
        else:
            login(request, user)
            if two_factor.second_factor_required_at_sign_in(user):
                if not user.is_regulator_staff:
                    request.session[two_factor.REQUIRED_SESSION_KEY] = True
                target = reverse("accounts:two-factor")
                return redirect(f"{target}?{urlencode({'next': next_url})}" if next_url else target)
            return redirect(_safe_next(request, next_url))
    timed_out = request.GET.get("timeout") == "1"
    return render(
        request,
        "accounts/sign_in.html",
        {"form": form, "next": next_url, "timed_out": timed_out, "idle_minutes": settings.SESSION_IDLE_MINUTES},
    )


def _safe_next(request: HttpRequest, next_url: str) -> str:
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return reverse("core:dashboard")


def _locked_out_now(request: HttpRequest) -> HttpResponse | None:
    """After a wrong code: if that locked the account, end the half-finished sign-in and say so."""
    if account_locked_until(request.user.email) is not None:
        logout(request)
        return redirect("accounts:locked")
    return None


@login_required
def second_factor(request: HttpRequest) -> HttpResponse:
    """Type the code after the password; or, with no app set up yet, set one up (staff on first sign-in)."""
    user = request.user
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    device = two_factor.second_factor_device(user)
    setting_up = device is None
    if not setting_up and two_factor.session_is_verified(request):
        return redirect(_safe_next(request, next_url))
    form = SecondFactorCodeForm(request.POST or None, submit_label="Set up" if setting_up else "Continue")
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        if setting_up:
            ok = two_factor.second_factor_set_up(request=request, user=user, code=code)
        else:
            ok = two_factor.second_factor_verify(request=request, user=user, code=code)
        if ok:
            if setting_up:
                messages.success(
                    request, "Your authenticator app is set up. You will need a code from it each time you sign in."
                )
            return redirect(_safe_next(request, next_url))
        locked = _locked_out_now(request)
        if locked is not None:
            return locked
        form.add_error(
            "code",
            "The code is not right. Codes change every 30 seconds: type the one the app shows now. "
            "If you have just tried, wait a few seconds first.",
        )
    context = {"form": form, "next": next_url, "setting_up": setting_up}
    if setting_up:
        setup_device = two_factor.setup_device_for(user)
        context.update(qr_svg=two_factor.setup_qr_svg(setup_device), key_text=two_factor.setup_key_text(setup_device))
    return render(request, "accounts/two_factor.html", context)


@login_required
def second_factor_manage(request: HttpRequest) -> HttpResponse:
    """Sign-in security: whether a second factor is on; providers may turn it on or off."""
    user = request.user
    device = two_factor.second_factor_device(user)
    form = SecondFactorCodeForm(request.POST or None, submit_label="Turn off")
    if request.method == "POST" and device is not None and not user.is_regulator_staff and form.is_valid():
        if two_factor.second_factor_turn_off(request=request, user=user, code=form.cleaned_data["code"]):
            messages.success(request, "Your second factor is turned off. You will sign in with your password only.")
            return redirect("accounts:two-factor-manage")
        locked = _locked_out_now(request)
        if locked is not None:
            return locked
        form.add_error("code", "The code is not right. Type the one the app shows now.")
    return render(
        request,
        "accounts/two_factor_manage.html",
        {"device": device, "form": form, "is_staff_user": user.is_regulator_staff},
    )


@require_POST
def session_keep_alive(request: HttpRequest) -> JsonResponse:
    """'Stay signed in' on the time-out warning: counts as activity and says how long the session has now."""
    if not request.user.is_authenticated:
        return JsonResponse({"signed_in": False}, status=401)
    session_touch(request, force=True)
    return JsonResponse({"signed_in": True, "seconds_left": settings.SESSION_IDLE_MINUTES * 60})


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.success(request, "You have signed out.")
    return redirect("core:home")


def locked(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/locked.html",
        {"attempts": settings.ACCOUNT_LOCKOUT_ATTEMPTS, "minutes": settings.ACCOUNT_LOCKOUT_MINUTES},
        status=403,
    )


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/emails/password_reset.txt"
    subject_template_name = "accounts/emails/password_reset_subject.txt"
    extra_email_context = {"service_name": settings.PORTAL_SERVICE_NAME.lower()}
    success_url = reverse_lazy("accounts:password-reset-done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password-reset-complete")

    def form_valid(self, form):
        # The way back from a lock-out: a new password (proof of the mailbox) lifts the lock at once.
        response = super().form_valid(form)
        account_unlock(by=self.user, user=self.user, reason="Password reset by the account holder")
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
