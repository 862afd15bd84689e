package org.versatune.pipeline.lm;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Runs training steps on one model in this process: the unit of work of every trainer (a data-parallel
 * worker runs it on its shard between averaging rounds; with one worker it is plain training).
 */
public final class LocalTrainer {
    private LocalTrainer() {
    }

    /** Totals of a run of steps. */
    public record Totals(double nllSum, double tokens, int steps, long paddedTokens, double lastGradNorm, double lastLr) {
        public double meanLoss() {
            return tokens == 0 ? Double.NaN : nllSum / tokens;
        }

        public Totals plus(Totals o) {
            return new Totals(nllSum + o.nllSum, tokens + o.tokens, steps + o.steps, paddedTokens + o.paddedTokens,
                    o.lastGradNorm, o.lastLr);
        }

        public static Totals empty() {
            return new Totals(0, 0, 0, 0, Double.NaN, Double.NaN);
        }
    }

    /** Listener called after each step (driver-side progress in single-process runs). */
    public interface StepListener {
        void afterStep(long step, TransformerLm.StepLoss loss, Optimizer.Update update);
    }

    /**
     * Trains global steps {@code [from, to)} taking batches from {@code plan} at {@code from + offset}
     * onward (offset lets a worker index its own shard's plan).
     */
    public static Totals run(TransformerLm model, Optimizer opt, Optimizer.Schedule schedule, BatchPlan plan,
                             long from, long to, long planOffset, StepListener listener) {
        Totals t = Totals.empty();
        INDArray params = model.params();
        for (long step = from; step < to; step++) {
            Batch b = plan.batch(step - planOffset);
            TransformerLm.StepLoss loss = model.trainStep(b);
            if (!Double.isFinite(loss.nllSum())) {
                throw new Optimizer.NonFiniteException("loss is " + loss.nllSum() + " at step " + step
                        + "; lower versatune.lm.train.learning-rate or check the data");
            }
            Optimizer.Update u = opt.apply(schedule, params, model.grads(), step);
            t = t.plus(new Totals(loss.nllSum(), loss.tokens(), 1, (long) b.rows() * b.length(), u.gradNorm(), u.lr()));
            if (listener != null) {
                listener.afterStep(step, loss, u);
            }
        }
        return t;
    }
}
