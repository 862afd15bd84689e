package org.versatune.pipeline.probe;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.versatune.pipeline.classify.DomainClassifierModel;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.domain.Domains;
import org.versatune.pipeline.ingest.Ingest;
import org.versatune.pipeline.lm.BpeTokenizer;
import org.versatune.pipeline.lm.LmCheckpoint;
import org.versatune.pipeline.pretrain.DocumentWindows;
import org.versatune.pipeline.pretrain.PretrainDocuments;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.xxhash64;

/**
 * Beyond the paper: how the classifier labels the base model's own text, per true domain. A small model's samples
 * are often too noisy to label, and not equally so per domain (code stays recognisable when prose does not), so
 * the labelled share of unconditional samples is biased toward the easy domains. Here the model continues the
 * openings of windows of held-out documents of each domain (cut as pretraining cuts its windows, so a prompt
 * looks like what follows the begin token in training); the classifier labels the continuations alone.
 *
 * <p>Calibration text is never text the model was pretrained on: by default it is the documents the base held
 * out ({@link PretrainDocuments}); a folder the user names is used minus any document the base trained on.
 */
public final class ProbeCalibration {
    private static final Logger LOG = LoggerFactory.getLogger(ProbeCalibration.class);

    /** The continuations (true domain, label, posterior) and where their prompts came from. */
    public record Result(Quantifiers.Calibration rows, long[][] counts, String source, List<String> inputs,
                         Map<String, List<String>> documents, long excludedTrained, int promptsPerDomain, int promptTokens,
                         List<ExternalSamples.Sample> continuations) {
        public Map<String, Object> toJson(Domains domains) {
            List<String> labels = new ArrayList<>(domains.names());
            labels.add(Domains.UNLABELED);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("source", source);
            m.put("inputs", inputs);
            m.put("prompts_per_domain", promptsPerDomain);
            m.put("prompt_tokens", promptTokens);
            m.put("excluded_trained_documents", excludedTrained);
            m.put("domains", domains.names());
            m.put("labels", labels);
            m.put("counts", counts);
            m.put("documents", documents);
            return m;
        }
    }

    private static final StructType PROMPTS = new StructType(new StructField[]{
            DataTypes.createStructField("domain", DataTypes.StringType, false),
            DataTypes.createStructField("id", DataTypes.StringType, false),
            DataTypes.createStructField("chunk", DataTypes.IntegerType, false),
            DataTypes.createStructField("prompt", DataTypes.createArrayType(DataTypes.IntegerType, false), false)});

    private static final StructType PROMPT_DOMAIN = new StructType(new StructField[]{
            DataTypes.createStructField("id", DataTypes.StringType, false),
            DataTypes.createStructField("true_domain", DataTypes.StringType, false)});

    private ProbeCalibration() {
    }

    /** Whether the file is there; any other failure to tell (permissions, an unknown file system) is an error. */
    private static boolean exists(Configuration conf, String file) {
        Path p = new Path(file);
        try {
            return p.getFileSystem(conf).exists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot check the calibration document file " + file + ": " + e.getMessage(), e);
        }
    }

    private static Dataset<Row> ids(SparkSession spark, Set<String> ids) {
        return spark.createDataset(new ArrayList<>(ids), Encoders.STRING()).toDF("_id");
    }

    /**
     * The text of known domains the probe reads beside the model: {@code inputs} when given, else the documents the
     * base held out at pretraining (found under the data root it recorded, or {@code dataRoot} when given). Documents
     * the base trained on are left out of {@code unseen} (what the model may continue), and kept in {@code all}
     * (what the first-token estimate may count: the model never reads it). {@code missing} says why there is none.
     */
    public record Texts(Dataset<Row> all, Dataset<Row> unseen, String source, List<String> read, long excludedTrained,
                        String missing) {
        static Texts none(String why) {
            return new Texts(null, null, null, List.of(), 0, why);
        }

        public boolean found() {
            return missing == null;
        }
    }

