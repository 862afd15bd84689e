package org.versatune.pipeline.experiment;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.schema.TableSchema;
import org.versatune.pipeline.testing.SparkExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The pool, validation and test sets share no id and no normalised content, and do not move between seeds. */
@ExtendWith(SparkExtension.class)
class ExperimentSplitsTest {

    static Row sft(String id, String domain, String instruction, String output) {
        return RowFactory.create(id, domain, "sft", instruction, null, output, null, null, "hand-made", null);
    }

    static Dataset<Row> records(SparkSession spark) {
        List<Row> rows = new ArrayList<>();
        for (String d : Settings.defaults().domains().names()) {
            for (int i = 0; i < 40; i++) {
                rows.add(sft(d + "-" + i, d, "question " + i + " about " + d, "answer " + i));
            }
        }
        // the same example under other ids: case and spacing differ, content does not
        rows.add(sft("law-copy", "law", "QUESTION 3   about law", " answer 3 "));
        rows.add(sft("medicine-copy-of-law", "medicine", "question 5 about law", "answer 5"));
        return spark.createDataFrame(rows, TableSchema.of("record").struct());
    }

    @Test
    void setsAreDisjointByIdAndContentAndFixedAcrossRunSeeds(SparkSession spark, @TempDir Path dir) throws Exception {
        Settings s = Settings.load(List.of(), List.of("experiment.splits.test-records=6", "experiment.splits.validation-records=4"));
        String out = dir.resolve("exp").toString();
        Dataset<Row> extra = spark.createDataFrame(List.of(sft("outside-1", "code", "question 7 about code", "answer 7")),
                TableSchema.of("record").struct());
        Map<String, Object> manifest = ExperimentSplits.make(spark, s, records(spark), extra, out);
        ExperimentSplits.Sets sets = ExperimentSplits.Sets.in(out);
        List<String> pool = ids(spark, sets.pool());
        List<String> validation = ids(spark, sets.validation());
        List<String> test = ids(spark, sets.test());
        assertThat(intersection(pool, validation)).isEmpty();
        assertThat(intersection(pool, test)).isEmpty();
        assertThat(intersection(validation, test)).isEmpty();
        List<String> poolContent = content(spark, sets.pool());
        List<String> valContent = content(spark, sets.validation());
        List<String> testContent = content(spark, sets.test());
        assertThat(intersection(poolContent, valContent)).isEmpty();
        assertThat(intersection(poolContent, testContent)).isEmpty();
        assertThat(intersection(valContent, testContent)).isEmpty();
        // copies travel with their original: law-3 and law-copy share a set; the extra test record's
        // content left the pool (code-7 is in no set but the test)
        assertThat(whereIs("law-3", pool, validation, test)).isEqualTo(whereIs("law-copy", pool, validation, test));
        assertThat(test).contains("outside-1");
        assertThat(pool).doesNotContain("code-7");
        assertThat(validation).doesNotContain("code-7");
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Number>> per = (Map<String, Map<String, Number>>) manifest.get("domains");
        assertThat(per.get("finance").get("test").intValue()).isEqualTo(6);
        assertThat(per.get("finance").get("validation").intValue()).isEqualTo(4);
        assertThat(per.get("finance").get("pool").intValue()).isEqualTo(30);
        assertThat(Files.readAllLines(dir.resolve("exp/splits/test-ids.tsv"))).hasSize(1 + test.size());
        assertThat(Files.readAllLines(dir.resolve("exp/splits/validation-ids.tsv"))).hasSize(1 + validation.size());

        // the split depends on the experiment's seed, not on the run seeds that train on it
        String again = dir.resolve("again").toString();
        ExperimentSplits.make(spark, s, records(spark), extra, again);
        assertThat(ids(spark, ExperimentSplits.Sets.in(again).test())).isEqualTo(test);

        // a domain too small for three sets is refused, naming it
        Dataset<Row> tiny = records(spark).filter(col("domain").notEqual("law").or(col("id").equalTo("law-1")));
        assertThatThrownBy(() -> ExperimentSplits.make(spark, s, tiny, null, dir.resolve("tiny").toString()))
                .hasMessageContaining("domain 'law'");
    }

    static List<String> content(SparkSession spark, String set) {
        List<String> out = new ArrayList<>();
        spark.read().parquet(set).select(ExperimentSplits.contentHash()).collectAsList().forEach(r -> out.add(r.getString(0)));
        return out;
    }

    static Set<String> intersection(List<String> a, List<String> b) {
        Set<String> s = new HashSet<>(a);
        s.retainAll(new HashSet<>(b));
        return s;
    }

    static String whereIs(String id, List<String> pool, List<String> validation, List<String> test) {
        return pool.contains(id) ? "pool" : validation.contains(id) ? "validation" : test.contains(id) ? "test" : "none";
    }

    static List<String> ids(SparkSession spark, String set) {
        List<String> out = new ArrayList<>();
        spark.read().parquet(set).select("id").orderBy("id").collectAsList().forEach(r -> out.add(r.getString(0)));
        return out;
    }
}
