"""factory_boy factories for the alerts models (the shared ones live in cqcportal/tests/factories.py)."""

import datetime

import factory
from django.utils import timezone

from cqcportal.alerts.models import PublicEvent, Subscription
from cqcportal.tests.factories import LocationFactory


class PublicEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PublicEvent

    location = factory.SubFactory(LocationFactory)
    kind = PublicEvent.Kind.LOCATION_INSPECTED
    occurred_at = datetime.datetime(2025, 3, 26, 10, 0, tzinfo=datetime.UTC)
    title = factory.LazyAttribute(lambda o: f"{o.location.name} was inspected")
    url = factory.LazyAttribute(lambda o: f"/location/{o.location.cqc_id}/")
    dedupe_key = factory.Sequence(lambda n: f"test.event:{n}")


class SubscriptionFactory(factory.django.DjangoModelFactory):
    """A confirmed, live subscription to a new location unless told otherwise."""

    class Meta:
        model = Subscription

    email = factory.Sequence(lambda n: f"follower{n}@example.org")
    location = factory.SubFactory(LocationFactory)
    confirmed_at = factory.LazyFunction(timezone.now)
