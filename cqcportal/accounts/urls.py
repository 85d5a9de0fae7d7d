from django.urls import path

from cqcportal.accounts import views

app_name = "accounts"

urlpatterns = [
    path("sign-in/", views.sign_in, name="sign-in"),
    path("sign-out/", views.sign_out, name="sign-out"),
    path("locked/", views.locked, name="locked"),
    path("two-factor/", views.second_factor, name="two-factor"),
    path("two-factor/manage/", views.second_factor_manage, name="two-factor-manage"),
    path("session/keep-alive/", views.session_keep_alive, name="session-keep-alive"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password-reset"),
    path("password-reset/sent/", views.PasswordResetDoneView.as_view(), name="password-reset-done"),
    path("reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password-reset-confirm"),
    path("reset/done/", views.PasswordResetCompleteView.as_view(), name="password-reset-complete"),
]
