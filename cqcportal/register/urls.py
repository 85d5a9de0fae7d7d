from django.urls import path

from cqcportal.register import private_views, views

app_name = "register"

urlpatterns = [
    path("register/", views.search, name="search"),
    path("location/<str:cqc_id>/", views.location_detail, name="location"),
    path("provider/<str:cqc_id>/", views.provider_detail, name="provider"),
    path("organisations/<int:pk>/", private_views.organisation, name="organisation"),
    path(
        "organisations/<int:pk>/locations/<int:location_pk>/",
        private_views.organisation_location,
        name="organisation-location",
    ),
    path("organisations/<int:pk>/team/", private_views.team, name="team"),
    path("organisations/<int:pk>/team/<int:user_pk>/", private_views.team_member, name="team-member"),
    path("organisations/<int:pk>/delegations/new/", private_views.delegation_new, name="delegation-new"),
    path(
        "organisations/<int:pk>/delegations/<int:delegation_pk>/withdraw/",
        private_views.delegation_withdraw,
        name="delegation-withdraw",
    ),
]
