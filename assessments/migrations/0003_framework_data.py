from django.db import migrations

from assessments.framework import framework_sync


def load(apps, schema_editor):
    framework_sync(
        EvidenceCategory=apps.get_model("assessments", "EvidenceCategory"),
        QualityStatement=apps.get_model("assessments", "QualityStatement"),
        ServiceType=apps.get_model("register", "ServiceType"),
    )


class Migration(migrations.Migration):
    dependencies = [("assessments", "0002_framework_and_assessments"), ("register", "0002_catalogue")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
