"""A run refers to its conversation by id, not by a foreign key to assistant.ChatSession.

Troubleshooting sits below the chat app (decision 0009): its models must not point up. The column
(`session_id`, uuid) and its index stay as they are; only the foreign-key constraint is dropped, and
the chat app deletes a conversation's runs itself (assistant/receivers.py). The partial unique
constraint "one active run per conversation" is kept (recreated on the same column).
"""

from django.db import migrations, models

_TABLE = "troubleshooting_troubleshootingrun"

_DROP_FOREIGN_KEY = f"""
DO $$
DECLARE name text;
BEGIN
    FOR name IN SELECT conname FROM pg_constraint
                WHERE conrelid = '{_TABLE}'::regclass AND contype = 'f'
                  AND confrelid = 'assistant_chatsession'::regclass
    LOOP
        EXECUTE format('ALTER TABLE {_TABLE} DROP CONSTRAINT %I', name);
    END LOOP;
END $$;
"""
_ADD_FOREIGN_KEY = f"""
ALTER TABLE {_TABLE} ADD CONSTRAINT {_TABLE}_session_id_fk_assistant_chatsession
    FOREIGN KEY (session_id) REFERENCES assistant_chatsession (id) DEFERRABLE INITIALLY DEFERRED;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("troubleshooting", "0002_step_fix_counts"),
        ("assistant", "0002_chatsession_message_and_more"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(_DROP_FOREIGN_KEY, reverse_sql=_ADD_FOREIGN_KEY)],
            state_operations=[
                migrations.RemoveConstraint(model_name="troubleshootingrun", name="troubleshooting_one_active_run"),
                migrations.RemoveField(model_name="troubleshootingrun", name="session"),
                migrations.AddField(
                    model_name="troubleshootingrun",
                    name="session_id",
                    field=models.UUIDField(db_index=True),
                    preserve_default=False,
                ),
                migrations.AddConstraint(
                    model_name="troubleshootingrun",
                    constraint=models.UniqueConstraint(
                        condition=models.Q(("status", "active")),
                        fields=("session_id",),
                        name="troubleshooting_one_active_run",
                    ),
                ),
            ],
        ),
    ]
