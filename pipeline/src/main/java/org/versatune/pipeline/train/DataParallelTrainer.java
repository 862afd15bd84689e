package org.versatune.pipeline.train;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
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
 * executor runs it), the partitions' parameters and moments are summed with treeAggregate and averaged on the
 * driver. Sums are accumulated in double precision so that the order in which tasks finish does not change
 * the result. With one partition this is exactly {@link LocalTrainer} training.
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
        public static Options of(SparkSession spark, com.typesafe.config.Config train, int partitions, long seed, String label,
                                 long planOffset) {
            int slots = spark.sparkContext().isLocal() ? Math.min(partitions, Runtime.getRuntime().availableProcessors()) : 1;
            int configured = train.getInt("threads-per-task");
            if (configured <= 0 && !spark.sparkContext().isLocal()) {
                configured = Integer.parseInt(spark.conf().get("spark.task.cpus", "1"));
            }
            return new Options(train.getInt("local-steps"), train.getInt("tokens-per-batch"), seed, label, planOffset,
                    NdThreads.forTask(configured, slots));
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

    /** Partial sums of one or more partitions' results. */
    static final class Sum implements Serializable {
        double[] params;
        double[] optimizer;
        int parts;
        double nll;
        double tokens;
        long padded;
        double gradNorm;

        Sum add(Sum o) {
            if (o.parts == 0) {
                return this;
            }
            if (parts == 0) {
                return o;
            }
            for (int i = 0; i < params.length; i++) {
                params[i] += o.params[i];
            }
            for (int i = 0; i < optimizer.length; i++) {
                optimizer[i] += o.optimizer[i];
            }
            parts += o.parts;
            nll += o.nll;
            tokens += o.tokens;
            padded += o.padded;
            gradNorm = Math.max(gradNorm, o.gradNorm);
            return this;
        }
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
            Sum sum;
            try {
                sum = data.mapPartitionsWithIndex((p, it) -> {
                    try {
                        return List.of(trainShard(p, it, cfg, ctx, params.value(), moments.value(), schedule, from, to, o)).iterator();
                    } catch (OutOfMemoryError e) {
                        throw MemoryCheck.explain(e);
                    }
                }, true).treeAggregate(new Sum(), (acc, s) -> acc.add(s), (a, b) -> a.add(b));
            } catch (OutOfMemoryError e) {
                throw MemoryCheck.explain(e);
            }
            params.destroy();
            moments.destroy();
            if (sum.parts != partitions) {
                throw new IllegalStateException("expected results from " + partitions + " partitions, got " + sum.parts);
            }
            INDArray p = toFloats(sum.params, partitions);
            INDArray m = toFloats(sum.optimizer, partitions);
            state = new State(p, m, to);
            LocalTrainer.Totals round = new LocalTrainer.Totals(sum.nll, sum.tokens, (int) (to - from), sum.padded,
                    sum.gradNorm, schedule.lrAt(to - 1));
            tokensDone += sum.padded;
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

    private static Sum trainShard(int p, Iterator<SftFormat.Example> it, LmConfig cfg, int ctx, float[] params,
                                  float[] moments, Optimizer.Schedule schedule, long from, long to, Options o) {
        List<SftFormat.Example> ex = new ArrayList<>();
        it.forEachRemaining(ex::add);
        MemoryCheck.requireTrainingFits(cfg, o.tokensPerBatch(), 1);
        NdThreads.use(o.threadsPerTask());
        BatchPlan plan = new BatchPlan(ex, o.tokensPerBatch(), ctx, planSeed(o.seed(), o.label(), p));
        TransformerLm model = new TransformerLm(cfg, org.nd4j.linalg.api.buffer.DataType.FLOAT, Nd4j.createFromArray(params));
        Optimizer opt = new Optimizer(schedule, Nd4j.createFromArray(moments));
        LocalTrainer.Totals t = LocalTrainer.run(model, opt, schedule, plan, from, to, o.planOffset(), null);
        Sum s = new Sum();
        s.params = toDoubles(model.params());
        s.optimizer = toDoubles(opt.state());
        s.parts = 1;
        s.nll = t.nllSum();
        s.tokens = t.tokens();
        s.padded = t.paddedTokens();
        s.gradNorm = t.lastGradNorm();
        return s;
    }

    private static double[] toDoubles(INDArray a) {
        float[] f = a.toFloatVector();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    private static INDArray toFloats(double[] sum, int parts) {
        float[] f = new float[sum.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) (sum[i] / parts);
        }
        return Nd4j.createFromArray(f);
    }
}
