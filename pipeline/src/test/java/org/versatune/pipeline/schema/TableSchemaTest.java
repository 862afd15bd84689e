package org.versatune.pipeline.schema;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.versatune.pipeline.testing.SparkExtension;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(SparkExtension.class)
class TableSchemaTest {
    @Test
    void loadsDeclaredSchemas() {
        TableSchema record = TableSchema.of("record");
        assertThat(record.columns()).containsExactly("id", "domain", "kind", "instruction", "input", "output", "text",
                "source", "origin_file", "origin_line");
        assertThat(record.struct().apply("id").nullable()).isFalse();
        assertThat(record.struct().apply("domain").nullable()).isTrue();
        assertThat(record.struct().apply("origin_line").dataType()).isEqualTo(DataTypes.LongType);
        assertThat(TableSchema.of("classified").struct().apply("probabilities").dataType().typeName()).isEqualTo("map");
    }

    @Test
    void unknownSchemaIsAClearError() {
        assertThatThrownBy(() -> TableSchema.of("nope")).hasMessageContaining("data-schemas/nope.avsc");
    }

    @Test
    void readRejectsFilesThatDoNotMatchAndNamesColumns(SparkSession spark, @TempDir Path dir) {
        String path = dir.resolve("bad").toString();
        spark.sql("select 1 as id, 'x' as kind").write().parquet(path);
        assertThatThrownBy(() -> TableSchema.of("record").read(spark, path))
                .isInstanceOf(TableSchema.SchemaMismatchException.class)
                .hasMessageContaining("column 'id' is int, expected string")
                .hasMessageContaining("missing column 'origin_file'")
                .hasMessageContaining("Expected columns: [id:string")
                .hasMessageContaining("Found: [id:int, kind:string]");
    }

    @Test
    void conformOrdersCastsAndFillsNullableColumns(SparkSession spark) {
        Dataset<Row> df = spark.sql("select 'f.jsonl' as origin_file, 'sft' as kind, 'a' as id, 3 as origin_line, 'extra' as junk");
        Dataset<Row> c = TableSchema.of("record").conform(df);
        assertThat(c.columns()).containsExactly(TableSchema.of("record").columns().toArray(new String[0]));
        Row r = c.first();
        assertThat(r.getLong(r.fieldIndex("origin_line"))).isEqualTo(3L);
        assertThat(r.isNullAt(r.fieldIndex("text"))).isTrue();
    }
}
