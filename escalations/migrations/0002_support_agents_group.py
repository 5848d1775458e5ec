"""The "Support agents" group: works the ticket queue in the admin (docs/escalation.md).

View and change tickets, notes, e-mail deliveries and expert contacts; add notes; view a ticket's
events; publish a resolved ticket to the knowledge base. Not: delete anything, add tickets (only an
escalation opens one) or add expert contacts (staff with full rights maintain the list).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# escalations.admin.SUPPORT_AGENTS_GROUP, copied: migrations must not depend on app code.
GROUP_NAME = "Support agents"
PERMISSIONS = [
    "view_ticket",
    "change_ticket",
    "publish_ticket",
    "view_ticketnote",
    "change_ticketnote",
    "add_ticketnote",
    "view_ticketevent",
    "view_emaildelivery",
    "change_emaildelivery",
    "view_expertcontact",
    "change_expertcontact",
]


def create_group(apps, schema_editor):
    db_alias = schema_editor.connection.alias
    # Permissions are normally created by post_migrate, i.e. after this migration on a fresh
    # database; create them now (see knowledge/migrations/0003_knowledge_editors_group.py).
    app_config = apps.get_app_config("escalations")
    app_config.models_module = True
    try:
        create_permissions(app_config, apps=apps, verbosity=0, using=db_alias)
    finally:
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.using(db_alias).get_or_create(name=GROUP_NAME)
    permissions = Permission.objects.using(db_alias).filter(
        content_type__app_label="escalations", codename__in=PERMISSIONS
    )
    group.permissions.add(*permissions)


def delete_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("escalations", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
