"""Retrieval: extra vectors per chunk (one per table row) and one HNSW graph per chunk language.

* ChunkVector holds the table-row embeddings written by knowledge.indexing (max-sim retrieval).
* Search scans every chunk language separately (knowledge.search: a question's own language would
  otherwise crowd out the others), so knowledge_chunk gets a partial HNSW index per language; with
  it each per-language scan costs what an unfiltered one does. ChunkVector's are in its model.
"""

import django.db.models.deletion
import pgvector.django.indexes
import pgvector.django.vector
from django.db import migrations, models

# core.text.languages.LANGUAGE_CHOICES, copied: migrations must not depend on app code.
LANGUAGES = ("en", "el", "ar", "es", "tr", "nb")


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0003_knowledge_editors_group"),
    ]

    operations = [
        # Building HNSW graphs over an existing index takes longer than the connection's statement
        # timeout (settings.DB_STATEMENT_TIMEOUT_MS); lift it for this migration's transaction.
        migrations.RunSQL(sql="SET LOCAL statement_timeout = 0", reverse_sql="SET LOCAL statement_timeout = 0"),
        migrations.RunSQL(
            sql=[
                f"CREATE INDEX knowledge_chunk_embedding_hnsw_{code} ON knowledge_chunk "
                f"USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64) "
                f"WHERE language = '{code}'"
                for code in LANGUAGES
            ],
            reverse_sql=[f"DROP INDEX IF EXISTS knowledge_chunk_embedding_hnsw_{code}" for code in LANGUAGES],
        ),
        migrations.CreateModel(
            name="ChunkVector",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(choices=[("table_row", "Table row")], default="table_row", max_length=16)),
                ("ordinal", models.PositiveSmallIntegerField()),
                (
                    "language",
                    models.CharField(
                        choices=[
                            ("en", "English"),
                            ("el", "Greek"),
                            ("ar", "Arabic"),
                            ("es", "Spanish"),
                            ("tr", "Turkish"),
                            ("nb", "Norwegian Bokmål"),
                        ],
                        max_length=5,
                    ),
                ),
                ("text", models.TextField()),
                ("embedding", pgvector.django.vector.VectorField(dimensions=384)),
                ("embedding_model", models.CharField(blank=True, max_length=100)),
                (
                    "chunk",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="extra_vectors", to="knowledge.chunk"
                    ),
                ),
            ],
            options={
                "ordering": ["chunk_id", "kind", "ordinal"],
                "indexes": [
                    pgvector.django.indexes.HnswIndex(
                        condition=models.Q(("language", "en")),
                        ef_construction=64,
                        fields=["embedding"],
                        m=16,
                        name="knowledge_chunkvector_hnsw_en",
                        opclasses=["vector_cosine_ops"],
                    ),
                    pgvector.django.indexes.HnswIndex(
                        condition=models.Q(("language", "el")),
                        ef_construction=64,
                        fields=["embedding"],
                        m=16,
                        name="knowledge_chunkvector_hnsw_el",
                        opclasses=["vector_cosine_ops"],
                    ),
                    pgvector.django.indexes.HnswIndex(
                        condition=models.Q(("language", "ar")),
                        ef_construction=64,
                        fields=["embedding"],
                        m=16,
                        name="knowledge_chunkvector_hnsw_ar",
                        opclasses=["vector_cosine_ops"],
                    ),
                    pgvector.django.indexes.HnswIndex(
                        condition=models.Q(("language", "es")),
                        ef_construction=64,
                        fields=["embedding"],
                        m=16,
                        name="knowledge_chunkvector_hnsw_es",
                        opclasses=["vector_cosine_ops"],
                    ),
                    pgvector.django.indexes.HnswIndex(
                        condition=models.Q(("language", "tr")),
                        ef_construction=64,
                        fields=["embedding"],
                        m=16,
                        name="knowledge_chunkvector_hnsw_tr",
                        opclasses=["vector_cosine_ops"],
                    ),
                    pgvector.django.indexes.HnswIndex(
                        condition=models.Q(("language", "nb")),
                        ef_construction=64,
                        fields=["embedding"],
                        m=16,
                        name="knowledge_chunkvector_hnsw_nb",
                        opclasses=["vector_cosine_ops"],
                    ),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("chunk", "kind", "ordinal"), name="knowledge_chunkvector_unique_ordinal"
                    )
                ],
            },
        ),
    ]
