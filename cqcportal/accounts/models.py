"""People who use the portal: staff of the regulator and users at providers."""

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from simple_history.models import HistoricalRecords


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        # E-mail addresses are matched without regard to case, so "Ann@X" signs in as "ann@x".
        return self.get(email__iexact=username)

    def create_user(self, email, password=None, **extra_fields):
        if not email:
            raise ValueError("A user needs an e-mail address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.update(is_staff=True, is_superuser=True, kind=User.Kind.STAFF)
        return self.create_user(email, password, **extra_fields)


class Team(models.Model):
    """A team of the regulator's staff (e.g. "Adult social care, North West 2"), led by an operations manager."""

    name = models.CharField(max_length=200, unique=True)
    region = models.CharField(max_length=40, blank=True)
    operations_manager = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="teams_managed",
        help_text="Missed targets of the team's staff are escalated to this person.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an e-mail address: regulator staff or a provider's user."""

    class Kind(models.TextChoices):
        STAFF = "staff", "Regulator staff"
        PROVIDER = "provider", "Provider user"

    email = models.EmailField("e-mail address", max_length=254, unique=True)
    full_name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PROVIDER)
    job_title = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        "admin site access", default=False, help_text="Lets the person sign in to the admin site."
    )
    date_joined = models.DateTimeField(default=timezone.now)
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="members")

    objects = UserManager()
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            # Django admin is for the regulator's own staff only.
            models.CheckConstraint(
                condition=models.Q(is_staff=False) | models.Q(kind="staff"),
                name="accounts_user_admin_access_staff_only",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>"

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def is_regulator_staff(self) -> bool:
        return self.kind == self.Kind.STAFF

    @property
    def is_provider_user(self) -> bool:
        return self.kind == self.Kind.PROVIDER


class StaffRole(models.TextChoices):
    """The regulator's staff roles; each is a Django group of the same name with its permissions."""

    INSPECTOR = "Inspector"
    ASSESSOR = "Assessor"
    REGULATORY_COORDINATOR = "Regulatory co-ordinator"
    OPERATIONS_MANAGER = "Operations manager"
    DEPUTY_DIRECTOR = "Deputy director"
    CHIEF_INSPECTOR = "Chief inspector"
    ADMIN_STAFF = "Admin staff"


class ProviderRole(models.TextChoices):
    REGISTERED_MANAGER = "registered_manager", "Registered manager"
    NOMINATED_INDIVIDUAL = "nominated_individual", "Nominated individual"
    CHIEF_EXECUTIVE = "chief_executive", "Chief executive"
    COLLEAGUE = "colleague", "Colleague"


REGISTERED_PERSON_ROLES = (
    ProviderRole.REGISTERED_MANAGER,
    ProviderRole.NOMINATED_INDIVIDUAL,
    ProviderRole.CHIEF_EXECUTIVE,
)


class ProviderMembership(models.Model):
    """A provider user belongs to exactly one provider, in one role."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="membership")
    provider = models.ForeignKey("register.Provider", on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=30, choices=ProviderRole.choices)
    # A registered manager manages one or more of the provider's locations.
    locations = models.ManyToManyField("register.Location", blank=True, related_name="managers")
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["provider", "user__full_name"]
        indexes = [models.Index(fields=["provider", "role"])]

    def __str__(self) -> str:
        return f"{self.user.full_name}, {self.get_role_display()} at {self.provider}"

    @property
    def is_registered_person(self) -> bool:
        return self.role in REGISTERED_PERSON_ROLES


class Delegation(models.Model):
    """A registered person names a colleague to act for them between two dates (e.g. while on leave)."""

    delegator = models.ForeignKey(User, on_delete=models.PROTECT, related_name="delegations_given")
    delegate = models.ForeignKey(User, on_delete=models.PROTECT, related_name="delegations_received")
    provider = models.ForeignKey("register.Provider", on_delete=models.PROTECT, related_name="delegations")
    start_date = models.DateField()
    end_date = models.DateField()
    reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    history = HistoricalRecords()

    class Meta:
        ordering = ["-start_date"]
        indexes = [models.Index(fields=["delegate", "start_date", "end_date"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="accounts_delegation_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~models.Q(delegator=models.F("delegate")),
                name="accounts_delegation_not_to_self",
            ),
            models.CheckConstraint(
                condition=(models.Q(revoked_at__isnull=True) & models.Q(revoked_by__isnull=True))
                | (models.Q(revoked_at__isnull=False) & models.Q(revoked_by__isnull=False)),
                name="accounts_delegation_revoked_pair",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.delegate.full_name} acting for {self.delegator.full_name}"

    def is_active_on(self, day) -> bool:
        return self.revoked_at is None and self.start_date <= day <= self.end_date
