package org.versatune.pipeline.probe;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.versatune.pipeline.classify.DomainClassifierModel;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.domain.Domains;
import org.versatune.pipeline.ingest.Ingest;
import org.versatune.pipeline.lm.LmCheckpoint;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.substring;
import static org.apache.spark.sql.functions.xxhash64;

/**
 * Beyond the paper: how the classifier labels the base model's own text, per true domain. A small model's samples
 * are often too noisy to label, and not equally so per domain (code stays recognisable when prose does not), so
 * the labelled share of unconditional samples is biased toward the easy domains. Here the model continues the
 * opening tokens of real documents of each domain; the classifier labels the continuations alone; the
 * row-normalised counts (true domain x label, unlabeled included) form the matrix through which the probe's
 * observed label shares, unlabeled included, are inverted ({@code DomainDistribution.calibrated}).
 */
public final class ProbeCalibration {
    private static final Logger LOG = LoggerFactory.getLogger(ProbeCalibration.class);

    /** Rows: true domain; columns: the label of the continuation, {@code unlabeled} last. */
    public record Result(long[][] counts, double[][] rates, int promptsPerDomain, int promptTokens) {
        public Map<String, Object> toJson(Domains domains, List<String> inputs) {
            List<String> labels = new ArrayList<>(domains.names());
            labels.add(Domains.UNLABELED);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("inputs", inputs);
            m.put("prompts_per_domain", promptsPerDomain);
            m.put("prompt_tokens", promptTokens);
            m.put("domains", domains.names());
            m.put("labels", labels);
            m.put("counts", counts);
            m.put("rates", rates);
            return m;
        }
    }

    private static final StructType PROMPT_DOMAIN = new StructType(new StructField[]{
            DataTypes.createStructField("id", DataTypes.StringType, false),
            DataTypes.createStructField("true_domain", DataTypes.StringType, false)});

    private ProbeCalibration() {
    }

    public static Result measure(SparkSession spark, Settings settings, LmCheckpoint model, DomainClassifierModel clf,
                                 List<String> inputs, long seed) {
        var c = settings.section("probe").getConfig("calibration");
        int perDomain = c.getInt("prompts-per-domain");
        int promptTokens = c.getInt("prompt-tokens");
        Domains domains = settings.domains();
        // a seeded choice of documents per domain; only their openings reach the driver (domains x perDomain rows)
        spark.sparkContext().setJobDescription("probe: calibration prompts");
        Dataset<Row> docs = Ingest.read(spark, settings, inputs, null).records()
                .filter(col("kind").equalTo("text").and(col("domain").isNotNull()))
                .select(col("id"), col("domain"), substring(col("text"), 1, 64 * promptTokens).as("text"))
                .withColumn("r", xxhash64(col("id"), lit(seed)))
                .withColumn("n", row_number().over(Window.partitionBy("domain").orderBy(col("r"), col("id"))))
                .filter(col("n").leq(perDomain));
        List<String> promptDomains = new ArrayList<>();
        List<int[]> prompts = new ArrayList<>();
        for (Row r : docs.orderBy("domain", "n").select("domain", "text").collectAsList()) {
            int[] ids = model.tokenizer().encode(r.getString(1));
            if (ids.length >= promptTokens && domains.contains(r.getString(0))) {
                promptDomains.add(r.getString(0));
                prompts.add(Arrays.copyOf(ids, promptTokens));
            }
        }
        for (String d : domains.names()) {
            if (!promptDomains.contains(d)) {
                throw new IllegalArgumentException("probe calibration: no document of domain '" + d + "' with at least "
                        + promptTokens + " tokens in " + inputs);
            }
        }
        LOG.info("probe calibration: continuing {} document openings ({} tokens each)", prompts.size(), promptTokens);
        Dataset<Row> generated = KnowledgeProbe.generate(spark, settings, model, prompts, seed);
        List<Row> truth = new ArrayList<>();
        int rows = settings.section("probe").getInt("chunk-rows");
        for (int i = 0; i < prompts.size(); i++) {
            truth.add(RowFactory.create(KnowledgeProbe.sampleId(i / rows, i % rows), promptDomains.get(i)));
        }
        Dataset<Row> labelled = clf.copy(new org.apache.spark.ml.param.ParamMap()).setTextCol("text")
                .setPredictionCol("label").transform(generated.join(spark.createDataFrame(truth, PROMPT_DOMAIN), "id"));
        int k = domains.size();
        long[][] counts = new long[k][k + 1];
        for (Row r : labelled.groupBy("true_domain", "label").count().collectAsList()) {
            String label = r.getString(1);
            int j = Domains.UNLABELED.equals(label) ? k : domains.indexOf(label);
            counts[domains.indexOf(r.getString(0))][j] += r.getLong(2);
        }
        double[][] rates = new double[k][k + 1];
        for (int i = 0; i < k; i++) {
            long n = Arrays.stream(counts[i]).sum();
            for (int j = 0; j <= k; j++) {
                rates[i][j] = (double) counts[i][j] / n;
            }
        }
        return new Result(counts, rates, perDomain, promptTokens);
    }
}
