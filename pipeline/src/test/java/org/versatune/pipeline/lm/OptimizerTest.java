package org.versatune.pipeline.lm;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.assertj.core.api.Assertions.assertThat;

class OptimizerTest {

    /** The one-pass Adam kernel does what ND4J's updater does, and keeps its state in the same layout. */
    @Test
    void theAdamKernelMatchesNd4jsUpdater() {
        Optimizer.Schedule s = new Optimizer.Schedule(1e-2, 0.1, 2, 10, 0, 0.9, 0.95, 1e-8);
        Nd4j.getRandom().setSeed(5);
        INDArray start = Nd4j.randn(DataType.DOUBLE, 1, 1000);
        INDArray[] grads = new INDArray[4];
        for (int i = 0; i < grads.length; i++) {
            grads[i] = Nd4j.randn(DataType.DOUBLE, 1, 1000);
        }
        INDArray[] params = new INDArray[2];
        INDArray[] state = new INDArray[2];
        boolean was = TransformerLm.HOST_KERNELS;
        try {
            for (int path = 0; path < 2; path++) {
                TransformerLm.HOST_KERNELS = path == 0;
                params[path] = start.dup();
                Optimizer o = Optimizer.fresh(s, params[path]);
                for (int step = 0; step < grads.length; step++) {
                    o.apply(s, params[path], grads[step].dup(), step);
                }
                state[path] = o.state();
            }
        } finally {
            TransformerLm.HOST_KERNELS = was;
        }
        assertThat(params[0].equalsWithEps(start, 1e-3)).isFalse();
        assertThat(params[0].equalsWithEps(params[1], 1e-12)).isTrue();
        assertThat(state[0].equalsWithEps(state[1], 1e-12)).isTrue();
    }
}
