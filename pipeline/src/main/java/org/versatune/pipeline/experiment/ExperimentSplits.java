package org.versatune.pipeline.experiment;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.storage.StorageLevel;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.domain.Domains;
import org.versatune.pipeline.io.Json;
import org.versatune.pipeline.io.OutputFiles;
import org.versatune.pipeline.schema.TableSchema;
import org.versatune.pipeline.util.Seeds;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.lower;
import static org.apache.spark.sql.functions.regexp_replace;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.sha2;
import static org.apache.spark.sql.functions.trim;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

/**
 * The experiment's three disjoint sets of SFT records (docs/method.md section 5): per domain a test set (final
 * scores only), a validation set (drives re-weighting, the reference epoch and every other choice) and the pool
 * that training draws from. Records are assigned by a seeded hash of their normalised content (lower case, runs of
 * white space as one space), so records sharing a content always land together; the pool and validation then lose
 * every record whose id or content is in a later set. The sets depend on the experiment's seed only, not the runs'.
 */
public final class ExperimentSplits {
    public static final String DIR = "splits";
    public static final String POOL = "pool";
    public static final String VALIDATION = "validation";
    public static final String TEST = "test";
    public static final String MANIFEST = "manifest.json";

    private ExperimentSplits() {
    }

    /** Where the three sets lie. */
    public record Sets(String pool, String validation, String test) {
        public static Sets in(String experiment) {
            Path d = new Path(experiment, DIR);
            return new Sets(new Path(d, POOL).toString(), new Path(d, VALIDATION).toString(), new Path(d, TEST).toString());
        }
    }

    /** Normalised content of an SFT record: what two copies of the same example share whatever their ids. */
    static Column contentHash() {
        return sha2(concat_ws("\u001f", normalised("instruction"), normalised("input"), normalised("output")), 256);
    }

    private static Column normalised(String field) {
        return trim(regexp_replace(lower(coalesce(col(field), lit(""))), "\\s+", " "));
    }

    /**
     * Splits {@code records} (canonical SFT records with a domain) into the folder's sets; {@code heldOut} (may be
     * null) are further test records from elsewhere, which join the test set and are removed from the others by id
     * and content. Returns the manifest (counts per domain, the rule, the seed); the ids of the validation and test
     * sets are written beside it.
     */
    public static Map<String, Object> make(SparkSession spark, Settings settings, Dataset<Row> records, Dataset<Row> heldOut,
                                           String experiment) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        var c = settings.section("experiment").getConfig("splits");
        int testN = c.getInt("test-records");
        int valN = c.getInt("validation-records");
        double maxShare = c.getDouble("max-share");
        if (testN < 1 || valN < 1 || !(maxShare > 0 && maxShare < 0.5)) {
            throw new IllegalArgumentException("versatune.experiment.splits: test-records and validation-records must be at least 1 "
                    + "and max-share in (0, 0.5), got " + testN + ", " + valN + ", " + maxShare);
        }
        long seed = Seeds.derive(settings.seed(), "splits");
        Domains domains = settings.domains();
        List<String> cols = TableSchema.of("record").columns();
        Dataset<Row> all = records.select(cols.stream().map(Column::new).toArray(Column[]::new))
                .withColumn("_content", contentHash()).persist(StorageLevel.MEMORY_AND_DISK());
        // one rank per distinct content of a domain; the first ones are the test, the next the validation
        Dataset<Row> contents = all.select("domain", "_content").distinct()
                .withColumn("_n", count(lit(1)).over(Window.partitionBy("domain")))
                .withColumn("_r", row_number().over(Window.partitionBy("domain").orderBy(xxhash64(col("_content"), lit(seed)), col("_content"))));
        Column cap = col("_n").multiply(maxShare).cast("long");
        Column testCount = least(lit(testN), cap);
        Column valCount = least(lit(valN), cap);
        Dataset<Row> assigned = contents.withColumn("_set", when(col("_r").leq(testCount), lit(TEST))
                .when(col("_r").leq(testCount.plus(valCount)), lit(VALIDATION)).otherwise(lit(POOL))).select("domain", "_content", "_set");
        Dataset<Row> labelled = all.join(assigned, new String[]{"domain", "_content"}).persist(StorageLevel.MEMORY_AND_DISK());

