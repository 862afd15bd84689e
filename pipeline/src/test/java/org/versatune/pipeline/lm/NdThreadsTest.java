package org.versatune.pipeline.lm;

import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.testing.SparkExtension;

import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

@ExtendWith(SparkExtension.class)
class NdThreadsTest {
    @Test
    void oneSettingDecidesEveryModelTasksThreads(SparkSession spark) {
        int cores = Runtime.getRuntime().availableProcessors();
        try {
            // automatic: the local cores divided among the tasks that run at once
            spark.conf().unset(NdThreads.SPARK_KEY);
            assertThat(NdThreads.perTask(spark, 1)).isEqualTo(cores);
            assertThat(NdThreads.perTask(spark, cores)).isEqualTo(1);
            // the session's setting (versatune.lm.train.threads-per-task, passed on by Sessions) wins everywhere
            spark.conf().set(NdThreads.SPARK_KEY, "3");
            assertThat(NdThreads.perTask(spark, 1)).isEqualTo(3);
            assertThat(NdThreads.perTask(spark, 8)).isEqualTo(3);
            // a stage's own settings, where it passes them, take the same rule
            assertThat(NdThreads.perTask(spark, 5, 1)).isEqualTo(5);
        } finally {
            spark.conf().unset(NdThreads.SPARK_KEY);
        }
        assertThat(Settings.defaults().section("lm").getInt("train.threads-per-task")).isZero();
    }

    @Test
    void productsAreTheSameWhateverTheThreadsByRowsAndByColumns() {
        // {m, k, n}: enough rows (tiles of rows), few rows (tiles of columns), too small to cut
        int[][] shapes = {{200, 96, 40}, {8, 96, 300}, {64, 96, 200}, {16, 24, 40}};
        assertThat(NdThreads.tile(200)).isEqualTo(50);
        assertThat(NdThreads.tile(193)).isEqualTo(49);    // 49, 49, 49, 46: no thin last tile
        assertThat(NdThreads.tile(4096)).isEqualTo(1024);
        assertThat(NdThreads.tile(100)).isEqualTo(34);    // 3 tiles of at least 32
        assertThat(NdThreads.tile(40)).isEqualTo(40);
        Random rnd = new Random(5);
        try {
            for (int[] sh : shapes) {
                for (boolean ta : new boolean[]{false, true}) {
                    for (boolean tb : new boolean[]{false, true}) {
                        INDArray a = random(rnd, ta ? sh[1] : sh[0], ta ? sh[0] : sh[1]);
                        INDArray b = random(rnd, tb ? sh[2] : sh[1], tb ? sh[1] : sh[2]);
                        INDArray c0 = random(rnd, sh[0], sh[2]);
                        // the plain product in double: what every tiling must compute
                        INDArray exact = c0.castTo(DataType.DOUBLE).add(Nd4j.gemm(a.castTo(DataType.DOUBLE), b.castTo(DataType.DOUBLE), ta, tb));
                        float[] first = null;
                        for (int threads : new int[]{1, 2, 3}) {
                            NdThreads.use(threads);
                            INDArray c = c0.dup('c');
                            NdThreads.gemm(a, ta, b, tb, c, 1.0);
                            float[] got = c.reshape(c.length()).toFloatVector();
                            assertThat(c.castTo(DataType.DOUBLE).sub(exact).amaxNumber().doubleValue())
                                    .as("shape %s ta %s tb %s", Arrays.toString(sh), ta, tb).isCloseTo(0, within(1e-4));
                            if (first == null) {
                                first = got;
                            } else {
                                assertThat(got).as("threads %d, shape %s", threads, Arrays.toString(sh)).isEqualTo(first);
                            }
                        }
                        NdThreads.use(2);
                        INDArray fresh = random(rnd, sh[0], sh[2]);
                        NdThreads.gemm(a, ta, b, tb, fresh, 0.0);   // beta 0 overwrites what was there
                        assertThat(fresh.castTo(DataType.DOUBLE).sub(exact.sub(c0.castTo(DataType.DOUBLE))).amaxNumber().doubleValue())
                                .isCloseTo(0, within(1e-4));
                    }
                }
            }
        } finally {
            NdThreads.use(NdThreads.forTask(0, 1));
        }
    }

    private static INDArray random(Random rnd, int rows, int cols) {
        return Nd4j.createFromArray(values(rnd, rows * cols)).reshape('c', rows, cols);
    }

    private static float[] values(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return v;
    }
}
