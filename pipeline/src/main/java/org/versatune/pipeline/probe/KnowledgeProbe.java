package org.versatune.pipeline.probe;

import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.param.ParamMap;
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
import org.versatune.pipeline.io.Json;
import org.versatune.pipeline.io.StageOutput;
import org.versatune.pipeline.lm.Generator;
import org.versatune.pipeline.lm.LmCheckpoint;
import org.versatune.pipeline.lm.ModelPayload;
import org.versatune.pipeline.lm.NdThreads;
import org.versatune.pipeline.lm.TransformerLm;
import org.versatune.pipeline.schema.TableSchema;
import org.versatune.pipeline.util.FaultInjection;
import org.versatune.pipeline.util.Seeds;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.col;

/**
 * The knowledge probe (docs/method.md section 1): the base model writes N texts from its start token alone,
 * distributed over Spark in fixed chunks whose seeds come from (run seed, chunk index) so the result for a
 * seed does not depend on the number of executors or partitions; the domain classifier labels them; texts
 * under its confidence threshold are counted as unlabeled. The shares are estimated by every estimator of
 * {@link Quantifiers} (the calibration: {@link ProbeCalibration}) and judged ({@link ProbeDistribution}).
 */
public final class KnowledgeProbe {
    public static final String STAGE = "probe";
    public static final String DISTRIBUTION = "distribution.json";
    public static final String SAMPLES = "samples";
    public static final String CALIBRATION_SAMPLES = "calibration-samples.jsonl";
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
        int threads = NdThreads.perTask(spark, settings.section("lm").getInt("train.threads-per-task"), partitions);
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<ModelPayload> bc = jsc.broadcast(ModelPayload.of(spark, settings, model));
        List<Integer> ids = new ArrayList<>();
        for (int c = 0; c < chunks; c++) {
            ids.add(c);
        }
        int[][] promptArray = prompts == null ? null : prompts.toArray(new int[0][]);
        String what = samples + (prompts == null ? " samples" : " continuations");
        LOG.info("probe: generating {} in {} tasks", what, partitions);
        spark.sparkContext().setJobDescription("probe: generate " + what);
        JavaRDD<Row> out = jsc.parallelize(ids, partitions).mapPartitions(it -> {
            FaultInjection.task("probe", TaskContext.get().attemptNumber());
            NdThreads.use(threads);
            ModelPayload.Loaded loaded = bc.value().load();
            TransformerLm lm = loaded.newModel();
            List<Row> res = new ArrayList<>();
            while (it.hasNext()) {
                int c = it.next();
                int n = Math.min(rows, samples - c * rows);
                int[][] chunkPrompts = promptArray == null ? new int[n][] : Arrays.copyOfRange(promptArray, c * rows, c * rows + n);
                List<int[]> gen = Generator.generate(lm, loaded.tokenizer().specials(), chunkPrompts, sampling, Seeds.derive(seed, "chunk", c));
                for (int r = 0; r < n; r++) {
                    res.add(RowFactory.create(sampleId(c, r), c, loaded.tokenizer().decode(gen.get(r)),
                            gen.get(r).length));
                }
            }
            return res.iterator();
        });
        return spark.createDataFrame(out, GENERATED);
    }

    /** Samples made elsewhere, in the generated samples' columns (no token count: 0). */
    static Dataset<Row> readSamples(SparkSession spark, List<String> inputs, Domains domains) {
        List<Row> rows = new ArrayList<>();
        for (ExternalSamples.Sample s : ExternalSamples.read(spark, inputs, false, domains)) {
            rows.add(RowFactory.create(s.id(), 0, s.text(), 0));
        }
        return spark.createDataFrame(rows, GENERATED);
    }

    /** ": reason; reason" of an untrusted probe's stats, empty for a trusted one (for summary lines). */
    public static String reasons(Map<String, Object> stats) {
        return stats.get("trust_reasons") instanceof List<?> r && !r.isEmpty()
                ? ": " + String.join("; ", r.stream().map(String::valueOf).toList()) : "";
    }

    /** Index of a classifier label: the domain's, or k for unlabeled. */
    static int labelIndex(Domains domains, String label) {
        return Domains.UNLABELED.equals(label) ? domains.size() : domains.indexOf(label);
    }

    /** The classifier's per-domain probabilities in configured order. */
    static double[] posterior(Domains domains, Map<String, Double> probabilities) {
        double[] p = new double[domains.size()];
        for (int i = 0; i < p.length; i++) {
            p[i] = probabilities.getOrDefault(domains.name(i), 0.0);
        }
        return p;
    }

    /** The classifier's class shares on its validation split (its training priors), or null when not recorded. */
    @SuppressWarnings("unchecked")
    static double[] priors(Map<String, Object> metrics, Domains domains) {
        if (!(metrics.get("all") instanceof Map<?, ?> all) || !(all.get("per_domain") instanceof Map<?, ?> per)) {
            return null;
        }
        long[] n = new long[domains.size()];
        for (int i = 0; i < n.length; i++) {
            if (!(per.get(domains.name(i)) instanceof Map<?, ?> d) || !(d.get("support") instanceof Number s)) {
                return null;
            }
            n[i] = s.longValue();
        }
        return Arrays.stream(n).sum() == 0 ? null : DomainDistribution.shares(n);
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

    /** Texts made elsewhere to use instead of generating: probe samples and calibration continuations (null: generate). */
    public record External(List<String> samples, List<String> calibration) {
        public static final External NONE = new External(null, null);
    }

    public static Map<String, Object> run(SparkSession spark, Settings settings, String modelDir, String classifierDir,
                                          Integer samplesOverride, String output, boolean overwrite) {
        return run(spark, settings, modelDir, classifierDir, samplesOverride, External.NONE, output, overwrite);
    }

    public static Map<String, Object> run(SparkSession spark, Settings settings, String modelDir, String classifierDir,
                                          Integer samplesOverride, External external, String output, boolean overwrite) {
        var conf = spark.sparkContext().hadoopConfiguration();
        if (modelDir == null && (external.samples() == null || external.calibration() == null)) {
            throw new IllegalArgumentException("--model is needed to generate probe samples or calibration continuations "
                    + "(or give both --samples-input and --calibration-samples)");
        }
        return StageOutput.run(spark, settings, output, STAGE, overwrite, out -> {
            long started = System.nanoTime();
            Domains domains = settings.domains();
            var probe = settings.section("probe");
            int requested = samplesOverride != null ? samplesOverride : probe.getInt("samples");
            if (requested < 1) {
                throw new IllegalArgumentException("--samples must be at least 1, got " + requested);
            }
            long seed = Seeds.derive(settings.seed(), STAGE);
            LmCheckpoint model = modelDir == null ? null : LmCheckpoint.load(conf, modelDir);
            DomainClassifierModel clf = ClassifierStage.load(spark, classifierDir, settings);
            Map<String, Object> metrics = ClassifierStage.savedMetrics(spark, classifierDir);
            double[][] confusion = confusion(metrics, domains);
            Dataset<Row> generated = external.samples() == null ? generate(spark, settings, model, requested, seed)
                    : readSamples(spark, external.samples(), domains);
            int samples = external.samples() == null ? requested : (int) generated.count();
            Dataset<Row> labelled = clf.copy(new ParamMap()).setTextCol("text").setPredictionCol("domain").transform(generated);
            Dataset<Row> samplesDf = TableSchema.of("probe_sample").conform(labelled).persist(StorageLevel.MEMORY_AND_DISK());
            spark.sparkContext().setJobDescription("probe: write samples");
            samplesDf.repartition(col("domain")).sortWithinPartitions("domain", "id").write().partitionBy("domain").parquet(out.path(SAMPLES));
            // labels and posteriors of every sample (a few numbers each) for the estimators
            List<Row> rows = samplesDf.select("id", "domain", DomainClassifierModel.PROBABILITIES, "tokens").orderBy("id").collectAsList();
            samplesDf.unpersist();
            int[] label = new int[rows.size()];
            double[][] post = new double[rows.size()][];
            long generatedTokens = 0;
            for (int i = 0; i < label.length; i++) {
                label[i] = labelIndex(domains, rows.get(i).getString(1));
                post[i] = posterior(domains, rows.get(i).getJavaMap(2));
                generatedTokens += rows.get(i).getInt(3);
            }
            ProbeCalibration.Result cal = external.calibration() != null
                    ? ProbeCalibration.fromSamples(spark, settings, clf, external.calibration())
                    : ProbeCalibration.measure(spark, settings, modelDir, model, clf, probe.getStringList("calibration.input"),
                    Seeds.derive(seed, "calibration"));
            if (cal != null) {
                // the continuations and the domain of their prompts, in the form --calibration-samples reads
                StringBuilder lines = new StringBuilder();
                for (ExternalSamples.Sample c : cal.continuations()) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("id", c.id());
                    m.put("domain", c.domain());
                    m.put("text", c.text());
                    lines.append(Json.line(m)).append('\n');
                }
                Json.writeText(conf, out.path(CALIBRATION_SAMPLES), lines.toString());
            }
            FirstTokenMixture.Result firstToken = null;
            if (model != null && cal != null && cal.reference() != null) {
                spark.sparkContext().setJobDescription("probe: first-token estimate");
                firstToken = new FirstTokenMixture(domains.size(), model.config().vocabSize(), model.config().context())
                        .estimate(FirstTokenMixture.firstTokenDistribution(model), cal.reference(),
                                Math.min(probe.getInt("interval-draws"), ProbeDistribution.OTHER_DRAWS),
                                Seeds.derive(seed, "first-token"));
            }
            Map<String, Object> dist = ProbeDistribution.build(domains, new Quantifiers.Labels(label, post), cal, firstToken,
                    confusion, priors(metrics, domains), probe, Seeds.derive(seed, "interval"));
            long unlabeled = ((Number) dist.get("unlabeled")).longValue();
            Map<String, Object> used = new LinkedHashMap<>();
            used.put("samples", samples);
            used.put("chunk_rows", probe.getInt("chunk-rows"));
            used.put("sampling", settings.section("lm").getConfig("generate").root().unwrapped());
            used.put("confidence_threshold", clf.getConfidenceThreshold());
            used.put("seed", settings.seed());
            used.put("model", modelDir);
            used.put("split_special_tokens", model == null ? null : model.tokenizer().splitSpecialTokens());
            used.put("samples_input", external.samples());
            used.put("calibration_samples", external.calibration());
            used.put("classifier", classifierDir);
            dist.put("settings", used);
            Json.write(conf, out.path(DISTRIBUTION), dist);
            Map<String, Object> stats = new LinkedHashMap<>();
            stats.put("samples", samples);
            stats.put("labeled", dist.get("labeled"));
            stats.put("unlabeled", unlabeled);
            stats.put("generated_tokens", generatedTokens);
            stats.put("seconds", Math.round((System.nanoTime() - started) / 1e7) / 100.0);
            stats.put("tokens_per_s", Math.round(generatedTokens / Math.max(1e-9, (System.nanoTime() - started) / 1e9)));
            stats.put("estimator", dist.get("estimator"));
            stats.put("trust", ((Map<?, ?>) dist.get("trust")).get("verdict"));
            stats.put("trust_reasons", ((Map<?, ?>) dist.get("trust")).get("reasons"));
            LOG.info("probe: {} samples, {} unlabeled, estimate {} -> {}", samples, unlabeled,
                    ((Map<?, ?>) dist.get("trust")).get("verdict"), output);
            return stats;
        });
    }

}
