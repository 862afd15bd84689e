package org.versatune.pipeline.parallel;

import com.typesafe.config.Config;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.versatune.pipeline.lm.BatchPlan;
import org.versatune.pipeline.lm.LmConfig;
import org.versatune.pipeline.lm.LocalTrainer;
import org.versatune.pipeline.lm.MemoryCheck;
import org.versatune.pipeline.lm.NdThreads;
import org.versatune.pipeline.lm.Optimizer;
import org.versatune.pipeline.lm.SftFormat;
import org.versatune.pipeline.lm.TransformerLm;
import org.versatune.pipeline.util.Progress;
import org.versatune.pipeline.util.Seeds;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Data-parallel training on Spark in the shape of DL4J's parameter-averaging TrainingMaster: each round the
 * driver broadcasts the parameters and Adam moments, every partition trains {@code localSteps} steps on its
 * own shard (batches from a plan seeded by (run seed, label, partition), so results do not depend on which
 * executor runs it), the partitions' parameters and moments are collected and averaged on the driver, added in
 * partition order so that the order in which tasks finish cannot change the result (the driver holds one copy
 * of parameters and moments per partition for that moment). With one partition this is exactly
 * {@link LocalTrainer} training.
 */
public final class DataParallelTrainer {
    private static final Logger LOG = LoggerFactory.getLogger(DataParallelTrainer.class);

    /** Where training stands: parameters, Adam moments, global step. */
    public record State(INDArray params, INDArray optimizer, long step) {
    }

    /**
     * How to train. {@code label} names the run/stage in seeds and progress lines; batch plans index steps
     * from {@code planOffset} (the first global step of a stage) so each stage starts a fresh pass.
     */
    public record Options(int localSteps, int tokensPerBatch, long seed, String label, long planOffset, int threadsPerTask)
            implements Serializable {
        /** Options with threads per task worked out for this session (see {@link NdThreads#forTask}). */
        public static Options of(SparkSession spark, Config train, int partitions, long seed, String label,
                                 long planOffset) {
            return new Options(train.getInt("local-steps"), train.getInt("tokens-per-batch"), seed, label, planOffset,
                    NdThreads.perTask(spark, train.getInt("threads-per-task"), partitions));
        }
    }

    /** Called after every round on the driver with the averaged state (checkpointing hooks in here). */
    public interface RoundListener {
        void afterRound(State state, LocalTrainer.Totals round);
    }

    private DataParallelTrainer() {
    }

    /** Seed of the batch plan of one partition. */
    public static long planSeed(long seed, String label, int partition) {
        return Seeds.derive(seed, label, "partition", partition);
    }

    /** Steps in one pass over every partition's shard (the largest shard decides). */
    public static long stepsPerEpoch(JavaRDD<SftFormat.Example> data, LmConfig cfg, Options o) {
        int ctx = cfg.context();
        List<Integer> perPartition = data.mapPartitionsWithIndex((p, it) -> {
            List<SftFormat.Example> ex = new ArrayList<>();
            it.forEachRemaining(ex::add);
            int steps = ex.isEmpty() ? 0 : new BatchPlan(ex, o.tokensPerBatch(), ctx, planSeed(o.seed(), o.label(), p)).stepsPerEpoch();
            return List.of(steps).iterator();
        }, true).collect();
        if (perPartition.stream().anyMatch(s -> s == 0)) {
            throw new IllegalArgumentException("a training partition has no examples: use fewer partitions than "
                    + "examples (versatune.lm.train.partitions)");
        }
        return perPartition.stream().mapToInt(Integer::intValue).max().orElse(0);
    }

    /** What one partition returns after its local steps. */
    static final class Part implements Serializable {
        float[] params;
        float[] optimizer;
        double nll;
        double tokens;
        long padded;
        double gradNorm;
    }

    /**
     * Averages the partitions' parameters and moments, adding them in partition order (in double precision, then
     * rounded once to float), so the result does not depend on which task finished first.
     */
    static float[][] average(List<Part> parts) {
        int n = parts.get(0).params.length;
        int m = parts.get(0).optimizer.length;
        double[] p = new double[n];
        double[] o = new double[m];
        for (Part part : parts) {
            for (int i = 0; i < n; i++) {
                p[i] += part.params[i];
            }
            for (int i = 0; i < m; i++) {
                o[i] += part.optimizer[i];
            }
        }
        return new float[][]{toFloats(p, parts.size()), toFloats(o, parts.size())};
    }

