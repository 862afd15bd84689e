package org.versatune.pipeline.train;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.domain.Domains;
import org.versatune.pipeline.eval.DomainEvaluator;
import org.versatune.pipeline.eval.EvalInputs;
import org.versatune.pipeline.eval.EvalMetrics;
import org.versatune.pipeline.io.InputPaths;
import org.versatune.pipeline.io.Json;
import org.versatune.pipeline.io.StageOutput;
import org.versatune.pipeline.lm.LmCheckpoint;
import org.versatune.pipeline.lm.ModelPayload;
import org.versatune.pipeline.lm.Optimizer;
import org.versatune.pipeline.lm.SftFormat;
import org.versatune.pipeline.mixture.ComposeStage;
import org.versatune.pipeline.mixture.MixtureSampler;
import org.versatune.pipeline.mixture.MixtureStrategy;
import org.versatune.pipeline.mixture.MixtureWeights;
import org.versatune.pipeline.parallel.Checkpoints;
import org.versatune.pipeline.parallel.DataParallelTrainer;
import org.versatune.pipeline.schema.TableSchema;
import org.versatune.pipeline.util.Seeds;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.col;

/**
 * Staged SFT with dynamic domain re-weighting (docs/method.md sections 3 and 4). Each stage composes its mixture
 * from the current weights, trains one pass over it data-parallel on Spark, evaluates every domain on its
 * held-out shard and updates the weights. Every stage is committed as its own folder ({@code stage-<k>/}:
 * mixture, manifest, model checkpoint, evaluation, update, state) plus {@code weights-stage-<k>.json}; a run
 * killed at any point continues with {@code --resume} from the last committed stage (or the latest in-stage
 * checkpoint) and ends with the same weights and model as an uninterrupted run.
 */
public final class StagedTraining {
    public static final String STAGE = "train";
    public static final String STAGE_PART = "train-stage";
    public static final String HISTORY = "weight-history";
    private static final Logger LOG = LoggerFactory.getLogger(StagedTraining.class);

    /** What to train. Strategy or weights file as for compose; {@code reweight} null = versatune.train.reweight. */
    public record Request(String base, List<String> pool, List<String> eval, String weights, String distribution,
                          String target, Double alpha, Integer stages, Long stageSize, String referenceFile, Boolean reweight) {
    }

    private StagedTraining() {
    }

    /** The fine-tuning schedule: versatune.train's learning rate and warm-up, the rest from versatune.lm.train. */
    static Optimizer.Schedule schedule(Settings settings, long totalSteps) {
        var lm = settings.section("lm").getConfig("train");
        var t = settings.section("train");
        return new Optimizer.Schedule(t.getDouble("learning-rate"), lm.getDouble("min-lr-ratio"), t.getInt("warmup-steps"),
                totalSteps, lm.getDouble("clip-norm"), lm.getDouble("beta1"), lm.getDouble("beta2"), lm.getDouble("epsilon"));
    }

    static Dataset<Row> withoutEvalRecords(Dataset<Row> pool, Dataset<Row> evalSft) {
        Dataset<Row> ids = evalSft.select(col("id").as("_eval_id")).distinct();
        return pool.join(ids, pool.col("id").equalTo(ids.col("_eval_id")), "left_anti");
    }

    public static Map<String, Object> run(SparkSession spark, Settings settings, Request req, String output,
                                          boolean overwrite, boolean resume) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        InputPaths.requireOutputOutsideInputs(conf, req.pool(), output);
        InputPaths.requireOutputOutsideInputs(conf, req.eval(), output);
        Path run = new Path(output);
        try {
            FileSystem fs = run.getFileSystem(conf);
            if (StageOutput.isComplete(conf, output, STAGE) && !overwrite) {
                LOG.info("train run {} is already complete; skipping (use --overwrite to retrain)", output);
                Map<String, Object> s = new LinkedHashMap<>(Json.readMap(conf, new Path(run, StageOutput.STATS).toString()));
                s.put("skipped", true);
                return s;
            }
            // a run folder holding only its own pretrained base model (and hidden files) is a fresh run
            boolean fresh = !fs.exists(run) || java.util.Arrays.stream(fs.listStatus(run)).map(st -> st.getPath().getName())
                    .allMatch(n -> n.startsWith(".") || n.equals("base"));
            if (!fresh) {
                if (overwrite) {
                    for (var st : fs.listStatus(run)) {
                        if (!st.getPath().getName().equals("base")) {
                            fs.delete(st.getPath(), true);
                        }
                    }
                } else if (!resume) {
                    throw new StageOutput.OutputExistsException("run folder '" + output + "' already exists and is not a "
                            + "completed run; pass --resume to continue it or --overwrite to start over");
                } else if (!fs.exists(new Path(run, "request.json"))) {
                    throw new StageOutput.OutputExistsException("'" + output + "' is not a training run folder; refusing to use it");
                }
            }
            fs.mkdirs(run);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Runner(spark, settings, req, output).execute();
    }

