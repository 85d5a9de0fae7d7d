from django.db import migrations

from cqcportal.register.catalogue import REGULATED_ACTIVITIES, SERVICE_TYPES


def load(apps, schema_editor):
    ServiceType = apps.get_model("register", "ServiceType")
    RegulatedActivity = apps.get_model("register", "RegulatedActivity")
    for name, description, sector, is_rated, levels in SERVICE_TYPES:
        ServiceType.objects.update_or_create(
            name=name,
            defaults={"description": description, "sector": sector, "is_rated": is_rated, "rating_levels": levels},
        )
    for code, name in REGULATED_ACTIVITIES:
        RegulatedActivity.objects.update_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("register", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
