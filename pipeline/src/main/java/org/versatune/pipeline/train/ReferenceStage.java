package org.versatune.pipeline.train;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.domain.Domains;
import org.versatune.pipeline.eval.DomainEvaluator;
import org.versatune.pipeline.eval.EvalInputs;
import org.versatune.pipeline.io.InputPaths;
import org.versatune.pipeline.io.OutputFiles;
import org.versatune.pipeline.lm.LmCheckpoint;
import org.versatune.pipeline.lm.ModelPayload;
import org.versatune.pipeline.lm.Optimizer;
import org.versatune.pipeline.lm.SftFormat;
import org.versatune.pipeline.mixture.ComposeStage;
import org.versatune.pipeline.parallel.DataParallelTrainer;
import org.versatune.pipeline.util.Seeds;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.col;

/**
 * Reference losses (docs/method.md section 3): for each domain, a copy of the base model fine-tuned on that domain
 * alone (at most {@code reference.max-records} records, {@code reference.epochs} epochs); the lowest eval loss
 * over the epochs is the domain's reference.
 */
public final class ReferenceStage {
    private static final Logger LOG = LoggerFactory.getLogger(ReferenceStage.class);

    private ReferenceStage() {
    }

    public static Map<String, Object> compute(SparkSession spark, Settings settings, LmCheckpoint base, Dataset<Row> pool,
                                              Dataset<Row> evalSft) {
        Domains domains = settings.domains();
        var ref = settings.section("reference");
        var lmTrain = settings.section("lm").getConfig("train");
        var t = settings.section("train");
        long seed = Seeds.derive(settings.seed(), "reference");
        int partitions = Math.max(1, lmTrain.getInt("partitions"));
        int evalBatch = lmTrain.getInt("eval-tokens-per-batch");
        int ctx = base.config().context();
        Map<String, Object> per = new LinkedHashMap<>();
        for (String d : domains.names()) {
            Dataset<Row> records = SftData.capPerDomain(pool.filter(col("domain").equalTo(d)), ref.getInt("max-records"), seed);
            JavaRDD<DomainEvaluator.Item> eval = EvalInputs.sftItems(spark, evalSft.filter(col("domain").equalTo(d)), base.tokenizer(), ctx)
                    .persist(StorageLevel.MEMORY_AND_DISK());
            if (records.isEmpty() || eval.isEmpty()) {
                throw new IllegalArgumentException("reference: domain '" + d + "' has no pool records or no eval records");
            }
            JavaRDD<SftFormat.Example> data = SftData.examples(spark, records, base.tokenizer(), ctx, partitions,
                    Seeds.derive(seed, d)).persist(StorageLevel.MEMORY_AND_DISK());
            DataParallelTrainer.Options o = DataParallelTrainer.Options.of(spark, lmTrain, partitions, seed, "reference-" + d, 0);
            long steps = DataParallelTrainer.stepsPerEpoch(data, base.config(), o);
            int epochs = ref.getInt("epochs");
            Optimizer.Schedule s = StagedTraining.schedule(settings, steps * epochs);
            DataParallelTrainer.State state = new DataParallelTrainer.State(base.params().dup(),
                    Optimizer.fresh(s, base.params()).state(), 0);
            double best = Double.POSITIVE_INFINITY;
            int bestEpoch = 0;
            for (int e = 1; e <= epochs; e++) {
                state = DataParallelTrainer.train(spark, data, base.config(), state, s, steps * e, o, null);
                double loss = DomainEvaluator.loss(spark, ModelPayload.of(base.config(), base.tokenizer(), state.params()), eval,
                        evalBatch, "reference " + d + ": eval after epoch " + e).get(d).meanNll();
                LOG.info("reference {}: epoch {} loss {}", d, e, loss);
                if (loss < best) {
                    best = loss;
                    bestEpoch = e;
                }
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("loss", best);
            m.put("epoch", bestEpoch);
            m.put("records", records.count());
            m.put("steps_per_epoch", steps);
            per.put(d, m);
            data.unpersist();
            eval.unpersist();
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("domains", per);
        out.put("max_records", ref.getInt("max-records"));
        out.put("epochs", ref.getInt("epochs"));
        out.put("learning_rate", t.getDouble("learning-rate"));
        return out;
    }

    /** Reference losses in configured order from a reference JSON ({@code domains.<d>.loss}) or a plain map. */
    @SuppressWarnings("unchecked")
    public static double[] losses(Map<String, Object> json, Domains domains) {
        Object ds = json.getOrDefault("domains", json);
        if (!(ds instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException("reference losses: expected an object keyed by domain");
        }
        double[] out = new double[domains.size()];
        for (int i = 0; i < out.length; i++) {
            Object v = m.get(domains.name(i));
            if (v instanceof Map<?, ?> vm) {
                v = vm.get("loss");
            }
            if (!(v instanceof Number n) || !Double.isFinite(n.doubleValue()) || n.doubleValue() < 0) {
                throw new IllegalArgumentException("reference loss of domain '" + domains.name(i) + "' is missing or invalid: " + v);
            }
            out[i] = n.doubleValue();
        }
        return out;
    }

    public static Map<String, Object> run(SparkSession spark, Settings settings, String baseDir, List<String> pool,
                                          List<String> evalInputs, String output, boolean overwrite) {
        var conf = spark.sparkContext().hadoopConfiguration();
        InputPaths.requireOutputOutsideInputs(conf, pool, output);
        InputPaths.requireOutputOutsideInputs(conf, evalInputs, output);
        OutputFiles.requireAbsent(conf, output, overwrite);
        LmCheckpoint base = StagedTraining.fp32Master(spark, settings, LmCheckpoint.load(conf, baseDir));
        EvalInputs.Data eval = EvalInputs.read(spark, settings, evalInputs);
        if (eval.sft() == null) {
            throw new IllegalArgumentException("reference needs SFT eval records (--eval)");
        }
        Dataset<Row> evalSft = SftData.capPerDomain(eval.sft(), settings.section("train").getInt("eval-max-records"),
                Seeds.derive(settings.seed(), "eval")).persist(StorageLevel.MEMORY_AND_DISK());
        Dataset<Row> records = StagedTraining.withoutEvalRecords(ComposeStage.readPool(spark, settings, pool), evalSft);
        Map<String, Object> r = compute(spark, settings, base, records, evalSft);
        OutputFiles.writeJson(conf, output, r, overwrite);
        return r;
    }
}
