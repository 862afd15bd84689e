package org.versatune.pipeline.classify;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.domain.Domains;
import org.versatune.pipeline.ingest.Ingest;
import org.versatune.pipeline.io.InputPaths;
import org.versatune.pipeline.io.Json;
import org.versatune.pipeline.io.OutputFiles;
import org.versatune.pipeline.io.StageOutput;
import org.versatune.pipeline.schema.TableSchema;
import org.versatune.pipeline.spark.TaskFaults;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.col;

/** The classifier's stages: train (with a held-out validation split), evaluate, and classify a corpus. */
public final class ClassifierStage {
    public static final String TRAIN_STAGE = "classifier-train";
    public static final String CLASSIFY_STAGE = "classify";
    public static final String MODEL = "model";
    public static final String METRICS = "metrics.json";

    private ClassifierStage() {
    }

    /** Trains on labelled records, evaluates on the seeded validation split, saves model + metrics under {@code output}. */
    public static Map<String, Object> train(SparkSession spark, Settings settings, List<String> inputs, String output,
                                            boolean overwrite) {
        InputPaths.requireOutputOutsideInputs(spark.sparkContext().hadoopConfiguration(), inputs, output);
        return StageOutput.run(spark, settings, output, TRAIN_STAGE, overwrite, out -> {
            long started = System.nanoTime();
            Ingest.Result in = Ingest.read(spark, settings, inputs, null);
            Dataset<Row> labelled = in.records().filter(col("domain").isNotNull());
            Dataset<Row> examples = ClassifierData.examples(labelled, settings).persist(StorageLevel.MEMORY_AND_DISK());
            spark.sparkContext().setJobDescription("classifier-train: fit");
            DomainClassifierModel model = new DomainClassifier().configure(settings)
                    .fit(examples.filter(col("validation").equalTo(false)));
            double fitSeconds = (System.nanoTime() - started) / 1e9;
            spark.sparkContext().setJobDescription("classifier-train: validate");
            Dataset<Row> validation = examples.filter(col("validation"));
            Map<String, Object> metrics = ClassifierEvaluation.evaluate(model, validation);
            try {
                model.write().save(out.path(MODEL));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Json.write(spark.sparkContext().hadoopConfiguration(), out.path(METRICS), metrics);

            Map<String, Object> stats = new LinkedHashMap<>();
            stats.put("input", in.stats());
            stats.put("examples", examples.count());
            stats.put("validation_examples", validation.count());
            stats.put("fit_seconds", Math.round(fitSeconds * 100) / 100.0);
            stats.put("validation_accuracy", ((Map<?, ?>) metrics.get("all")).get("accuracy"));
            stats.put("validation_macro_f1", ((Map<?, ?>) metrics.get("all")).get("macro_f1"));
            examples.unpersist();
            return stats;
        });
    }

    /** Loads a model saved by {@link #train} (its folder or the model folder inside) and checks its domains. */
    public static DomainClassifierModel load(SparkSession spark, String dir, Settings settings) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        String modelDir = dir;
        try {
            Path p = new Path(dir, MODEL);
            if (p.getFileSystem(conf).exists(p)) {
                modelDir = p.toString();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        DomainClassifierModel model;
        try {
            model = DomainClassifierModel.load(modelDir);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + dir + "' is not a domain classifier (train one with "
                    + "`versatune classifier train`): " + e.getMessage(), e);
        }
        return model.requireDomains(settings.domains())
                .setConfidenceThreshold(settings.section("classifier").getDouble("confidence-threshold"));
    }

    /** Validation metrics saved beside a trained model. */
    public static Map<String, Object> savedMetrics(SparkSession spark, String dir) {
        return Json.readMap(spark.sparkContext().hadoopConfiguration(), new Path(dir, METRICS).toString());
    }

    /** Evaluates a model on labelled inputs (raw text is chunked as in training); writes JSON to {@code outputFile}. */
    public static Map<String, Object> evaluate(SparkSession spark, Settings settings, String modelDir, List<String> inputs,
                                               String outputFile, boolean overwrite) {
        OutputFiles.requireAbsent(spark.sparkContext().hadoopConfiguration(), outputFile, overwrite);
        DomainClassifierModel model = load(spark, modelDir, settings);
        Ingest.Result in = Ingest.read(spark, settings, inputs, null);
        Dataset<Row> labelled = in.records().filter(col("domain").isNotNull());
        Dataset<Row> examples = ClassifierData.examples(labelled, settings);
        spark.sparkContext().setJobDescription("classifier-evaluate");
        Map<String, Object> metrics = ClassifierEvaluation.evaluate(model, examples);
        Map<String, Object> result = new LinkedHashMap<>();
        Map<?, ?> all = (Map<?, ?>) metrics.get("all");
        result.put("accuracy", all.get("accuracy"));
        result.put("macro_f1", all.get("macro_f1"));
        result.put("per_domain", all.get("per_domain"));
        result.put("confusion", all.get("confusion"));
        result.put("domains", all.get("domains"));
        result.putAll(metrics);
        result.put("input", in.stats());
        OutputFiles.writeJson(spark.sparkContext().hadoopConfiguration(), outputFile, result, overwrite);
        spark.sparkContext().setJobDescription(null);
        return result;
    }

    /** Labels any corpus; writes classified Parquet partitioned by domain (and rejected input records, if any). */
    public static Map<String, Object> classify(SparkSession spark, Settings settings, String modelDir, List<String> inputs,
                                               String output, boolean overwrite) {
        InputPaths.requireOutputOutsideInputs(spark.sparkContext().hadoopConfiguration(), inputs, output);
        return StageOutput.run(spark, settings, output, CLASSIFY_STAGE, overwrite, out -> {
            DomainClassifierModel model = load(spark, modelDir, settings);
            Ingest.Result in = Ingest.read(spark, settings, inputs, null);
            Dataset<Row> classified = label(model, in.records()).persist(StorageLevel.MEMORY_AND_DISK());
            spark.sparkContext().setJobDescription("classify: write");
            classified.repartition(col("domain")).sortWithinPartitions("domain", "id")
                    .write().partitionBy("domain").parquet(out.path("classified"));
            long rejected = (Long) in.stats().get("rejected");
            if (rejected > 0) {
                in.rejected().repartition(1).sortWithinPartitions("origin_file", "origin_line", "reason", "message").write().parquet(out.path("rejected"));
            }
            Map<String, Object> byDomain = new LinkedHashMap<>();
            settings.domains().names().forEach(d -> byDomain.put(d, 0L));
            byDomain.put(Domains.UNLABELED, 0L);
            for (Row r : classified.groupBy("domain").count().collectAsList()) {
                byDomain.put(r.getString(0), r.getLong(1));
            }
            classified.unpersist();
            Map<String, Object> stats = new LinkedHashMap<>();
            stats.put("input", in.stats());
            stats.put("classified", in.stats().get("accepted"));
            stats.put("by_domain", byDomain);
            stats.put("unlabeled", byDomain.get(Domains.UNLABELED));
            stats.put("confidence_threshold", model.getConfidenceThreshold());
            return stats;
        });
    }

    /** Canonical records -> classified rows (declared schema): the prediction becomes {@code domain}. */
    public static Dataset<Row> label(DomainClassifierModel model, Dataset<Row> records) {
        Dataset<Row> withText = TaskFaults.hook(records, "classify")
                .withColumn("_text", ClassifierColumns.fullText());
        Dataset<Row> predicted = model.copy(new ParamMap()).setTextCol("_text")
                .setPredictionCol("_pred").setConfidenceCol("confidence").setProbabilitiesCol("probabilities")
                .transform(withText)
                .withColumnRenamed("domain", "source_domain")
                .withColumnRenamed("_pred", "domain")
                .drop("_text");
        return TableSchema.of("classified").conform(predicted);
    }
}
