package org.versatune.pipeline.probe;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.versatune.pipeline.classify.ClassifierStage;
import org.versatune.pipeline.classify.DomainClassifierModel;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.domain.DomainDistribution;
import org.versatune.pipeline.domain.Domains;
import org.versatune.pipeline.io.StageOutput;
import org.versatune.pipeline.lm.Generator;
import org.versatune.pipeline.lm.LmCheckpoint;
import org.versatune.pipeline.lm.ModelPayload;
import org.versatune.pipeline.lm.NdThreads;
import org.versatune.pipeline.lm.TransformerLm;
import org.versatune.pipeline.schema.TableSchema;
import org.versatune.pipeline.util.Seeds;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.col;

/**
 * The knowledge probe (METHOD.md section 1): the base model writes N texts from its start token alone,
 * distributed over Spark in fixed chunks whose seeds come from (run seed, chunk index) so the result for a
 * seed does not depend on the number of executors or partitions; the domain classifier labels them; texts
 * under its confidence threshold are counted as unlabeled; the shares get Dirichlet intervals and a
 * correction for the classifier's confusion measured on its validation data.
 */
public final class KnowledgeProbe {
    public static final String STAGE = "probe";
    public static final String DISTRIBUTION = "distribution.json";
    public static final String SAMPLES = "samples";
    private static final Logger LOG = LoggerFactory.getLogger(KnowledgeProbe.class);

    private static final StructType GENERATED = new StructType(new StructField[]{
            DataTypes.createStructField("id", DataTypes.StringType, false),
            DataTypes.createStructField("chunk", DataTypes.IntegerType, false),
            DataTypes.createStructField("text", DataTypes.StringType, false),
            DataTypes.createStructField("tokens", DataTypes.IntegerType, false)});

    private KnowledgeProbe() {
    }

    /** Generates {@code samples} texts: one Spark task per chunk group, the model decoded once per executor. */
    public static Dataset<Row> generate(SparkSession spark, Settings settings, LmCheckpoint model, int samples, long seed) {
        return generate(spark, settings, model, samples, null, seed);
    }

    /** Continues each prompt (token ids, without the start token) once; ids follow the prompts' order. */
    public static Dataset<Row> generate(SparkSession spark, Settings settings, LmCheckpoint model, List<int[]> prompts, long seed) {
        return generate(spark, settings, model, prompts.size(), prompts, seed);
    }

    static String sampleId(int chunk, int row) {
        return String.format("s%05d-%03d", chunk, row);
    }

    private static Dataset<Row> generate(SparkSession spark, Settings settings, LmCheckpoint model, int samples,
                                         List<int[]> prompts, long seed) {
        var probe = settings.section("probe");
        int rows = probe.getInt("chunk-rows");
        int chunks = (samples + rows - 1) / rows;
        int partitions = probe.getInt("partitions") > 0 ? probe.getInt("partitions") : spark.sparkContext().defaultParallelism();
        partitions = Math.max(1, Math.min(partitions, chunks));
        Generator.Sampling sampling = Generator.Sampling.from(settings.section("lm").getConfig("generate"));
        int threads = NdThreads.forTask(settings.section("lm").getInt("train.threads-per-task"),
                spark.sparkContext().isLocal() ? Math.min(partitions, Runtime.getRuntime().availableProcessors()) : 1);
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<ModelPayload> bc = jsc.broadcast(ModelPayload.of(model));
        List<Integer> ids = new ArrayList<>();
        for (int c = 0; c < chunks; c++) {
            ids.add(c);
        }
        int[][] promptArray = prompts == null ? null : prompts.toArray(new int[0][]);
        spark.sparkContext().setJobDescription("probe: generate " + samples + (prompts == null ? " samples" : " continuations"));
        JavaRDD<Row> out = jsc.parallelize(ids, partitions).mapPartitions(it -> {
            org.versatune.pipeline.util.FaultInjection.task("probe", org.apache.spark.TaskContext.get().attemptNumber());
            NdThreads.use(threads);
            ModelPayload.Loaded loaded = bc.value().load();
            TransformerLm lm = loaded.newModel();
            List<Row> res = new ArrayList<>();
            while (it.hasNext()) {
                int c = it.next();
                int n = Math.min(rows, samples - c * rows);
                int[][] chunkPrompts = promptArray == null ? new int[n][] : Arrays.copyOfRange(promptArray, c * rows, c * rows + n);
                List<int[]> gen = Generator.generate(lm, chunkPrompts, sampling, Seeds.derive(seed, "chunk", c));
                for (int r = 0; r < n; r++) {
                    res.add(RowFactory.create(sampleId(c, r), c, loaded.tokenizer().decode(gen.get(r)),
                            gen.get(r).length));
                }
            }
            return res.iterator();
        });
        return spark.createDataFrame(out, GENERATED);
    }

