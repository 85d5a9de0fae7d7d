"""factory_boy factories shared by every app's tests."""

import datetime

import factory
from django.contrib.auth.models import Group

from cqcportal.accounts.models import ProviderMembership, ProviderRole, StaffRole, User
from cqcportal.register.models import Location, Provider, Region, ServiceType


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Faker("name", locale="en_GB")
    kind = User.Kind.PROVIDER
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StaffFactory(UserFactory):
    kind = User.Kind.STAFF
    email = factory.Sequence(lambda n: f"staff{n}@regulator.example")

    @factory.post_generation
    def roles(obj, create, extracted, **kwargs):
        roles = extracted if extracted is not None else [StaffRole.INSPECTOR]
        if create:
            obj.groups.set(Group.objects.filter(name__in=[str(r) for r in roles]))


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    cqc_id = factory.Sequence(lambda n: f"1-9{n:09d}")
    name = factory.Sequence(lambda n: f"Provider {n} Ltd")
    type = Provider.Type.ORGANISATION
    region = Region.NORTH_WEST
    registration_date = datetime.date(2015, 4, 1)


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location
        skip_postgeneration_save = True

    cqc_id = factory.Sequence(lambda n: f"1-8{n:09d}")
    provider = factory.SubFactory(ProviderFactory)
    name = factory.Sequence(lambda n: f"Location {n} House")
    address_line_1 = "1 High Street"
    town = "Oldham"
    postcode = "OL1 1AA"
    region = Region.NORTH_WEST
    local_authority = "Oldham"
    registration_date = datetime.date(2016, 5, 1)

    @factory.post_generation
    def service_types(obj, create, extracted, **kwargs):
        if create:
            names = extracted if extracted is not None else ["Residential homes"]
            obj.service_types.set(ServiceType.objects.filter(name__in=names))


class ProviderUserFactory(UserFactory):
    """A provider user; pass ``provider=`` and ``role=`` (defaults: a new provider, colleague)."""

    @factory.post_generation
    def membership(obj, create, extracted, **kwargs):
        if not create:
            return
        provider = kwargs.get("provider") or ProviderFactory()
        role = kwargs.get("role", ProviderRole.COLLEAGUE)
        membership = ProviderMembership.objects.create(user=obj, provider=provider, role=role)
        if kwargs.get("locations"):
            membership.locations.set(kwargs["locations"])
