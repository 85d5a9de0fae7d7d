"""Assessment cases. The first: the provider information request (PIR), the first case to run on the clock."""

from django.conf import settings
from django.db import models
from django_fsm import FSMField, transition


class InformationRequestState(models.TextChoices):
    REQUESTED = "requested", "Waiting for the provider"
    SUBMITTED = "submitted", "Submitted"
    REVIEWED = "reviewed", "Reviewed"
    CLOSED_NO_RESPONSE = "closed_no_response", "Closed: no response"
    WITHDRAWN = "withdrawn", "Withdrawn"


class InformationRequest(models.Model):
    """A request to a provider for information about a location, answered within 15 working days."""

    location = models.ForeignKey("register.Location", on_delete=models.PROTECT, related_name="information_requests")
    provider = models.ForeignKey("register.Provider", on_delete=models.PROTECT, related_name="information_requests")
    questions = models.TextField(help_text="What the regulator asks for.")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    state = FSMField(default=InformationRequestState.REQUESTED, choices=InformationRequestState.choices, protected=True)
    response = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["provider", "state"]), models.Index(fields=["location", "state"])]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(submitted_at__isnull=True) & models.Q(submitted_by__isnull=True))
                | (models.Q(submitted_at__isnull=False) & models.Q(submitted_by__isnull=False)),
                name="inforequest_submitted_pair",
            ),
            models.CheckConstraint(
                condition=(models.Q(reviewed_at__isnull=True) & models.Q(reviewed_by__isnull=True))
                | (models.Q(reviewed_at__isnull=False) & models.Q(reviewed_by__isnull=False)),
                name="inforequest_reviewed_pair",
            ),
            models.CheckConstraint(
                condition=~models.Q(state__in=["submitted", "reviewed"]) | models.Q(submitted_at__isnull=False),
                name="inforequest_submitted_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Information request for {self.location.name} ({self.requested_at:%-d %b %Y})"

    @transition(field=state, source=InformationRequestState.REQUESTED, target=InformationRequestState.SUBMITTED)
    def submit(self, *, by, on_behalf_of, at, response):
        self.response = response
        self.submitted_by = by
        self.submitted_on_behalf_of = on_behalf_of
        self.submitted_at = at

    @transition(field=state, source=InformationRequestState.SUBMITTED, target=InformationRequestState.REVIEWED)
    def review(self, *, by, at):
        self.reviewed_by = by
        self.reviewed_at = at

    @transition(
        field=state, source=InformationRequestState.REQUESTED, target=InformationRequestState.CLOSED_NO_RESPONSE
    )
    def close_no_response(self):
        pass

    @transition(field=state, source=InformationRequestState.REQUESTED, target=InformationRequestState.WITHDRAWN)
    def withdraw(self):
        pass