    private static final class Runner {
        final SparkSession spark;
        final Settings settings;
        final Request req;
        final String run;
        final Configuration conf;
        final Domains domains;
        final long seed;
        final com.typesafe.config.Config t;
        final com.typesafe.config.Config lmTrain;
        final int partitions;

        Runner(SparkSession spark, Settings settings, Request req, String run) {
            this.spark = spark;
            this.settings = settings;
            this.req = req;
            this.run = run;
            this.conf = spark.sparkContext().hadoopConfiguration();
            this.domains = settings.domains();
            this.seed = Seeds.derive(settings.seed(), STAGE);
            this.t = settings.section("train");
            this.lmTrain = settings.section("lm").getConfig("train");
            this.partitions = Math.max(1, lmTrain.getInt("partitions"));
        }

        String path(String child) {
            return new Path(run, child).toString();
        }

        boolean exists(String child) {
            try {
                Path p = new Path(run, child);
                return p.getFileSystem(conf).exists(p);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        Map<String, Object> execute() {
            long started = System.nanoTime();
            LmCheckpoint base = LmCheckpoint.load(conf, req.base());
            int stages = req.stages() != null ? req.stages() : t.getInt("stages");
            long size = req.stageSize() != null ? req.stageSize()
                    : t.getLong("stage-size") > 0 ? t.getLong("stage-size") : settings.section("compose").getLong("size");
            if (stages < 1 || size < 1) {
                throw new IllegalArgumentException("need at least one stage of at least one example (stages " + stages + ", size " + size + ")");
            }
            Map<String, Object> request = new LinkedHashMap<>();
            request.put("base", req.base());
            request.put("pool", req.pool());
            request.put("eval", req.eval());
            request.put("weights", req.weights());
            request.put("distribution", req.distribution());
            request.put("target", req.target());
            request.put("alpha", req.alpha());
            request.put("stages", stages);
            request.put("stage_size", size);
            Json.write(conf, path("request.json"), request);
            Json.writeText(conf, path(StageOutput.CONFIG), settings.renderJson());

            EvalInputs.Data evalData = EvalInputs.read(spark, settings, req.eval());
            if (evalData.sft() == null) {
                throw new IllegalArgumentException("training needs SFT eval records (--eval) to measure each domain's loss");
            }
            Dataset<Row> evalSft = SftData.capPerDomain(evalData.sft(), t.getInt("eval-max-records"),
                    Seeds.derive(settings.seed(), "eval")).persist(StorageLevel.MEMORY_AND_DISK());
            Dataset<Row> pool = withoutEvalRecords(ComposeStage.readPool(spark, settings, req.pool()), evalSft)
                    .persist(StorageLevel.MEMORY_AND_DISK());
            long[] poolSizes = MixtureSampler.poolSizes(pool, domains);
            int ctx = base.config().context();
            JavaRDD<DomainEvaluator.Item> evalItems = EvalInputs.sftItems(spark, evalSft, base.tokenizer(), ctx)
                    .persist(StorageLevel.MEMORY_AND_DISK());
            JavaRDD<DomainEvaluator.Choice> mcItems = evalData.mc() == null ? null
                    : EvalInputs.mcItems(spark, SftData.capPerDomain(evalData.mc(), t.getInt("eval-max-mc-items"),
                    Seeds.derive(settings.seed(), "eval-mc")), base.tokenizer(), ctx).persist(StorageLevel.MEMORY_AND_DISK());

            ComposeStage.Request composeReq = new ComposeStage.Request(req.weights(), req.distribution(), req.target(),
                    req.alpha(), null, size, null, 0);
            Map.Entry<String, MixtureWeights> initial = ComposeStage.weights(conf, settings, composeReq, poolSizes);
            MixtureStrategy strategy = strategyOf(req.weights());
            boolean reweight = (req.reweight() != null ? req.reweight() : t.getBoolean("reweight"))
                    && (strategy == null || !(strategy == MixtureStrategy.SPECIFIC || strategy == MixtureStrategy.UNIFORM_REST));
            boolean expansion = strategy == MixtureStrategy.VERSATUNE_EXPAND;
            int target = req.target() == null ? -1 : domains.indexOf(req.target());

            double[] reference = referenceLosses(base, pool, evalSft);
            Map<String, Object> baseEval = evaluation("eval-base.json", base, evalItems, mcItems, "train: evaluate base model");
            double[] best = losses(baseEval);
            DomainWeightUpdater updater = new DomainWeightUpdater(DomainWeightUpdater.Params.from(t.getConfig("update")));

            // resume: stages already committed
            double[] weights = initial.getValue().toArray();
            LmCheckpoint current = base;
            long step = 0;
            long totalSteps = -1;
            List<Row> history = new ArrayList<>();
            int done = 0;
            for (int k = 1; k <= stages; k++) {
                if (!StageOutput.isComplete(conf, path("stage-" + k), STAGE_PART)) {
                    break;
                }
                Map<String, Object> st = Json.readMap(conf, path("stage-" + k + "/state.json"));
                weights = toArray(st.get("next_weights"));
                best = toArray(st.get("best_after"));
                step = ((Number) st.get("step_end")).longValue();
                totalSteps = ((Number) st.get("total_steps")).longValue();
                history.addAll(historyRows(st));
                done = k;
            }
            if (done > 0) {
                current = LmCheckpoint.load(conf, path("stage-" + done + "/model"));
                LOG.info("resuming run {} after stage {} (step {})", run, done, step);
            }
            for (int k = done + 1; k <= stages; k++) {
                StageResult r = stage(k, stages, size, initial.getKey(), weights, reference, best, current, step, totalSteps,
                        pool, evalItems, mcItems, updater, reweight && k < stages, expansion, target);
                weights = r.nextWeights;
                best = r.bestAfter;
                current = r.model;
                step = r.stepEnd;
                totalSteps = r.totalSteps;
                history.addAll(historyRows(r.state));
            }
            for (int k = 1; k <= stages; k++) {
                if (!exists("weights-stage-" + k + ".json")) {
                    writeWeightsFile(k, Json.readMap(conf, path("stage-" + k + "/state.json")));
                }
            }
            // the run's own outputs: weight history, final model, summary; then the marker
            Dataset<Row> hist = spark.createDataFrame(history, TableSchema.of("weight_history").struct());
            hist.repartition(1).sortWithinPartitions("stage", "domain").write().mode("overwrite").parquet(path(HISTORY));
            List<Map<String, Object>> histJson = new ArrayList<>();
            String[] fields = TableSchema.of("weight_history").struct().fieldNames();
            for (Row r : history) {
                Map<String, Object> m = new LinkedHashMap<>();
                for (int f = 0; f < fields.length; f++) {
                    m.put(fields[f], r.get(f));
                }
                histJson.add(m);
            }
            Json.write(conf, path(HISTORY + ".json"), histJson);
            current.save(conf, path("model"));
            Map<String, Object> finalEval = Json.readMap(conf, path("stage-" + stages + "/eval.json"));
            Map<String, Object> stats = new LinkedHashMap<>();
            stats.put("strategy", initial.getKey());
            stats.put("reweight", reweight);
            stats.put("stages", stages);
            stats.put("stage_size", size);
            stats.put("steps", step);
            stats.put("initial_weights", initial.getValue().toMap());
            stats.put("final_weights", domains.toMap(weights));
            stats.put("reference_losses", domains.toMap(reference));
            stats.put("base_eval", baseEval);
            stats.put("final_eval", finalEval);
            stats.put("seconds", Math.round((System.nanoTime() - started) / 1e7) / 100.0);
            Json.write(conf, path("summary.json"), stats);
            Json.write(conf, path(StageOutput.STATS), stats);
            Json.writeText(conf, path(StageOutput.MARKER), STAGE + "\n");
            pool.unpersist();
            evalSft.unpersist();
            evalItems.unpersist();
            if (mcItems != null) {
                mcItems.unpersist();
            }
            return stats;
        }

        record StageResult(double[] nextWeights, double[] bestAfter, LmCheckpoint model, long stepEnd, long totalSteps,
                           Map<String, Object> state) {
        }

        StageResult stage(int k, int stages, long size, String strategy, double[] weights, double[] reference, double[] best,
                          LmCheckpoint current, long stepStart, long totalStepsKnown, Dataset<Row> pool,
                          JavaRDD<DomainEvaluator.Item> evalItems, JavaRDD<DomainEvaluator.Choice> mcItems,
                          DomainWeightUpdater updater, boolean update, boolean expansion, int target) {
            long started = System.nanoTime();
            String stageDir = path("stage-" + k);
            StageOutput out = StageOutput.open(conf, stageDir, STAGE_PART, false);
            MixtureWeights w = MixtureWeights.normalised(domains, weights);
            LOG.info("stage {}/{}: weights {}", k, stages, w);
            Map<String, Object> manifest = ComposeStage.compose(spark, settings, pool,
                    new ComposeStage.Request(strategy, null, null, null, null, size, null, k), Map.entry(strategy, w),
                    out.path("mixture"), req.pool());
            Json.write(conf, out.path("manifest.json"), manifest);
            long composeEnd = System.nanoTime();

            Dataset<Row> mixture = TableSchema.of("mixture").read(spark, out.path("mixture"));
            JavaRDD<SftFormat.Example> data = SftData.examples(spark, mixture, current.tokenizer(), current.config().context(),
                    partitions, Seeds.derive(seed, "stage", k)).persist(StorageLevel.MEMORY_AND_DISK());
            DataParallelTrainer.Options o = DataParallelTrainer.Options.of(spark, lmTrain, partitions, seed, "stage-" + k, stepStart);
            long stageSteps = DataParallelTrainer.stepsPerEpoch(data, current.config(), o) * t.getInt("epochs-per-stage");
            long totalSteps = totalStepsKnown > 0 ? totalStepsKnown : stageSteps * stages;
            Optimizer.Schedule sched = schedule(settings, totalSteps);
            DataParallelTrainer.State state = new DataParallelTrainer.State(current.params(),
                    current.optimizerState() != null && stepStart > 0 ? current.optimizerState() : Optimizer.fresh(sched, current.params()).state(),
                    stepStart);
            long checkpointEvery = lmTrain.getLong("checkpoint-every");
            try (Checkpoints ckpts = new Checkpoints(conf, stageDir)) {
                LmCheckpoint mid = ckpts.latest();
                if (mid != null && Integer.valueOf(k).equals(((Number) mid.state().getOrDefault("stage", -1)).intValue())) {
                    state = new DataParallelTrainer.State(mid.params(), mid.optimizerState(), mid.step());
                    LOG.info("stage {}: continuing from the in-stage checkpoint at step {}", k, mid.step());
                }
                long[] lastSaved = {state.step()};
                long end = stepStart + stageSteps;
                DataParallelTrainer.State s = DataParallelTrainer.train(spark, data, current.config(), state, sched, end, o,
                        (st, round) -> {
                            ckpts.offer(() -> checkpoint(current, st, k, totalSteps));
                            if (st.step() - lastSaved[0] >= checkpointEvery && st.step() < end) {
                                ckpts.save(checkpoint(current, st, k, totalSteps));
                                lastSaved[0] = st.step();
                            }
                            org.versatune.pipeline.util.FaultInjection.afterRound(st.step());
                        });
                long trainEnd = System.nanoTime();
                LmCheckpoint model = checkpoint(current, s, k, totalSteps);
                Map<String, Object> eval = evaluate(model, evalItems, mcItems, "stage " + k + ": evaluate");
                long evalEnd = System.nanoTime();
                double[] loss = losses(eval);
                double[] potentialScale = null;
                if (expansion) {
                    potentialScale = new double[domains.size()];
                    java.util.Arrays.fill(potentialScale, t.getDouble("expansion.potential-weight"));
                    potentialScale[target] = 1.0;
                }
                DomainWeightUpdater.Step u = updater.update(weights, loss, reference, best, potentialScale);
                double[] next = update ? u.after() : weights.clone();
                if (update && expansion) {
                    next = clampTarget(next, target, t.getDouble("expansion.alpha-min"), t.getDouble("expansion.alpha-max"));
                }
                double[] bestAfter = new double[loss.length];
                for (int i = 0; i < loss.length; i++) {
                    bestAfter[i] = Math.min(best[i], loss[i]);
                }
                long updateEnd = System.nanoTime();
                model.writeInto(conf, out.path("model"));
                long ckptEnd = System.nanoTime();
                Json.write(conf, out.path("eval.json"), eval);
                Map<String, Object> st = new LinkedHashMap<>();
                st.put("stage", k);
                st.put("weights", domains.toMap(weights));
                st.put("records", recordsByDomain(manifest));
                st.put("loss", domains.toMap(loss));
                st.put("reference_loss", domains.toMap(reference));
                st.put("best_previous", domains.toMap(best));
                st.put("learnable_potential", domains.toMap(u.potential()));
                st.put("forgetting_degree", domains.toMap(u.forgetting()));
                st.put("score", domains.toMap(u.score()));
                st.put("reweighted", update);
                st.put("next_weights", domains.toMap(next));
                st.put("best_after", domains.toMap(bestAfter));
                st.put("step_start", stepStart);
                st.put("step_end", s.step());
                st.put("total_steps", totalSteps);
                Map<String, Object> timing = new LinkedHashMap<>();
                timing.put("compose", secs(started, composeEnd));
                timing.put("train", secs(composeEnd, trainEnd));
                timing.put("eval", secs(trainEnd, evalEnd));
                timing.put("update", secs(evalEnd, updateEnd));
                timing.put("checkpoint", secs(updateEnd, ckptEnd));
                st.put("seconds", timing);
                Json.write(conf, out.path("state.json"), st);
                out.commit(st, settings);
                writeWeightsFile(k, st);
                ckpts.discard();
                data.unpersist();
                LOG.info("stage {}/{} done: loss {} -> next weights {}", k, stages, domains.toMap(loss), domains.toMap(next));
                return new StageResult(next, bestAfter, LmCheckpoint.load(conf, stageDir + "/model"), s.step(), totalSteps, st);
            } catch (Throwable e) { // Spark throws its checked SparkException undeclared
                out.abort();
                throw e;
            }
        }

        LmCheckpoint checkpoint(LmCheckpoint like, DataParallelTrainer.State s, int stage, long totalSteps) {
            Map<String, Object> st = new LinkedHashMap<>();
            st.put("stage", stage);
            st.put("step", s.step());
            st.put("total_steps", totalSteps);
            return new LmCheckpoint(like.config(), like.tokenizer(), s.params(), s.optimizer(), st);
        }

        double[] referenceLosses(LmCheckpoint base, Dataset<Row> pool, Dataset<Row> evalSft) {
            Map<String, Object> ref;
            if (req.referenceFile() != null) {
                ref = Json.readMap(conf, req.referenceFile());
            } else if (!t.getConfig("reference-losses").isEmpty()) {
                ref = t.getConfig("reference-losses").root().unwrapped();
            } else if (exists("reference.json")) {
                ref = Json.readMap(conf, path("reference.json"));
            } else {
                LOG.info("no reference losses given: running the reference step (one fine-tune per domain)");
                ref = ReferenceStage.compute(spark, settings, base, pool, evalSft);
            }
            double[] r = ReferenceStage.losses(ref, domains);
            if (!exists("reference.json")) {
                Json.write(conf, path("reference.json"), ref);
            }
            return r;
        }

        Map<String, Object> evaluation(String file, LmCheckpoint model, JavaRDD<DomainEvaluator.Item> items,
                                       JavaRDD<DomainEvaluator.Choice> mc, String label) {
            if (exists(file)) {
                return Json.readMap(conf, path(file));
            }
            Map<String, Object> e = evaluate(model, items, mc, label);
            Json.write(conf, path(file), e);
            return e;
        }

        Map<String, Object> evaluate(LmCheckpoint model, JavaRDD<DomainEvaluator.Item> items, JavaRDD<DomainEvaluator.Choice> mc,
                                     String label) {
            int batch = lmTrain.getInt("eval-tokens-per-batch");
            ModelPayload payload = ModelPayload.of(model);
            Map<String, DomainEvaluator.Sums> nll = DomainEvaluator.loss(spark, payload, items, batch, label + " (NLL)");
            Map<String, DomainEvaluator.Sums> acc = mc == null ? Map.of() : DomainEvaluator.multipleChoice(spark, payload, mc, batch,
                    label + " (multiple choice)");
            for (String d : domains.names()) {
                if (!nll.containsKey(d)) {
                    throw new IllegalArgumentException("the eval inputs have no SFT records for domain '" + d
                            + "': every configured domain needs an eval shard");
                }
            }
            return EvalMetrics.of(domains.names(), nll, acc);
        }

        double[] losses(Map<String, Object> eval) {
            Map<?, ?> per = (Map<?, ?>) eval.get("domains");
            double[] l = new double[domains.size()];
            for (int i = 0; i < l.length; i++) {
                l[i] = ((Number) ((Map<?, ?>) per.get(domains.name(i))).get("mean_nll")).doubleValue();
            }
            return l;
        }

        double[] toArray(Object map) {
            Map<String, Number> m = new LinkedHashMap<>();
            ((Map<?, ?>) map).forEach((k, v) -> m.put((String) k, (Number) v));
            return domains.fromMap(m, "stage state");
        }

        Map<String, Long> recordsByDomain(Map<String, Object> manifest) {
            Map<String, Long> m = new LinkedHashMap<>();
            ((Map<?, ?>) manifest.get("domains")).forEach((d, v) -> m.put((String) d, ((Number) ((Map<?, ?>) v).get("realised")).longValue()));
            return m;
        }

        List<Row> historyRows(Map<String, Object> st) {
            List<Row> rows = new ArrayList<>();
            int k = ((Number) st.get("stage")).intValue();
            for (String d : domains.names()) {
                rows.add(RowFactory.create(k, d, num(st, "weights", d), ((Number) ((Map<?, ?>) st.get("records")).get(d)).longValue(),
                        num(st, "loss", d), num(st, "reference_loss", d), num(st, "best_previous", d),
                        num(st, "learnable_potential", d), num(st, "forgetting_degree", d), num(st, "score", d),
                        num(st, "next_weights", d)));
            }
            return rows;
        }

        double num(Map<String, Object> st, String key, String d) {
            return ((Number) ((Map<?, ?>) st.get(key)).get(d)).doubleValue();
        }

        void writeWeightsFile(int k, Map<String, Object> st) {
            Map<String, Object> w = new LinkedHashMap<>();
            w.put("stage", k);
            w.put("weights", st.get("weights"));
            w.put("next_weights", st.get("next_weights"));
            w.put("loss", st.get("loss"));
            w.put("learnable_potential", st.get("learnable_potential"));
            w.put("forgetting_degree", st.get("forgetting_degree"));
            w.put("score", st.get("score"));
            w.put("reweighted", st.get("reweighted"));
            Json.write(conf, path("weights-stage-" + k + ".json"), w);
        }
    }

    /** Keeps the target's share within [min, max]; the other domains share the rest in their current proportions. */
    static double[] clampTarget(double[] w, int target, double min, double max) {
        double tw = Math.max(min, Math.min(max, w[target]));
        double rest = 0;
        for (int i = 0; i < w.length; i++) {
            if (i != target) {
                rest += w[i];
            }
        }
        double[] out = new double[w.length];
        for (int i = 0; i < w.length; i++) {
            out[i] = i == target ? tw : rest == 0 ? (1 - tw) / (w.length - 1) : w[i] / rest * (1 - tw);
        }
        return out;
    }

    static MixtureStrategy strategyOf(String weights) {
        try {
            return MixtureStrategy.parse(weights);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static double secs(long a, long b) {
        return Math.round((b - a) / 1e7) / 100.0;
    }
}
