package org.versatune.pipeline.probe;

import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.versatune.pipeline.classify.ClassifierStage;
import org.versatune.pipeline.classify.DomainClassifierModel;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.domain.DomainDistribution;
import org.versatune.pipeline.domain.Domains;
import org.versatune.pipeline.domain.ProbeDistributionFile;
import org.versatune.pipeline.io.Json;
import org.versatune.pipeline.io.StageOutput;
import org.versatune.pipeline.lm.HfCheckpoint;
import org.versatune.pipeline.lm.LmCheckpoint;
import org.versatune.pipeline.pretrain.DocumentWindows.Layout;
import org.versatune.pipeline.schema.TableSchema;
import org.versatune.pipeline.util.Seeds;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

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

    private KnowledgeProbe() {
    }

    /**
     * How the model saw its text: {@code configured} unless "auto"; auto reads what the model records (this project's
     * bases; one made before layouts were recorded used window-bos); null when unknown (an imported model).
     */
    static Layout layout(LmCheckpoint model, String configured) {
        if (!configured.equals("auto")) {
            return Layout.parse(configured);
        }
        Object recorded = model.state().get("layout");
        if (recorded instanceof String s) {
            return Layout.parse(s);
        }
        return model.state().containsKey(HfCheckpoint.IMPORTED_FROM) ? null : Layout.WINDOW_BOS;
    }

    /** ": reason; reason" of an untrusted probe's stats, empty for a trusted one (for summary lines). */
    public static String reasons(Map<String, Object> stats) {
        return stats.get("trust_reasons") instanceof List<?> r && !r.isEmpty()
                ? ": " + String.join("; ", r.stream().map(String::valueOf).toList()) : "";
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
            // how the model saw its text decides what it is prompted with and what first-token reads (null: unknown)
            Layout layout = model == null ? null : layout(model, probe.getString("layout"));
            int[] start = model == null ? null : FirstTokenMixture.prefix(layout == null ? Layout.WINDOW_BOS : layout,
                    model.tokenizer().specials().bos(), model.tokenizer().specials().eos());
            DomainClassifierModel clf = ClassifierStage.load(spark, classifierDir, settings);
            Map<String, Object> metrics = ClassifierStage.savedMetrics(spark, classifierDir);
            double[][] confusion = confusion(metrics, domains);
            Dataset<Row> generated = external.samples() == null ? ProbeGeneration.generate(spark, settings, model, requested, start, seed)
                    : ProbeGeneration.readSamples(spark, external.samples(), domains);
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
                label[i] = Quantifiers.Labels.index(domains, rows.get(i).getString(1));
                post[i] = Quantifiers.Labels.posterior(domains, rows.get(i).getJavaMap(2));
                generatedTokens += rows.get(i).getInt(3);
            }
            // the evidence beside the samples, each independent of the others: what is missing is said, not dropped
            Map<String, Object> evidence = new LinkedHashMap<>();
            ProbeCalibration.Texts texts = model == null ? ProbeCalibration.Texts.none("no model")
                    : ProbeCalibration.texts(spark, settings, modelDir, probe.getStringList("calibration.input"),
                    probe.getString("data-root"));
            evidence.put("reference_text", texts.found() ? texts.source() + ": " + texts.read() : "none: " + texts.missing());
            ProbeCalibration.Result cal;
            if (external.calibration() != null) {
                cal = ProbeCalibration.fromSamples(spark, settings, clf, external.calibration());
                evidence.put("calibration", "continuations made elsewhere: " + external.calibration());
            } else {
                ProbeCalibration.Outcome o = ProbeCalibration.measure(spark, settings, model, clf, texts,
                        layout == null ? Layout.WINDOW_BOS : layout, start, Seeds.derive(seed, "calibration"));
                cal = o.result();
                evidence.put("calibration", cal != null ? "continuations of " + texts.source() + " documents" : "none: " + o.missing());
                if (cal == null) {
                    LOG.warn("probe: no calibration ({}); the estimates that need one are not made", o.missing());
                }
            }
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
            List<FirstTokenMixture.Document> reference = null;
            String noFirstToken = model == null ? "no model"
                    : layout == null ? "the model does not record how it was pretrained (an imported model): set "
                    + "versatune.probe.layout to packed-eos (GPT-2, Qwen: documents packed with an end token between them) or "
                    + "document-bos (Llama, Mistral: a begin token at each document's start) to read it"
                    : !texts.found() ? "no reference text: " + texts.missing() : null;
            evidence.put("layout", layout == null ? null : layout.id());
            if (noFirstToken == null) {
                reference = ProbeCalibration.reference(spark, settings, texts, model.tokenizer(), seed);
                noFirstToken = FirstTokenMixture.missingDomain(reference, domains);
            }
            boolean documentOpenings = layout != null && layout != Layout.WINDOW_BOS;
            double[] documentLength = null;
            if (noFirstToken == null) {
                spark.sparkContext().setJobDescription("probe: first-token estimate");
                FirstTokenMixture mixture = new FirstTokenMixture(domains.size(), model.config().vocabSize(),
                        model.config().context(), layout);
                documentLength = documentOpenings ? mixture.unitLength(reference) : null;
                firstToken = mixture.estimate(FirstTokenMixture.firstTokenDistribution(model, layout), reference,
                        probe.getInt("interval-draws"), Seeds.derive(seed, "first-token"));
                evidence.put("first_token", "ran on " + reference.size() + " reference documents, reading "
                        + (layout == Layout.WINDOW_BOS ? "window openings after the begin token" : "document openings after "
                        + (layout == Layout.PACKED_EOS ? "the end token" : "the end and begin tokens")));
            } else {
                evidence.put("first_token", "not run: " + noFirstToken);
                LOG.warn("probe: the first-token estimate could not run ({})", noFirstToken);
            }
            if (texts.found()) {
                texts.all().unpersist();
            }
            ProbeDistribution.Result result = ProbeDistribution.build(domains, new ProbeDistribution.Evidence(
                    new Quantifiers.Labels(label, post), cal, firstToken, model == null ? null : noFirstToken, confusion,
                    priors(metrics, domains), documentOpenings, documentLength), probe, Seeds.derive(seed, "interval"));
            Map<String, Object> dist = result.toJson();
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
            dist.put("evidence", evidence);
            if (reference != null) {
                Map<String, List<String>> ids = new TreeMap<>();
                reference.forEach(d -> ids.computeIfAbsent(domains.name(d.domain()), x -> new ArrayList<>()).add(d.id()));
                dist.put("first_token_documents", ids);
            }
            Json.write(conf, out.path(DISTRIBUTION), dist);
            Map<String, Object> stats = new LinkedHashMap<>();
            stats.put("samples", samples);
            stats.put("labeled", result.labeled());
            stats.put("unlabeled", result.unlabeled());
            stats.put("generated_tokens", generatedTokens);
            stats.put("seconds", Math.round((System.nanoTime() - started) / 1e7) / 100.0);
            stats.put("tokens_per_s", Math.round(generatedTokens / Math.max(1e-9, (System.nanoTime() - started) / 1e9)));
            String verdict = result.trust().trusted() ? ProbeDistributionFile.TRUSTED : "untrusted";
            stats.put("estimator", result.estimator());
            stats.put("trust", verdict);
            stats.put("trust_reasons", result.trust().reasons());
            if (result.fallback() != null) {
                LOG.warn("probe: {}", result.fallback());
            }
            LOG.info("probe: {} samples, {} unlabeled, estimate ({}) {} -> {}", samples, result.unlabeled(), result.estimator(),
                    verdict, output);
            return stats;
        });
    }

}