    /** The distribution of the labelled samples: shares, intervals, corrected shares, counts. */
    public static Map<String, Object> distribution(Domains domains, Map<String, Long> counts, long unlabeled,
                                                   double[][] confusionRates, int draws, long seed) {
        return distribution(domains, counts, unlabeled, confusionRates, null, 0, draws, seed);
    }

    /**
     * As above; with a calibration ({@link ProbeCalibration}) {@code corrected} comes from inverting the observed
     * label shares, unlabeled included, through the model's own per-domain labelling rates, and the
     * validation-confusion correction is kept as {@code corrected_confusion}.
     */
    public static Map<String, Object> distribution(Domains domains, Map<String, Long> counts, long unlabeled,
                                                   double[][] confusionRates, double[][] calibration, int iterations,
                                                   int draws, long seed) {
        long[] n = new long[domains.size()];
        for (int i = 0; i < n.length; i++) {
            n[i] = counts.getOrDefault(domains.name(i), 0L);
        }
        double[] raw = DomainDistribution.shares(n);
        double[][] ci = DomainDistribution.dirichletInterval(n, 0.95);
        double[] byConfusion = confusionRates == null ? raw : DomainDistribution.correct(raw, confusionRates);
        double[] corrected;
        double[][] cci;
        if (calibration != null) {
            long[] withUnlabeled = Arrays.copyOf(n, n.length + 1);
            withUnlabeled[n.length] = unlabeled;
            corrected = DomainDistribution.calibrated(DomainDistribution.shares(withUnlabeled), calibration, iterations);
            cci = DomainDistribution.interval(withUnlabeled, q -> DomainDistribution.calibrated(q, calibration, iterations),
                    0.95, draws, seed);
        } else {
            corrected = byConfusion;
            cci = confusionRates == null ? ci : DomainDistribution.correctedInterval(n, confusionRates, 0.95, draws, seed);
        }
        Map<String, Object> per = new LinkedHashMap<>();
        for (int i = 0; i < n.length; i++) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("raw", raw[i]);
            d.put("corrected", corrected[i]);
            if (calibration != null) {
                d.put("corrected_confusion", byConfusion[i]);
            }
            d.put("low", ci[i][0]);
            d.put("high", ci[i][1]);
            d.put("corrected_low", cci[i][0]);
            d.put("corrected_high", cci[i][1]);
            d.put("count", n[i]);
            per.put(domains.name(i), d);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("domains", per);
        m.put("labeled", java.util.Arrays.stream(n).sum());
        m.put("unlabeled", unlabeled);
        m.put("interval", "95% equal-tailed, Dirichlet posterior with Jeffreys prior (corrected: the same draws pushed through the correction)");
        m.put("correction", calibration != null
                ? "calibrated: the p on the simplex minimising |G^T p - q|^2, q the observed label shares with unlabeled, "
                + "G the labels of the model's continuations of real documents per domain (corrected_confusion: the "
                + "validation-confusion correction)"
                : confusionRates == null ? "none (no confusion matrix beside the classifier)"
                : "adjusted classify-and-count: solve C^T p = p_raw, clip at 0, renormalise");
        return m;
    }

    /** The classifier's confident-prediction confusion (rows: true domain) measured on its validation data. */
    @SuppressWarnings("unchecked")
    static double[][] confusion(Map<String, Object> metrics, Domains domains) {
        Object c = metrics.get("confident");
        if (!(c instanceof Map<?, ?> conf) || !(conf.get("confusion") instanceof List<?> rows)) {
            return null;
        }
        List<String> names = (List<String>) conf.get("domains");
        if (names == null || !names.equals(domains.names())) {
            return null;
        }
        long[][] counts = new long[rows.size()][];
        for (int i = 0; i < rows.size(); i++) {
            List<Number> row = (List<Number>) rows.get(i);
            counts[i] = row.stream().mapToLong(Number::longValue).toArray();
        }
        return DomainDistribution.rates(counts);
    }

