package org.versatune.pipeline.train;

import com.typesafe.config.Config;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
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
import org.versatune.pipeline.eval.EvalMetrics;
import org.versatune.pipeline.io.InputPaths;
import org.versatune.pipeline.io.Json;
import org.versatune.pipeline.io.OutputFiles;
import org.versatune.pipeline.io.StageOutput;
import org.versatune.pipeline.lm.LmCheckpoint;
import org.versatune.pipeline.lm.MemoryCheck;
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
import org.versatune.pipeline.util.FaultInjection;
import org.versatune.pipeline.util.Seeds;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
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
    static final String SFT_TOKENS = "sft-tokens.json";
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

    /**
     * The base as fine-tuning holds it: fp32 master weights (a 16-bit import widened exactly), after the memory guard
     * has said what they need and refused what does not fit.
     */
    static LmCheckpoint fp32Master(SparkSession spark, Settings settings, LmCheckpoint base) {
        var train = settings.section("lm").getConfig("train");
        int tasks = spark.sparkContext().isLocal()
                ? Math.min(Math.max(1, train.getInt("partitions")), Runtime.getRuntime().availableProcessors()) : 0;
        MemoryCheck.requireFineTuneFits(base.config(), base.params().dataType(), train.getInt("tokens-per-batch"), tasks);
        return base.masterWeights();
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
            boolean fresh = !fs.exists(run) || Arrays.stream(fs.listStatus(run)).map(st -> st.getPath().getName())
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

    /** One run: the inputs prepared once, then the stages from wherever the run stands. */
    private static final class Runner {
        final SparkSession spark;
        final Settings settings;
        final Request req;
        final String run;
        final Configuration conf;
        final Domains domains;
        final long seed;
        final Config t;
        final Config lmTrain;
        final int partitions;

        /** Where the run stands before a stage: its weights, best losses so far, model and optimiser step. */
        record Position(double[] weights, double[] best, LmCheckpoint model, long step, long totalSteps) {
        }

        /** What every stage shares, prepared once per run. */
        record Inputs(Dataset<Row> pool, JavaRDD<DomainEvaluator.Item> evalItems, JavaRDD<DomainEvaluator.Choice> mcItems,
                      String strategy, double[] reference, int stages, long size, boolean reweight, boolean expansion, int target) {
        }

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

        /** Tokens trained over the stages, or null when a stage ran in a build that did not count them. */
        Long tokensTrained(int stages) {
            long sum = 0;
            for (int k = 1; k <= stages; k++) {
                String file = "stage-" + k + "/" + SFT_TOKENS;
                if (!exists(file)) {
                    return null;
                }
                sum += ((Number) Json.readMap(conf, path(file)).get("tokens")).longValue();
            }
            return sum;
        }

        boolean exists(String child) {
            return OutputFiles.exists(conf, path(child));
        }

        Map<String, Object> execute() {
            long started = System.nanoTime();
            LmCheckpoint base = fp32Master(spark, settings, LmCheckpoint.load(conf, req.base()));
            int stages = req.stages() != null ? req.stages() : t.getInt("stages");
            long size = req.stageSize() != null ? req.stageSize()
                    : t.getLong("stage-size") > 0 ? t.getLong("stage-size") : settings.section("compose").getLong("size");
            if (stages < 1 || size < 1) {
                throw new IllegalArgumentException("need at least one stage of at least one example (stages " + stages + ", size " + size + ")");
            }
            writeRequest(stages, size);

            // inputs shared by every stage
            EvalInputs.Data evalData = EvalInputs.read(spark, settings, req.eval());
            if (evalData.sft() == null) {
                throw new IllegalArgumentException("training needs SFT eval records (--eval) to measure each domain's loss");
            }
            Dataset<Row> evalSft = SftData.capPerDomain(evalData.sft(), t.getInt("eval-max-records"),
                    Seeds.derive(settings.seed(), "eval")).persist(StorageLevel.MEMORY_AND_DISK());
            Dataset<Row> pool = withoutEvalRecords(ComposeStage.readPool(spark, settings, req.pool()), evalSft)
                    .persist(StorageLevel.MEMORY_AND_DISK());
            int ctx = base.config().context();
            JavaRDD<DomainEvaluator.Item> evalItems = EvalInputs.sftItems(spark, evalSft, base.tokenizer(), ctx)
                    .persist(StorageLevel.MEMORY_AND_DISK());
            JavaRDD<DomainEvaluator.Choice> mcItems = evalData.mc() == null ? null
                    : EvalInputs.mcItems(spark, SftData.capPerDomain(evalData.mc(), t.getInt("eval-max-mc-items"),
                    Seeds.derive(settings.seed(), "eval-mc")), base.tokenizer(), ctx).persist(StorageLevel.MEMORY_AND_DISK());
            Map.Entry<String, MixtureWeights> initial = ComposeStage.weights(conf, settings, new ComposeStage.Request(req.weights(),
                    req.distribution(), req.target(), req.alpha(), null, size, null, 0), MixtureSampler.poolSizes(pool, domains));
            MixtureStrategy strategy = strategyOf(req.weights());
            boolean reweight = (req.reweight() != null ? req.reweight() : t.getBoolean("reweight"))
                    && (strategy == null || !(strategy == MixtureStrategy.SPECIFIC || strategy == MixtureStrategy.UNIFORM_REST));
            Inputs in = new Inputs(pool, evalItems, mcItems, initial.getKey(), referenceLosses(base, pool, evalSft), stages, size,
                    reweight, strategy == MixtureStrategy.VERSATUNE_EXPAND, req.target() == null ? -1 : domains.indexOf(req.target()));
            Map<String, Object> baseEval = evaluation("eval-base.json", base, in, "train: evaluate base model");

            // from the start, or after the last committed stage
            List<StageState> done = committedStages(stages);
            Position at = done.isEmpty()
                    ? new Position(initial.getValue().toArray(), losses(baseEval), base, 0, -1)
                    : after(done.get(done.size() - 1));
            if (!done.isEmpty()) {
                LOG.info("resuming run {} after stage {} (step {})", run, done.size(), at.step());
            }
            DomainWeightUpdater updater = new DomainWeightUpdater(DomainWeightUpdater.Params.from(t.getConfig("update")));
            for (int k = done.size() + 1; k <= stages; k++) {
                StageState st = stage(k, at, in, updater);
                done.add(st);
                at = after(st);
            }
            Map<String, Object> stats = finish(done, at, in, initial, baseEval, started);
            pool.unpersist();
            evalSft.unpersist();
            evalItems.unpersist();
            if (mcItems != null) {
                mcItems.unpersist();
            }
            return stats;
        }

        void writeRequest(int stages, long size) {
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
        }

        /** The committed stages, in order, up to the first that is not. */
        List<StageState> committedStages(int stages) {
            List<StageState> done = new ArrayList<>();
            for (int k = 1; k <= stages && StageOutput.isComplete(conf, path("stage-" + k), STAGE_PART); k++) {
                String file = path("stage-" + k + "/state.json");
                done.add(StageState.read(Json.readMap(conf, file), domains, file));
            }
            return done;
        }

        Position after(StageState st) {
            return new Position(st.nextWeights(), st.bestAfter(), LmCheckpoint.load(conf, path("stage-" + st.stage() + "/model")),
                    st.stepEnd(), st.totalSteps());
        }

        /** Weight history, final model, summary, then the run's marker. */
        Map<String, Object> finish(List<StageState> done, Position at, Inputs in, Map.Entry<String, MixtureWeights> initial,
                                   Map<String, Object> baseEval, long started) {
            List<Row> history = new ArrayList<>();
            for (StageState st : done) {
                history.addAll(st.historyRows(domains));
                if (!exists("weights-stage-" + st.stage() + ".json")) {
                    Json.write(conf, path("weights-stage-" + st.stage() + ".json"), st.weightsFile(domains));
                }
            }
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
            at.model().save(conf, path("model"));
            Map<String, Object> stats = new LinkedHashMap<>();
            stats.put("strategy", initial.getKey());
            stats.put("split_special_tokens", at.model().tokenizer().splitSpecialTokens());
            stats.put("reweight", in.reweight());
            stats.put("stages", in.stages());
            stats.put("stage_size", in.size());
            stats.put("steps", at.step());
            Long tokens = tokensTrained(in.stages());
            if (tokens != null) {
                stats.put("tokens_trained", tokens);
            }
            stats.put("initial_weights", initial.getValue().toMap());
            stats.put("final_weights", domains.toMap(at.weights()));
            stats.put("reference_losses", domains.toMap(in.reference()));
            stats.put("base_eval", baseEval);
            stats.put("final_eval", Json.readMap(conf, path("stage-" + in.stages() + "/eval.json")));
            stats.put("seconds", Math.round((System.nanoTime() - started) / 1e7) / 100.0);
            Json.write(conf, path("summary.json"), stats);
            Json.write(conf, path(StageOutput.STATS), stats);
            Json.writeText(conf, path(StageOutput.MARKER), STAGE + "\n");
            return stats;
        }

        /** Compose the stage's mixture, train one pass over it, evaluate, update the weights; commit it all as stage-k. */
        StageState stage(int k, Position at, Inputs in, DomainWeightUpdater updater) {
            String stageDir = path("stage-" + k);
            StageState[] result = new StageState[1];
            try (Checkpoints ckpts = new Checkpoints(conf, stageDir)) {
                StageOutput.run(spark, settings, stageDir, STAGE_PART, false, out -> {
                    result[0] = trainStage(k, at, in, updater, ckpts, out);
                    return result[0].toJson(domains);
                });
                ckpts.discard();
            }
            Json.write(conf, path("weights-stage-" + k + ".json"), result[0].weightsFile(domains));
            LOG.info("stage {}/{} done: loss {} -> next weights {}", k, in.stages(), domains.toMap(result[0].loss()),
                    domains.toMap(result[0].nextWeights()));
            return result[0];
        }

        StageState trainStage(int k, Position at, Inputs in, DomainWeightUpdater updater, Checkpoints ckpts, StageOutput out) {
            long started = System.nanoTime();
            MixtureWeights w = MixtureWeights.normalised(domains, at.weights());
            LOG.info("stage {}/{}: weights {}", k, in.stages(), w);
            Map<String, Object> manifest = ComposeStage.compose(spark, settings, in.pool(),
                    new ComposeStage.Request(in.strategy(), null, null, null, null, in.size(), null, k), Map.entry(in.strategy(), w),
                    out.path("mixture"), req.pool());
            Json.write(conf, out.path("manifest.json"), manifest);
            long composeEnd = System.nanoTime();

            LmCheckpoint current = at.model();
            Dataset<Row> mixture = TableSchema.of("mixture").read(spark, out.path("mixture"));
            JavaRDD<SftFormat.Example> data = SftData.examples(spark, mixture, current.tokenizer(), current.config().context(),
                    partitions, Seeds.derive(seed, "stage", k)).persist(StorageLevel.MEMORY_AND_DISK());
            DataParallelTrainer.Options o = DataParallelTrainer.Options.of(spark, lmTrain, partitions, seed, "stage-" + k, at.step());
            long stageSteps = DataParallelTrainer.stepsPerEpoch(data, current.config(), o) * t.getInt("epochs-per-stage");
            // the tokens this stage trains on, for the SFT-to-pretraining ratio a run is read against
            long stageTokens = data.map(e -> (long) e.tokens().length).fold(0L, Long::sum) * t.getInt("epochs-per-stage");
            Json.write(conf, out.path(SFT_TOKENS), Map.of("tokens", stageTokens));
            long totalSteps = at.totalSteps() > 0 ? at.totalSteps() : stageSteps * in.stages();
            Optimizer.Schedule sched = schedule(settings, totalSteps);
            DataParallelTrainer.State state = new DataParallelTrainer.State(current.params(),
                    current.optimizerState() != null && at.step() > 0 ? current.optimizerState() : Optimizer.fresh(sched, current.params()).state(),
                    at.step());
            LmCheckpoint mid = ckpts.latest();
            if (mid != null && Integer.valueOf(k).equals(((Number) mid.state().getOrDefault("stage", -1)).intValue())) {
                state = new DataParallelTrainer.State(mid.params(), mid.optimizerState(), mid.step());
                LOG.info("stage {}: continuing from the in-stage checkpoint at step {}", k, mid.step());
            }
            long checkpointEvery = lmTrain.getLong("checkpoint-every");
            long[] lastSaved = {state.step()};
            long end = at.step() + stageSteps;
            DataParallelTrainer.State s = DataParallelTrainer.train(spark, data, current.config(), state, sched, end, o,
                    (st, round) -> {
                        ckpts.offer(() -> checkpoint(current, st, k, totalSteps));
                        if (st.step() - lastSaved[0] >= checkpointEvery && st.step() < end) {
                            ckpts.save(checkpoint(current, st, k, totalSteps));
                            lastSaved[0] = st.step();
                        }
                        FaultInjection.afterRound(st.step());
                    });
            data.unpersist();
            long trainEnd = System.nanoTime();
            LmCheckpoint model = checkpoint(current, s, k, totalSteps);
            Map<String, Object> eval = evaluate(model, in, "stage " + k + ": evaluate");
            long evalEnd = System.nanoTime();

            double[] loss = losses(eval);
            double[] potentialScale = null;
            if (in.expansion()) {
                potentialScale = new double[domains.size()];
                Arrays.fill(potentialScale, t.getDouble("expansion.potential-weight"));
                potentialScale[in.target()] = 1.0;
            }
            DomainWeightUpdater.Step u = updater.update(at.weights(), loss, in.reference(), at.best(), potentialScale);
            boolean update = in.reweight() && k < in.stages();
            double[] next = update ? u.after() : at.weights().clone();
            if (update && in.expansion()) {
                next = clampTarget(next, in.target(), t.getDouble("expansion.alpha-min"), t.getDouble("expansion.alpha-max"));
            }
            double[] bestAfter = new double[loss.length];
            for (int i = 0; i < loss.length; i++) {
                bestAfter[i] = Math.min(at.best()[i], loss[i]);
            }
            long updateEnd = System.nanoTime();
            model.writeInto(conf, out.path("model"));
            Json.write(conf, out.path("eval.json"), eval);
            Map<String, Double> timing = new LinkedHashMap<>();
            timing.put("compose", secs(started, composeEnd));
            timing.put("train", secs(composeEnd, trainEnd));
            timing.put("eval", secs(trainEnd, evalEnd));
            timing.put("update", secs(evalEnd, updateEnd));
            timing.put("checkpoint", secs(updateEnd, System.nanoTime()));
            StageState st = new StageState(k, at.weights(), recordsByDomain(manifest), loss, in.reference(), at.best(), u.potential(),
                    u.forgetting(), u.score(), update, next, bestAfter, at.step(), s.step(), totalSteps, timing);
            Json.write(conf, out.path("state.json"), st.toJson(domains));
            return st;
        }

        LmCheckpoint checkpoint(LmCheckpoint like, DataParallelTrainer.State s, int stage, long totalSteps) {
            Map<String, Object> st = new LinkedHashMap<>();
            st.put("stage", stage);
            st.put("step", s.step());
            st.put("total_steps", totalSteps);
            return new LmCheckpoint(like.config(), like.tokenizer(), s.params(), s.optimizer(), st);
        }

        /** Given (request, config), saved with the run, or computed by the reference step, in that order. */
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

        Map<String, Object> evaluation(String file, LmCheckpoint model, Inputs in, String label) {
            if (exists(file)) {
                return Json.readMap(conf, path(file));
            }
            Map<String, Object> e = evaluate(model, in, label);
            Json.write(conf, path(file), e);
            return e;
        }

        Map<String, Object> evaluate(LmCheckpoint model, Inputs in, String label) {
            int batch = lmTrain.getInt("eval-tokens-per-batch");
            ModelPayload payload = ModelPayload.of(spark, settings, model);
            Map<String, DomainEvaluator.Sums> nll = DomainEvaluator.loss(spark, payload, in.evalItems(), batch, label + " (NLL)");
            Map<String, DomainEvaluator.Sums> acc = in.mcItems() == null ? Map.of()
                    : DomainEvaluator.multipleChoice(spark, payload, in.mcItems(), batch, label + " (multiple choice)");
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

        Map<String, Long> recordsByDomain(Map<String, Object> manifest) {
            Map<String, Long> m = new LinkedHashMap<>();
            ((Map<?, ?>) manifest.get("domains")).forEach((d, v) -> m.put((String) d, ((Number) ((Map<?, ?>) v).get("realised")).longValue()));
            return m;
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
