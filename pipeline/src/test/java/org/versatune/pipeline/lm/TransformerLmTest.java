package org.versatune.pipeline.lm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class TransformerLmTest {
    static final LmConfig TINY = new LmConfig(264, 6, 8, 2, 2, 2);
    /** GPT-2's components: a bias on every linear layer, GELU's tanh form. */
    static final LmConfig TINY_GPT2 = new LmConfig(264, 6, 8, 2, 2, 2, LmConfig.GELU_TANH, true);

    /** The Llama family: RMSNorm, rotary positions, SwiGLU; grouped key/value heads and an untied head, or neither. */
    static final LmConfig TINY_LLAMA_GQA = LmConfig.llama(264, 6, 8, 2, 2, new LmConfig.Llama(1, 12, 10000, 1e-5, false));
    static final LmConfig TINY_LLAMA_TIED = LmConfig.llama(264, 6, 8, 2, 2, new LmConfig.Llama(2, 12, 500, 1e-6, true));
    /**
     * Qwen2's q/k/v biases and Qwen3's per-head query/key norms with a head size (6) other than d-model / heads,
     * under llama3 rope scaling (a shape no family has, that exercises every option's backward pass at once).
     */
    static final LmConfig TINY_QWEN = LmConfig.llama(264, 6, 8, 2, 2, new LmConfig.Llama(1, 12, 10000, 1e-6, false, 6,
            true, true, new LmConfig.RopeScaling(LmConfig.RopeScaling.LLAMA3, 8, 1, 4, 4)));

    static Stream<LmConfig> shapes() {
        return Stream.of(TINY, TINY_GPT2, TINY_LLAMA_GQA, TINY_LLAMA_TIED, TINY_QWEN);
    }

    static Batch randomBatch(LmConfig c, int rows, int len, long seed, boolean partialMask) {
        Random r = new Random(seed);
        int[][] seqs = new int[rows][];
        int[] from = new int[rows];
        for (int i = 0; i < rows; i++) {
            seqs[i] = new int[len + 1 - (partialMask && i == 0 ? 2 : 0)];
            for (int t = 0; t < seqs[i].length; t++) {
                seqs[i][t] = r.nextInt(c.vocabSize());
            }
            from[i] = partialMask ? i % 3 : 0;
        }
        return Batch.of(seqs, from, len);
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void analyticGradientMatchesFiniteDifferences(LmConfig shape) {
        TransformerLm m = TransformerLm.initialise(shape, 3, DataType.DOUBLE);
        // larger weights than the init so that every path carries signal
        Random r = new Random(5);
        INDArray p = m.params();
        for (long i = 0; i < p.length(); i++) {
            p.putScalar(i, p.getDouble(i) + r.nextGaussian() * 0.1);
        }
        Batch b = randomBatch(shape, 3, 6, 11, true);
        m.trainStep(b);
        INDArray analytic = m.grads().dup();
        double eps = 1e-6;
        int checked = 0;
        double worst = 0;
        for (int k = 0; k < 400; k++) {
            long i = (long) (r.nextDouble() * p.length());
            double orig = p.getDouble(i);
            p.putScalar(i, orig + eps);
            double up = m.trainStep(b).mean();
            p.putScalar(i, orig - eps);
            double down = m.trainStep(b).mean();
            p.putScalar(i, orig);
            double numeric = (up - down) / (2 * eps);
            double a = analytic.getDouble(i);
            // finite differences carry ~1e-9 of round-off at this eps: allow that plus 1e-5 relative
            double excess = Math.abs(a - numeric) - (1e-8 + 1e-5 * Math.abs(numeric));
            worst = Math.max(worst, excess);
            if (Math.abs(numeric) > 1e-6) {
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(200);
        assertThat(worst).as("largest error beyond tolerance").isLessThanOrEqualTo(0);
    }

    @Test
    void theDeviceBackendPathComputesTheSameAsTheHostKernels() {
        TransformerLm m = TransformerLm.initialise(TINY, 3, DataType.DOUBLE);
        Batch b = randomBatch(TINY, 3, 6, 11, true);
        m.trainStep(b);
        INDArray host = m.grads().dup();
        boolean was = TransformerLm.HOST_KERNELS;
        TransformerLm.HOST_KERNELS = false;
        try {
            double loss = m.trainStep(b).nllSum();
            assertThat(m.grads().equalsWithEps(host, 1e-12)).isTrue();
            assertThat(loss).isFinite();
        } finally {
            TransformerLm.HOST_KERNELS = was;
        }
    }

    @Test
    void scoreAgreesWithTrainStepLoss() {
        TransformerLm m = TransformerLm.initialise(TINY, 4, DataType.DOUBLE);
        Batch b = randomBatch(TINY, 4, 6, 12, true);
        double[] counts = new double[4];
        double[] rows = m.score(b, counts);
        TransformerLm.StepLoss loss = m.trainStep(b);
        double sum = 0;
        double n = 0;
        for (int i = 0; i < 4; i++) {
            sum += rows[i];
            n += counts[i];
        }
        assertThat(sum).isCloseTo(loss.nllSum(), within(1e-9));
        assertThat(n).isEqualTo(loss.tokens());
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void incrementalGenerationMatchesTheFullForwardPass(LmConfig shape) {
        TransformerLm m = TransformerLm.initialise(shape, 7, DataType.DOUBLE);
        m.params().addi(Nd4j.rand(DataType.DOUBLE, m.params().length()).subi(0.5).muli(0.2));   // non-zero biases
        Batch b = randomBatch(shape, 2, 6, 13, false);
        // full pass: log p of the targets at every position
        double[] counts = new double[2];
        double[] full = m.score(b, counts);
        TransformerLm.KvCache cache = m.newCache(2);
        double[] inc = new double[2];
        for (int t = 0; t < 6; t++) {
            int[] tok = {b.tokens()[t], b.tokens()[6 + t]};
            INDArray logits = m.step(cache, tok, t);
            for (int r = 0; r < 2; r++) {
                double max = logits.getRow(r).maxNumber().doubleValue();
                double z = 0;
                for (int v = 0; v < shape.vocabSize(); v++) {
                    z += Math.exp(logits.getDouble(r, v) - max);
                }
                inc[r] -= logits.getDouble(r, b.targets()[r * 6 + t]) - max - Math.log(z);
            }
        }
        assertThat(inc[0]).isCloseTo(full[0], within(1e-9));
        assertThat(inc[1]).isCloseTo(full[1], within(1e-9));
    }

    /** In fp32 a generation step takes the Java row kernels (rotation, RMSNorm, attention): every row against the forward pass. */
    @ParameterizedTest
    @MethodSource("shapes")
    void fp32StepsOfSeveralRowsMatchTheFullForwardPass(LmConfig shape) {
        TransformerLm m = TransformerLm.initialise(shape, 7, DataType.FLOAT);
        m.params().addi(Nd4j.rand(DataType.FLOAT, m.params().length()).subi(0.5).muli(0.2));
        int rows = 3;
        Batch b = randomBatch(shape, rows, 6, 17, false);
        double[] full = m.score(b, new double[rows]);
        TransformerLm.KvCache cache = m.newCache(rows);
        double[] inc = new double[rows];
        for (int t = 0; t < 6; t++) {
            int[] tok = new int[rows];
            for (int r = 0; r < rows; r++) {
                tok[r] = b.tokens()[r * 6 + t];
            }
            INDArray logits = m.step(cache, tok, t);
            for (int r = 0; r < rows; r++) {
                double max = logits.getRow(r).maxNumber().doubleValue();
                double z = 0;
                for (int v = 0; v < shape.vocabSize(); v++) {
                    z += Math.exp(logits.getDouble(r, v) - max);
                }
                inc[r] -= logits.getDouble(r, b.targets()[r * 6 + t]) - max - Math.log(z);
            }
        }
        for (int r = 0; r < rows; r++) {
            assertThat(inc[r]).as("row %d", r).isCloseTo(full[r], within(1e-3));
        }
    }
}