    public static Map<String, Object> run(SparkSession spark, Settings settings, String modelDir, String classifierDir,
                                          Integer samplesOverride, String output, boolean overwrite) {
        var conf = spark.sparkContext().hadoopConfiguration();
        StageOutput out = StageOutput.open(conf, output, STAGE, overwrite);
        if (out.alreadyComplete()) {
            LOG.info("probe output {} is already complete; skipping (use --overwrite to redo)", output);
            Map<String, Object> s = new LinkedHashMap<>(out.completedStats());
            s.put("skipped", true);
            return s;
        }
        try {
            long started = System.nanoTime();
            Domains domains = settings.domains();
            var probe = settings.section("probe");
            int samples = samplesOverride != null ? samplesOverride : probe.getInt("samples");
            if (samples < 1) {
                throw new IllegalArgumentException("--samples must be at least 1, got " + samples);
            }
            long seed = Seeds.derive(settings.seed(), STAGE);
            LmCheckpoint model = LmCheckpoint.load(conf, modelDir);
            DomainClassifierModel clf = ClassifierStage.load(spark, classifierDir, settings);
            double[][] confusion = confusion(ClassifierStage.savedMetrics(spark, classifierDir), domains);
            if (confusion == null) {
                LOG.warn("no validation confusion matrix beside {}: the corrected shares equal the raw ones", classifierDir);
            }
            Dataset<Row> generated = generate(spark, settings, model, samples, seed);
            Dataset<Row> labelled = clf.copy(new org.apache.spark.ml.param.ParamMap()).setTextCol("text")
                    .setPredictionCol("domain").transform(generated);
            Dataset<Row> samplesDf = TableSchema.of("probe_sample").conform(labelled).persist(StorageLevel.MEMORY_AND_DISK());
            spark.sparkContext().setJobDescription("probe: write samples");
            samplesDf.repartition(col("domain")).sortWithinPartitions("domain", "id").write().partitionBy("domain").parquet(out.path(SAMPLES));
            Map<String, Long> counts = new LinkedHashMap<>();
            long unlabeled = 0;
            long generatedTokens = 0;
            for (Row r : samplesDf.groupBy("domain").agg(org.apache.spark.sql.functions.count("id"),
                    org.apache.spark.sql.functions.sum("tokens")).collectAsList()) {
                if (Domains.UNLABELED.equals(r.getString(0))) {
                    unlabeled = r.getLong(1);
                } else {
                    counts.put(r.getString(0), r.getLong(1));
                }
                generatedTokens += r.getLong(2);
            }
            samplesDf.unpersist();
            List<String> calInputs = probe.getStringList("calibration.input");
            ProbeCalibration.Result cal = calInputs.isEmpty() ? null
                    : ProbeCalibration.measure(spark, settings, model, clf, calInputs, Seeds.derive(seed, "calibration"));
            Map<String, Object> dist = distribution(domains, counts, unlabeled, confusion, cal == null ? null : cal.rates(),
                    probe.getInt("calibration.iterations"), probe.getInt("interval-draws"), Seeds.derive(seed, "interval"));
            if (cal != null) {
                dist.put("calibration", cal.toJson(domains, calInputs));
            }
            Map<String, Object> used = new LinkedHashMap<>();
            used.put("samples", samples);
            used.put("chunk_rows", probe.getInt("chunk-rows"));
            used.put("sampling", settings.section("lm").getConfig("generate").root().unwrapped());
            used.put("confidence_threshold", clf.getConfidenceThreshold());
            used.put("seed", settings.seed());
            used.put("model", modelDir);
            used.put("classifier", classifierDir);
            dist.put("settings", used);
            org.versatune.pipeline.io.Json.write(conf, out.path(DISTRIBUTION), dist);
            Map<String, Object> stats = new LinkedHashMap<>();
            stats.put("samples", samples);
            stats.put("labeled", dist.get("labeled"));
            stats.put("unlabeled", unlabeled);
            stats.put("generated_tokens", generatedTokens);
            stats.put("seconds", Math.round((System.nanoTime() - started) / 1e7) / 100.0);
            stats.put("tokens_per_s", Math.round(generatedTokens / Math.max(1e-9, (System.nanoTime() - started) / 1e9)));
            out.commit(stats, settings);
            LOG.info("probe: {} samples, {} unlabeled -> {}", samples, unlabeled, output);
            return stats;
        } catch (Throwable e) { // Spark throws its checked SparkException undeclared
            out.abort();
            throw e;
        } finally {
            spark.sparkContext().setJobDescription(null);
        }
    }

    /** Reads the shares of a distribution.json ({@code corrected}, or {@code raw}) in configured order. */
    @SuppressWarnings("unchecked")
    public static double[] shares(Map<String, Object> distribution, Domains domains, String which) {
        Object ds = distribution.get("domains");
        if (!(ds instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException("not a probe distribution: no 'domains' object");
        }
        double[] p = new double[domains.size()];
        for (int i = 0; i < p.length; i++) {
            Object d = m.get(domains.name(i));
            if (!(d instanceof Map<?, ?> dm) || !(dm.get(which) instanceof Number n)) {
                throw new IllegalArgumentException("distribution lacks '" + which + "' for domain '" + domains.name(i) + "'");
            }
            double v = n.doubleValue();
            if (!Double.isFinite(v) || v < 0) {
                throw new IllegalArgumentException("distribution share of '" + domains.name(i) + "' is " + v);
            }
            p[i] = v;
        }
        return p;
    }
}
