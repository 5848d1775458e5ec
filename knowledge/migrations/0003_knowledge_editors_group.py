"""The "Knowledge editors" group, holding every permission of the knowledge app.

The admin lets superusers and staff in this group change knowledge (knowledge.permissions). The
model permissions are given too so that the group also means something to code that asks Django's
permission system directly (user.has_perm).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# knowledge.permissions.KNOWLEDGE_EDITORS_GROUP, copied: migrations must not depend on app code.
GROUP_NAME = "Knowledge editors"


def create_group(apps, schema_editor):
    db_alias = schema_editor.connection.alias
    # Permissions are normally created by a post_migrate signal, i.e. after this migration on a
    # fresh database; create them now. create_permissions skips apps whose models module is unset,
    # which is always the case for the historical app registry.
    app_config = apps.get_app_config("knowledge")
    app_config.models_module = True
    try:
        create_permissions(app_config, apps=apps, verbosity=0, using=db_alias)
    finally:
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.using(db_alias).get_or_create(name=GROUP_NAME)
    permissions = Permission.objects.using(db_alias).filter(content_type__app_label="knowledge")
    group.permissions.add(*permissions)


def delete_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0002_documents_chunks_procedures"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
