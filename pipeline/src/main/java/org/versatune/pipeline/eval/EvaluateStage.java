package org.versatune.pipeline.eval;

import org.apache.spark.sql.SparkSession;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.io.InputPaths;
import org.versatune.pipeline.io.OutputFiles;
import org.versatune.pipeline.lm.LmCheckpoint;
import org.versatune.pipeline.lm.ModelPayload;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code versatune evaluate}: per-domain NLL, perplexity, score and multiple-choice accuracy of a model. */
public final class EvaluateStage {
    private EvaluateStage() {
    }

    /** Evaluates an already loaded model on already read inputs (used by the training stages too). */
    public static Map<String, Object> evaluate(SparkSession spark, Settings settings, LmCheckpoint model, EvalInputs.Data data,
                                               String label) {
        int batch = settings.section("lm").getInt("train.eval-tokens-per-batch");
        int ctx = model.config().context();
        ModelPayload payload = ModelPayload.of(spark, settings, model);
        Map<String, DomainEvaluator.Sums> nll = data.sft() == null ? Map.of()
                : DomainEvaluator.loss(spark, payload, EvalInputs.sftItems(spark, data.sft(), model.tokenizer(), ctx), batch,
                label + ": response NLL by domain");
        Map<String, DomainEvaluator.Sums> mc = data.mc() == null ? Map.of()
                : DomainEvaluator.multipleChoice(spark, payload, EvalInputs.mcItems(spark, data.mc(), model.tokenizer(), ctx), batch,
                label + ": multiple choice by domain");
        return EvalMetrics.of(settings.domains().names(), nll, mc);
    }

    public static Map<String, Object> run(SparkSession spark, Settings settings, String modelDir, List<String> inputs,
                                          String outputFile, boolean overwrite) {
        long started = System.nanoTime();
        var conf = spark.sparkContext().hadoopConfiguration();
        InputPaths.requireOutputOutsideInputs(conf, inputs, outputFile);
        OutputFiles.requireAbsent(conf, outputFile, overwrite);
        LmCheckpoint model = LmCheckpoint.load(conf, modelDir);
        EvalInputs.Data data = EvalInputs.read(spark, settings, inputs);
        Map<String, Object> result = new LinkedHashMap<>(evaluate(spark, settings, model, data, "evaluate"));
        result.put("model", modelDir);
        result.put("inputs", data.stats());
        result.put("seconds", Math.round((System.nanoTime() - started) / 1e7) / 100.0);
        OutputFiles.writeJson(conf, outputFile, result, overwrite);
        return result;
    }
}
