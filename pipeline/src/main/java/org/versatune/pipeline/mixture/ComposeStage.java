package org.versatune.pipeline.mixture;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.domain.Domains;
import org.versatune.pipeline.domain.ProbeDistributionFile;
import org.versatune.pipeline.ingest.Ingest;
import org.versatune.pipeline.io.InputPaths;
import org.versatune.pipeline.io.Json;
import org.versatune.pipeline.io.StageOutput;
import org.versatune.pipeline.schema.TableSchema;
import org.versatune.pipeline.util.Seeds;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.apache.spark.sql.functions.bit_xor;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

/**
 * The compose stage (docs/method.md section 2): weights from a strategy or a file, exact counts by largest
 * remainder, a deterministic draw per domain, and a manifest with requested and realised counts and shares.
 */
public final class ComposeStage {
    public static final String STAGE = "compose";
    public static final String MIXTURE = "mixture";
    public static final String MANIFEST = "manifest.json";

    private ComposeStage() {
    }

    /** What to compose. {@code weights} is a strategy name or a JSON file (weights or a probe's distribution). */
    public record Request(String weights, String distribution, String target, Double alpha, String custom, Long size,
                          String shortage, int stage) {
    }

    /**
     * The pool as canonical records with a domain: our Parquet outputs are read directly (declared schema),
     * anything else goes through ingest.
     */
    public static Dataset<Row> readPool(SparkSession spark, Settings settings, List<String> inputs) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        List<String> files = InputPaths.expand(conf, inputs);
        boolean parquet = files.stream().allMatch(f -> f.toLowerCase(Locale.ROOT).endsWith(".parquet"));
        Dataset<Row> pool;
        if (parquet) {
            Dataset<Row> raw = spark.read().parquet(inputs.toArray(new String[0]));
            pool = TableSchema.of("record").conform(withDefaults(raw));
        } else {
            pool = Ingest.read(spark, settings, inputs, null).records();
        }
        Dataset<Row> labelled = pool.filter(col("domain").isNotNull().and(col("domain").isin(settings.domains().names().toArray())));
        return labelled;
    }

    private static Dataset<Row> withDefaults(Dataset<Row> df) {
        List<String> cols = Arrays.asList(df.columns());
        Dataset<Row> d = df;
        if (!cols.contains("kind")) {
            d = d.withColumn("kind", when(col("text").isNotNull(), "text").otherwise("sft"));
        }
        if (!cols.contains("origin_file")) {
            d = d.withColumn("origin_file", input_file_name());
        }
        return d;
    }

    /** Resolves the request's weights (strategy or file) against the pool. */
    public static Map.Entry<String, MixtureWeights> weights(Configuration conf, Settings settings, Request r, long[] poolSizes) {
        Domains domains = settings.domains();
        var c = settings.section("compose");
        double alpha = r.alpha() != null ? r.alpha() : c.getDouble("alpha");
        String w = r.weights();
        boolean allowUntrusted = c.getBoolean("allow-untrusted-probe");
        if (w.endsWith(".json")) {
            Map<String, Object> m = Json.readMap(conf, w);
            if (ProbeDistributionFile.looksLikeOne(m)) {
                return Map.entry("versatune", MixtureWeights.normalised(domains,
                        ProbeDistributionFile.parse(m, domains, "corrected", w).sharesForWeights(allowUntrusted)));
            }
            Object inner = m.get("weights") instanceof Map<?, ?> wm ? wm : m;
            @SuppressWarnings("unchecked")
            Map<String, Object> weights = (Map<String, Object>) inner;
            return Map.entry("file", MixtureWeights.fromMap(domains, weights));
        }
        MixtureStrategy s = MixtureStrategy.parse(w);
        double[] p = null;
        // only a strategy that composes from the probe depends on its estimate, and on its verdict
        if (r.distribution() != null && s.needsDistribution()) {
            p = ProbeDistributionFile.parse(Json.readMap(conf, r.distribution()), domains, "corrected", r.distribution())
                    .sharesForWeights(allowUntrusted);
        }
        MixtureWeights custom = r.custom() == null ? null : MixtureWeights.parse(domains, r.custom());
        return Map.entry(s.key(), s.weights(domains, new MixtureStrategy.Inputs(p, poolSizes, custom, r.target(), alpha)));
    }

    public static Map<String, Object> run(SparkSession spark, Settings settings, List<String> pool, Request r, String output,
                                          boolean overwrite) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        InputPaths.requireOutputOutsideInputs(conf, pool, output);
        return StageOutput.run(spark, settings, output, STAGE, overwrite, out -> {
            long started = System.nanoTime();
            Dataset<Row> records = readPool(spark, settings, pool).persist(StorageLevel.MEMORY_AND_DISK());
            Map<String, Object> manifest = compose(spark, settings, records, r, out.path(MIXTURE), pool);
            records.unpersist();
            manifest.put("seconds", Math.round((System.nanoTime() - started) / 1e7) / 100.0);
            Json.write(conf, out.path(MANIFEST), manifest);
            return manifest;
        });
    }

    /** Composes from an already read pool, writes the mixture Parquet to {@code mixturePath}, returns the manifest. */
    public static Map<String, Object> compose(SparkSession spark, Settings settings, Dataset<Row> pool, Request r,
                                              String mixturePath, List<String> inputs) {
        return compose(spark, settings, pool, r, null, mixturePath, inputs);
    }

    /** As above with weights already decided ({@code fixed} non-null: the request's weights are ignored). */
    public static Map<String, Object> compose(SparkSession spark, Settings settings, Dataset<Row> pool, Request r,
                                              Map.Entry<String, MixtureWeights> fixed, String mixturePath, List<String> inputs) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        Domains domains = settings.domains();
        var c = settings.section("compose");
        long size = r.size() != null ? r.size() : c.getLong("size");
        if (size < 1) {
            throw new IllegalArgumentException("mixture size must be at least 1, got " + size);
        }
        MixtureSampler.Shortage shortage = MixtureSampler.Shortage.valueOf(
                (r.shortage() != null ? r.shortage() : c.getString("shortage")).toUpperCase(Locale.ROOT));
        long seed = Seeds.derive(settings.seed(), STAGE);
        spark.sparkContext().setJobDescription("compose: pool sizes and fingerprints");
        Map<String, Object> fingerprint = new LinkedHashMap<>();
        long[] poolSizes = new long[domains.size()];
        for (Row row : pool.groupBy("domain").agg(count("id"),
                bit_xor(xxhash64(col("id"), col("instruction"),
                        col("input"), col("output"), col("text")))).collectAsList()) {
            int i = domains.indexOf(row.getString(0));
            poolSizes[i] = row.getLong(1);
            fingerprint.put(row.getString(0), Map.of("records", row.getLong(1), "content_hash", Long.toHexString(row.getLong(2))));
        }
        Map.Entry<String, MixtureWeights> w = fixed != null ? fixed : weights(conf, settings, r, poolSizes);
        long[] requested = Allocation.largestRemainder(w.getValue().toArray(), size);
        long[] counts = MixtureSampler.applyShortage(requested, poolSizes, w.getValue().toArray(), shortage, domains);
        spark.sparkContext().setJobDescription("compose: draw " + size + " records (" + w.getKey() + ")");
        Dataset<Row> mixture = MixtureSampler.sample(pool, domains, counts, poolSizes, seed, r.stage());
        // lead with the partition column: the writer then adds no sort of its own (whose order within a domain
        // would depend on shuffle arrival), so the files are byte-identical run to run
        mixture.repartition(col("domain")).sortWithinPartitions("domain", "mixture_rank", "copy", "id")
                .write().partitionBy("domain").parquet(mixturePath);
        spark.sparkContext().setJobDescription("compose: realised counts");
        long[] realised = new long[domains.size()];
        long[] repeats = new long[domains.size()];
        long mixtureHash = 0;
        for (Row row : TableSchema.of("mixture").read(spark, mixturePath).groupBy("domain")
                .agg(count("id"), sum(
                        when(col("copy").gt(0), 1).otherwise(0)),
                        bit_xor(xxhash64(col("domain"), col("id"),
                                col("copy"), col("instruction"), col("input"), col("output"), col("text")))).collectAsList()) {
            int i = domains.indexOf(row.getString(0));
            realised[i] = row.getLong(1);
            repeats[i] = row.getLong(2);
            mixtureHash ^= row.getLong(3);
        }
        spark.sparkContext().setJobDescription(null);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("strategy", w.getKey());
        m.put("weights", w.getValue().toMap());
        m.put("size", size);
        m.put("stage", r.stage());
        m.put("seed", settings.seed());
        m.put("shortage", shortage.name().toLowerCase(Locale.ROOT));
        if (r.target() != null) {
            m.put("target", r.target());
        }
        Map<String, Object> per = new LinkedHashMap<>();
        long total = Arrays.stream(realised).sum();
        for (int i = 0; i < domains.size(); i++) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("weight", w.getValue().get(i));
            d.put("requested", requested[i]);
            d.put("requested_share", (double) requested[i] / size);
            d.put("drawn", counts[i]);
            d.put("realised", realised[i]);
            d.put("realised_share", total == 0 ? 0.0 : (double) realised[i] / total);
            d.put("pool", poolSizes[i]);
            d.put("repeated", repeats[i]);
            per.put(domains.name(i), d);
        }
        m.put("domains", per);
        m.put("realised_total", total);
        // order-independent hash of the mixture's rows: equal mixtures have equal fingerprints on any cluster
        m.put("mixture_fingerprint", Long.toHexString(mixtureHash));
        m.put("inputs", inputs);
        m.put("pool_fingerprint", fingerprint);
        if (total != size) {
            throw new IllegalStateException("composed " + total + " records instead of " + size + " (a bug: please report)");
        }
        return m;
    }
}
