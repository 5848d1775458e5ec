# The learned order now ranks by the chance that a step is the fix (issue 10, decision 0007): two
# counters per step and machine model, recomputed here from the runs' recorded answers.

from collections import defaultdict

from django.db import migrations, models

# The weights of decision 0007, frozen here: (fixes, cases) an answer adds to the answered step.
ANSWER_COUNTS = {"worked": (1.0, 1.0), "partially_worked": (0.5, 1.0), "didnt_work": (0.0, 1.0), "unsafe": (0.0, 1.0)}


def recompute_fix_counts(apps, schema_editor):
    """Replay every run's answers into fixes/cases (tries/successes are unchanged and kept).

    Escalated runs are not credited to the steps they never reached: that credit depends on the
    estimates at the time the run ended, which the history does not hold. Leaving it out only delays
    the exploration of those steps by a run or two.
    """
    # The live step_key, not a copy: it is the identity the statistics are keyed by, and a run's own
    # steps already carry the key they were shown with.
    from troubleshooting.ordering import step_key

    TroubleshootingRun = apps.get_model("troubleshooting", "TroubleshootingRun")
    RunStep = apps.get_model("troubleshooting", "RunStep")
    ProcedureStep = apps.get_model("knowledge", "ProcedureStep")
    StepStat = apps.get_model("troubleshooting", "StepStat")

    answers = defaultdict(list)
    for run_id, key, outcome in RunStep.objects.order_by("run_id", "number").values_list("run_id", "step_key", "outcome"):
        answers[run_id].append((key, outcome))
    procedure_keys = {}
    totals = defaultdict(lambda: [0.0, 0.0])
    runs = TroubleshootingRun.objects.select_related("procedure").order_by("started_at", "id")
    for run in runs.iterator():
        model = run.machine_model or ""
        counted = set()
        for key, outcome in answers.get(run.id, []):
            if outcome in ANSWER_COUNTS:
                fixes, cases = ANSWER_COUNTS[outcome]
                totals[key, model][0] += fixes
                totals[key, model][1] += cases
                counted.add(key)
        if run.end_reason != "worked":
            continue
        if run.procedure_id and run.procedure_id not in procedure_keys:
            steps = ProcedureStep.objects.filter(procedure_id=run.procedure_id).values_list("instruction", flat=True)
            procedure_keys[run.procedure_id] = {step_key(run.procedure.title, text) for text in steps}
        # A run resolved at one step: every other step of the procedure was not the fix of that case.
        others = procedure_keys.get(run.procedure_id, set()) | {key for key, _ in answers.get(run.id, [])}
        for key in others - counted:
            totals[key, model][1] += 1.0

    existing = {(row.step_key, row.machine_model): row for row in StepStat.objects.all()}
    updated, created = [], []
    for (key, model), (fixes, cases) in totals.items():
        row = existing.get((key, model))
        if row is None:
            created.append(StepStat(step_key=key, machine_model=model, fixes=fixes, cases=cases))
        else:
            row.fixes, row.cases = fixes, cases
            updated.append(row)
    StepStat.objects.bulk_update(updated, ["fixes", "cases"], batch_size=500)
    StepStat.objects.bulk_create(created, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("troubleshooting", "0001_initial"),
        ("knowledge", "0005_drop_all_language_hnsw"),
    ]

    operations = [
        migrations.AddField(
            model_name="stepstat",
            name="cases",
            field=models.FloatField(default=0.0),
        ),
        migrations.AddField(
            model_name="stepstat",
            name="fixes",
            field=models.FloatField(default=0.0),
        ),
        # Reversing drops the two columns: nothing to undo in the data.
        migrations.RunPython(recompute_fix_counts, migrations.RunPython.noop),
    ]
