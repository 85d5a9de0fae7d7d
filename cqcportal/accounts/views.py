"""Signing in and out, the locked-account page, and password reset (Django's own flow)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from cqcportal.accounts.forms import SignInForm
from cqcportal.accounts.services import UserCannotSignInBadCredentials, UserCannotSignInLocked, user_sign_in_attempt


def sign_in(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("core:dashboard")
    next_url = request.POST.get("next") or request.GET.get("next") or ""
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
            if url_has_allowed_host_and_scheme(
                next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                return redirect(next_url)
            return redirect("core:dashboard")
    return render(request, "accounts/sign_in.html", {"form": form, "next": next_url})


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


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