        Dataset<Row> test = labelled.filter(col("_set").equalTo(TEST)).drop("_set");
        if (heldOut != null) {
            test = test.unionByName(heldOut.select(cols.stream().map(Column::new).toArray(Column[]::new)).withColumn("_content", contentHash()));
        }
        test = test.persist(StorageLevel.MEMORY_AND_DISK());
        Dataset<Row> validation = without(labelled.filter(col("_set").equalTo(VALIDATION)).drop("_set"), test)
                .persist(StorageLevel.MEMORY_AND_DISK());
        Dataset<Row> pool = without(without(labelled.filter(col("_set").equalTo(POOL)).drop("_set"), test), validation);

        Sets sets = Sets.in(experiment);
        Map<String, Object> perDomain = new LinkedHashMap<>();
        Map<String, Map<String, Long>> counts = new LinkedHashMap<>();
        for (String d : domains.names()) {
            counts.put(d, new LinkedHashMap<>());
        }
        String[][] named = {{POOL, sets.pool()}, {VALIDATION, sets.validation()}, {TEST, sets.test()}};
        Dataset<Row>[] frames = new Dataset[]{pool, validation, test};
        for (int i = 0; i < named.length; i++) {
            frames[i].drop("_content").repartition(1).sortWithinPartitions("domain", "id").write().mode(SaveMode.ErrorIfExists).parquet(named[i][1]);
            for (Row r : spark.read().parquet(named[i][1]).groupBy("domain").count().collectAsList()) {
                if (counts.containsKey(r.getString(0))) {
                    counts.get(r.getString(0)).put(named[i][0], r.getLong(1));
                }
            }
        }
        for (String d : domains.names()) {
            Map<String, Long> m = counts.get(d);
            for (String set : List.of(POOL, VALIDATION, TEST)) {
                m.putIfAbsent(set, 0L);
            }
            if (m.get(POOL) == 0 || m.get(VALIDATION) == 0 || m.get(TEST) == 0) {
                throw new IllegalArgumentException("experiment splits: domain '" + d + "' has " + m.get(POOL) + " pool, "
                        + m.get(VALIDATION) + " validation and " + m.get(TEST) + " test records; every domain needs all three "
                        + "(more SFT records for it, or smaller versatune.experiment.splits)");
            }
            perDomain.put(d, m);
        }
        for (String[] n : new String[][]{{VALIDATION, sets.validation()}, {TEST, sets.test()}}) {
            StringBuilder ids = new StringBuilder("id\tdomain\tcontent_sha256\n");
            Dataset<Row> frame = n[0].equals(TEST) ? test : validation;
            for (Row r : frame.select("id", "domain", "_content").orderBy("domain", "id").collectAsList()) {
                ids.append(r.getString(0)).append('\t').append(r.getString(1)).append('\t').append(r.getString(2)).append('\n');
            }
            Json.writeText(conf, new Path(new Path(experiment, DIR), n[0] + "-ids.tsv").toString(), ids.toString());
        }
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("seed", seed);
        manifest.put("rule", "per domain, distinct normalised contents ordered by xxhash64(content, seed): the first "
                + "min(test-records, max-share * n) are the test set, the next min(validation-records, max-share * n) the "
                + "validation set, the rest the pool; records sharing an id or a content with a later set are removed");
        manifest.put("test_records", testN);
        manifest.put("validation_records", valN);
        manifest.put("max_share", maxShare);
        manifest.put("extra_test_records", heldOut != null);
        manifest.put("domains", perDomain);
        Json.write(conf, new Path(new Path(experiment, DIR), MANIFEST).toString(), manifest);
        all.unpersist();
        labelled.unpersist();
        test.unpersist();
        validation.unpersist();
        return manifest;
    }

    /** True when the folder's three sets were written completely (the manifest is written last). */
    public static boolean exist(Configuration conf, String experiment) {
        return OutputFiles.exists(conf, new Path(new Path(experiment, DIR), MANIFEST).toString());
    }

    private static Dataset<Row> without(Dataset<Row> a, Dataset<Row> b) {
        Dataset<Row> ids = b.select(col("id").as("_b_id")).distinct();
        Dataset<Row> contents = b.select(col("_content").as("_b_content")).distinct();
        return a.join(ids, a.col("id").equalTo(ids.col("_b_id")), "left_anti")
                .join(contents, a.col("_content").equalTo(contents.col("_b_content")), "left_anti");
    }
}