    public static Texts texts(SparkSession spark, Settings settings, String modelDir, List<String> inputs, String dataRoot) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        PretrainDocuments record = modelDir == null ? null : PretrainDocuments.read(conf, modelDir);
        String source;
        List<String> read;
        if (!inputs.isEmpty()) {
            source = "inputs";
            read = inputs;
        } else if (record != null) {
            source = "heldout";
            read = record.files(dataRoot.isEmpty() ? null : dataRoot);
            for (String f : read) {
                if (!exists(conf, f)) {
                    return Texts.none(modelDir + " names its held-out pretraining documents in " + f + ", which is not "
                            + "there" + (record.dataRoot() == null ? "" : " (data root " + (dataRoot.isEmpty()
                            ? record.dataRoot() + " as recorded" : dataRoot) + ")") + "; pass the folder that holds the "
                            + "pretraining text's folder with --data-root DIR (versatune.probe.data-root), or the text itself "
                            + "with --calibration PATHS (what the base trained on is left out)");
                }
            }
        } else {
            return Texts.none((modelDir == null ? "no model" : modelDir + " records no held-out pretraining documents")
                    + " and no reference text was given (probe --calibration PATHS)");
        }
        spark.sparkContext().setJobDescription("probe: reference text");
        Dataset<Row> all = Ingest.read(spark, settings, read, null).records()
                .filter(col("kind").equalTo("text").and(col("domain").isNotNull()))
                .select(col("id"), col("domain"), col("text"))
                .persist(StorageLevel.MEMORY_AND_DISK());   // counted, then used: read the input once
        Dataset<Row> unseen = all;
        long excluded = 0;
        if (record != null) {
            Dataset<Row> kept = all.join(ids(spark, record.trainedIds()), col("id").equalTo(col("_id")), "left_anti");
            excluded = all.count() - kept.count();
            unseen = source.equals("heldout") ? kept.join(ids(spark, record.heldoutIds()), col("id").equalTo(col("_id")), "left_semi")
                    : kept;
        }
        if (excluded > 0) {
            LOG.info("probe reference text: left out {} documents the base was pretrained on", excluded);
        }
        return new Texts(all, unseen, source, read, excluded, null);
    }

    /**
     * The first-token estimate's reference documents from the texts: it only counts their tokens (the model never
     * reads them), so it may take the documents the base trained on too (its best reference is the very text it was
     * trained on) unless {@code probe.first-token.include-trained} is off.
     */
    public static List<FirstTokenMixture.Document> reference(SparkSession spark, Settings settings, Texts texts,
                                                             BpeTokenizer tokenizer, long seed) {
        var firstToken = settings.section("probe").getConfig("first-token");
        Broadcast<BpeTokenizer> tok = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(tokenizer);
        return reference(spark, firstToken.getBoolean("include-trained") ? texts.all() : texts.unseen(), tok,
                settings.domains(), firstToken.getInt("max-documents-per-domain"), seed);
    }

    /**
     * Calibrates on the texts' unseen documents: the model continues their window openings. An outcome without a
     * result says why (a domain without a document long enough for a prompt).
     */
    public record Outcome(Result result, String missing) {
    }

    public static Outcome measure(SparkSession spark, Settings settings, LmCheckpoint model, DomainClassifierModel clf,
                                  Texts texts, DocumentWindows.Layout layout, int[] prefix, long seed) {
        if (!texts.found()) {
            return new Outcome(null, texts.missing());
        }
        String source = texts.source();
        List<String> read = texts.read();
        long excluded = texts.excludedTrained();
        Dataset<Row> docs = texts.unseen();
        var c = settings.section("probe").getConfig("calibration");
        int perDomain = c.getInt("prompts-per-domain");
        int promptTokens = c.getInt("prompt-tokens");
        int context = model.config().context();
        Domains domains = settings.domains();
        spark.sparkContext().setJobDescription("probe: calibration prompts");
        Broadcast<BpeTokenizer> tok = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(model.tokenizer());
        // at most perDomain documents per domain, by a seeded hash; each gives its windows' openings
        Dataset<Row> chosenDocs = docs.withColumn("r", xxhash64(col("id"), lit(seed)))
                .withColumn("n", row_number().over(Window.partitionBy("domain").orderBy(col("r"), col("id"))))
                .filter(col("n").leq(perDomain));
        Dataset<Row> openings = spark.createDataFrame(chosenDocs.select("domain", "id", "text").javaRDD().flatMap(r -> {
            int[] t = DocumentWindows.withEnd(tok.value().encode(r.getString(2)), tok.value().specials().eos());
            List<Row> out = new ArrayList<>();
            // the opening of each pretraining window with a whole prompt of text before the end token
            // under a packed layout what follows the start is a document's opening, not a window's: chunk 0 only
            int chunks = layout == DocumentWindows.Layout.WINDOW_BOS ? DocumentWindows.count(t.length, context) : 1;
            for (int chunk = 0; chunk < chunks; chunk++) {
                int start = DocumentWindows.start(chunk, context);
                if (start + promptTokens < t.length) {
                    out.add(RowFactory.create(r.getString(0), r.getString(1), chunk, Arrays.copyOfRange(t, start, start + promptTokens)));
                }
            }
            return out.iterator();
        }), PROMPTS);
        List<Row> picked = openings.withColumn("r", xxhash64(col("id"), col("chunk"), lit(seed)))
                .withColumn("n", row_number().over(Window.partitionBy("domain").orderBy(col("r"), col("id"), col("chunk"))))
                .filter(col("n").leq(perDomain))
                .orderBy("domain", "n").select("domain", "id", "prompt").collectAsList();
        List<String> promptDomains = new ArrayList<>();
        List<int[]> prompts = new ArrayList<>();
        Map<String, List<String>> documents = new TreeMap<>();
        for (Row r : picked) {
            if (!domains.contains(r.getString(0))) {
                continue;
            }
            promptDomains.add(r.getString(0));
            List<Integer> p = r.getList(2);
            prompts.add(p.stream().mapToInt(Integer::intValue).toArray());
            List<String> ids = documents.computeIfAbsent(r.getString(0), d -> new ArrayList<>());
            if (!ids.contains(r.getString(1))) {
                ids.add(r.getString(1));
            }
        }
        documents.values().forEach(l -> l.sort(null));
        for (String d : domains.names()) {
            if (!promptDomains.contains(d)) {
                // the other evidence (first-token, the samples) does not need this: the probe goes on without it
                return new Outcome(null, (source.equals("heldout") ? "the base held out no document" : "no document in " + read)
                        + " of domain '" + d + "' with at least " + promptTokens + " tokens (documents the base was pretrained "
                        + "on are left out); pass a folder the base did not see with --calibration PATHS");
            }
        }
        LOG.info("probe calibration: continuing {} window openings ({} tokens each) from {} documents", prompts.size(),
                promptTokens, documents.values().stream().mapToInt(List::size).sum());
        Dataset<Row> generated = ProbeGeneration.generate(spark, settings, model, prompts, prefix, seed);
        List<Row> truth = new ArrayList<>();
        int rows = settings.section("probe").getInt("chunk-rows");
        for (int i = 0; i < prompts.size(); i++) {
            truth.add(RowFactory.create(ProbeGeneration.sampleId(i / rows, i % rows), promptDomains.get(i)));
        }
        Dataset<Row> withTruth = generated.join(spark.createDataFrame(truth, PROMPT_DOMAIN), "id").select("id", "true_domain", "text");
        return new Outcome(labelled(settings, clf, withTruth, source, read, documents, excluded, perDomain, promptTokens), null);
    }

    /**
     * The first-token estimate's reference ({@link FirstTokenMixture}): up to {@code max} documents per domain by a
     * seeded hash, each tokenised as pretraining does (text and the end token).
     */
    private static List<FirstTokenMixture.Document> reference(SparkSession spark, Dataset<Row> docs, Broadcast<BpeTokenizer> tok,
                                                              Domains domains, int max, long seed) {
        spark.sparkContext().setJobDescription("probe: first-token reference");
        List<String> names = new ArrayList<>(domains.names());
        return docs.filter(col("domain").isin(names.toArray()))
                .withColumn("r", xxhash64(col("id"), lit(seed), lit("first-token")))
                .withColumn("n", row_number().over(Window.partitionBy("domain").orderBy(col("r"), col("id"))))
                .filter(col("n").leq(max))
                .orderBy("domain", "id")
                .select("domain", "text", "id").javaRDD().map(r -> {
                    int[] all = DocumentWindows.withEnd(tok.value().encode(r.getString(1)), tok.value().specials().eos());
                    return new FirstTokenMixture.Document(r.getString(2), names.indexOf(r.getString(0)), all);
                }).collect();
    }

    /**
     * The calibration from continuations made elsewhere ({@link ExternalSamples}: each text with the domain its
     * prompt came from), classified and counted exactly as the continuations this stage generates.
     */
    public static Result fromSamples(SparkSession spark, Settings settings, DomainClassifierModel clf, List<String> inputs) {
        Domains domains = settings.domains();
        List<Row> rows = new ArrayList<>();
        for (ExternalSamples.Sample s : ExternalSamples.read(spark, inputs, true, domains)) {
            rows.add(RowFactory.create(s.id(), s.domain(), s.text()));
        }
        Map<String, Integer> perDomain = new TreeMap<>();
        rows.forEach(r -> perDomain.merge(r.getString(1), 1, Integer::sum));
        for (String d : domains.names()) {
            if (!perDomain.containsKey(d)) {
                throw new IllegalArgumentException("calibration samples " + inputs + " hold no continuation of a '" + d
                        + "' prompt: every domain needs some");
            }
        }
        LOG.info("probe calibration: {} continuations made elsewhere ({} per domain)", rows.size(), perDomain);
        Dataset<Row> df = spark.createDataFrame(rows, EXTERNAL);
        return labelled(settings, clf, df, "samples", inputs, Map.of(), 0,
                perDomain.values().stream().mapToInt(Integer::intValue).min().orElse(0), 0);
    }

    private static final StructType EXTERNAL = new StructType(new StructField[]{
            DataTypes.createStructField("id", DataTypes.StringType, false),
            DataTypes.createStructField("true_domain", DataTypes.StringType, false),
            DataTypes.createStructField("text", DataTypes.StringType, false)});

    /** Labels continuations (id, true_domain, text) and counts them per true domain, in id order. */
    private static Result labelled(Settings settings, DomainClassifierModel clf, Dataset<Row> continuations, String source,
                                   List<String> inputs, Map<String, List<String>> documents, long excluded, int perDomain,
                                   int promptTokens) {
        Domains domains = settings.domains();
        Dataset<Row> labelled = clf.copy(new ParamMap()).setTextCol("text").setPredictionCol("label").transform(continuations);
        int k = domains.size();
        List<Row> out = labelled.select("id", "true_domain", "label", DomainClassifierModel.PROBABILITIES, "text").orderBy("id").collectAsList();
        int[] t = new int[out.size()];
        int[] l = new int[out.size()];
        double[][] post = new double[out.size()][];
        long[][] counts = new long[k][k + 1];
        List<ExternalSamples.Sample> texts = new ArrayList<>();
        for (int i = 0; i < out.size(); i++) {
            Row r = out.get(i);
            t[i] = domains.indexOf(r.getString(1));
            l[i] = Quantifiers.Labels.index(domains, r.getString(2));
            post[i] = Quantifiers.Labels.posterior(domains, r.getJavaMap(3));
            counts[t[i]][l[i]]++;
            texts.add(new ExternalSamples.Sample(r.getString(0), r.getString(4), r.getString(1)));
        }
        return new Result(new Quantifiers.Calibration(t, new Quantifiers.Labels(l, post)), counts, source, inputs, documents,
                excluded, perDomain, promptTokens, texts);
    }
}