    /**
     * Trains from {@code start} to global step {@code endStep} on {@code data} (one shard per partition;
     * persist it before calling). Returns the final averaged state.
     */
    public static State train(SparkSession spark, JavaRDD<SftFormat.Example> data, LmConfig cfg, State start,
                              Optimizer.Schedule schedule, long endStep, Options o, RoundListener listener) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        int partitions = data.getNumPartitions();
        if (spark.sparkContext().isLocal()) {
            MemoryCheck.requireTrainingFits(cfg, o.tokensPerBatch(), Math.min(partitions, Runtime.getRuntime().availableProcessors()));
        }
        State state = start;
        Progress progress = new Progress(LOG, "train " + o.label(), start.step(), endStep);
        long firstStep = start.step();
        double tokensDone = 0;
        while (state.step() < endStep) {
            long from = state.step();
            long to = Math.min(endStep, o.planOffset() + ((from - o.planOffset()) / o.localSteps() + 1) * o.localSteps());
            spark.sparkContext().setJobDescription(o.label() + ": train steps " + from + "-" + to);
            Broadcast<float[]> params = jsc.broadcast(state.params().toFloatVector());
            Broadcast<float[]> moments = jsc.broadcast(state.optimizer().toFloatVector());
            int ctx = cfg.context();
            List<Part> parts;
            try {
                // collect() returns the partitions in index order
                parts = data.mapPartitionsWithIndex((p, it) -> {
                    try {
                        return List.of(trainShard(p, it, cfg, ctx, params.value(), moments.value(), schedule, from, to, o)).iterator();
                    } catch (OutOfMemoryError e) {
                        throw MemoryCheck.explain(e);
                    }
                }, true).collect();
            } catch (OutOfMemoryError e) {
                throw MemoryCheck.explain(e);
            }
            params.destroy();
            moments.destroy();
            if (parts.size() != partitions) {
                throw new IllegalStateException("expected results from " + partitions + " partitions, got " + parts.size());
            }
            float[][] avg = average(parts);
            state = new State(Nd4j.createFromArray(avg[0]), Nd4j.createFromArray(avg[1]), to);
            double nll = 0;
            double tokens = 0;
            long padded = 0;
            double gradNorm = 0;
            for (Part part : parts) {
                nll += part.nll;
                tokens += part.tokens;
                padded += part.padded;
                gradNorm = Math.max(gradNorm, part.gradNorm);
            }
            LocalTrainer.Totals round = new LocalTrainer.Totals(nll, tokens, (int) (to - from), padded, gradNorm,
                    schedule.lrAt(to - 1));
            tokensDone += padded;
            double tps = tokensDone / Math.max(1e-9, progress.elapsedSeconds());
            progress.update(to, "steps", tps, String.format("loss %.4f, lr %.2e, %.0f tokens/s", round.meanLoss(),
                    round.lastLr(), tps), to == endStep || to - firstStep == o.localSteps());
            if (listener != null) {
                listener.afterRound(state, round);
            }
        }
        spark.sparkContext().setJobDescription(null);
        return state;
    }

    private static Part trainShard(int p, Iterator<SftFormat.Example> it, LmConfig cfg, int ctx, float[] params,
                                  float[] moments, Optimizer.Schedule schedule, long from, long to, Options o) {
        List<SftFormat.Example> ex = new ArrayList<>();
        it.forEachRemaining(ex::add);
        MemoryCheck.requireTrainingFits(cfg, o.tokensPerBatch(), 1);
        NdThreads.use(o.threadsPerTask());
        BatchPlan plan = new BatchPlan(ex, o.tokensPerBatch(), ctx, planSeed(o.seed(), o.label(), p));
        TransformerLm model = new TransformerLm(cfg, DataType.FLOAT, Nd4j.createFromArray(params));
        Optimizer opt = new Optimizer(schedule, Nd4j.createFromArray(moments));
        LocalTrainer.Totals t = LocalTrainer.run(model, opt, schedule, plan, from, to, o.planOffset(), null);
        Part s = new Part();
        s.params = model.params().toFloatVector();
        s.optimizer = opt.state().toFloatVector();
        s.nll = t.nllSum();
        s.tokens = t.tokens();
        s.padded = t.paddedTokens();
        s.gradNorm = t.lastGradNorm();
        return s;
    }

    private static float[] toFloats(double[] sum, int parts) {
        float[] f = new float[sum.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) (sum[i] / parts);
        }
        return f;
    }
}
