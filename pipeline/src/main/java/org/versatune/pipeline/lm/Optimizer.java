package org.versatune.pipeline.lm;

import com.typesafe.config.Config;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.Adam;

import java.io.Serializable;

/**
 * Adam (ND4J's updater) over the flat parameter vector, with linear warm-up then cosine decay of the learning
 * rate and clipping by global gradient norm. Its state (first and second moments) is one flat array, so it
 * can be checkpointed and averaged across data-parallel workers like the parameters.
 */
public final class Optimizer {
    /** Learning-rate schedule and clipping; {@code totalSteps} is the length of the cosine. */
    public record Schedule(double lr, double minLrRatio, int warmupSteps, long totalSteps, double clipNorm,
                           double beta1, double beta2, double epsilon) implements Serializable {
        public double lrAt(long step) {
            if (step < warmupSteps) {
                return lr * (step + 1) / warmupSteps;
            }
            double progress = totalSteps <= warmupSteps ? 1 : Math.min(1.0, (double) (step - warmupSteps) / (totalSteps - warmupSteps));
            double min = lr * minLrRatio;
            return min + 0.5 * (lr - min) * (1 + Math.cos(Math.PI * progress));
        }

        public static Schedule from(Config c, long totalSteps) {
            return new Schedule(c.getDouble("learning-rate"), c.getDouble("min-lr-ratio"), c.getInt("warmup-steps"),
                    totalSteps, c.getDouble("clip-norm"), c.getDouble("beta1"), c.getDouble("beta2"), c.getDouble("epsilon"));
        }
    }

    private final Adam adam;
    private final INDArray state;
    private final GradientUpdater<?> updater;

    /** A new optimizer (zero moments) for {@code params}. */
    public static Optimizer fresh(Schedule s, INDArray params) {
        return new Optimizer(s, Nd4j.zeros(params.dataType(), 2 * params.length()));
    }

    /** An optimizer continuing from saved moments ({@code 2 x parameters}); the array is updated in place. */
    public Optimizer(Schedule s, INDArray state) {
        this.adam = new Adam(s.lr(), s.beta1(), s.beta2(), s.epsilon());
        this.state = state;
        this.updater = adam.instantiate(state.reshape(1, state.length()), false);
    }

    public INDArray state() {
        return state;
    }

    /** Result of one update: the gradient norm before clipping and the learning rate used. */
    public record Update(double gradNorm, double lr) {
    }

    /**
     * Clips {@code grads} in place, then applies the Adam update for global {@code step} to {@code params}.
     * Throws when the gradient is not finite, naming the step.
     */
    public Update apply(Schedule s, INDArray params, INDArray grads, long step) {
        // the Java sum does not depend on how many threads are free (ND4J's norm2 does): resumes stay exact
        double norm = TransformerLm.HOST_KERNELS ? Math.sqrt(RowKernels.sumOfSquares(grads)) : grads.norm2Number().doubleValue();
        if (!Double.isFinite(norm)) {
            throw new NonFiniteException("gradient norm is " + norm + " at step " + step
                    + "; lower versatune.lm.train.learning-rate or check the data");
        }
        if (s.clipNorm() > 0 && norm > s.clipNorm()) {
            grads.muli(s.clipNorm() / norm);
        }
        double lr = s.lrAt(step);
        adam.setLearningRate(lr);
        updater.applyUpdater(grads.reshape(1, grads.length()), (int) step, 0);
        params.subi(grads);
        return new Update(norm, lr);
    }

    /** Training produced NaN or infinity. */
    public static final class NonFiniteException extends IllegalStateException {
        public NonFiniteException(String message) {
            super(message);
        }
    }
}
