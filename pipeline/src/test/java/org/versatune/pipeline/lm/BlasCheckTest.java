package org.versatune.pipeline.lm;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The GEMM kernels this machine selects (conf/env.sh may pick OpenBLAS's SkylakeX ones) agree with a double reference. */
class BlasCheckTest {
    @Test
    void floatGemmMatchesDoubleReference() {
        Random r = new Random(9);
        int m = 300, k = 257, n = 190;
        double[][] a = new double[m][k];
        double[][] b = new double[k][n];
        for (double[] row : a) {
            for (int j = 0; j < k; j++) {
                row[j] = r.nextGaussian();
            }
        }
        for (double[] row : b) {
            for (int j = 0; j < n; j++) {
                row[j] = r.nextGaussian();
            }
        }
        INDArray fa = Nd4j.createFromArray(a).castTo(DataType.FLOAT);
        INDArray fb = Nd4j.createFromArray(b).castTo(DataType.FLOAT);
        for (boolean trans : new boolean[]{false, true}) {
            INDArray c = Nd4j.create(DataType.FLOAT, m, n);
            if (trans) {
                Nd4j.gemm(fa.transpose().dup('c'), fb, c, true, false, 1.0, 0.0);
            } else {
                Nd4j.gemm(fa, fb, c, false, false, 1.0, 0.0);
            }
            double worst = 0;
            for (int i = 0; i < m; i += 7) {
                for (int j = 0; j < n; j += 5) {
                    double ref = 0;
                    for (int t = 0; t < k; t++) {
                        ref += (float) a[i][t] * (double) (float) b[t][j];
                    }
                    worst = Math.max(worst, Math.abs(c.getDouble(i, j) - ref) / Math.sqrt(k));
                }
            }
            assertThat(worst).as("scaled GEMM error (OPENBLAS_CORETYPE=%s)", System.getenv("OPENBLAS_CORETYPE")).isLessThan(1e-5);
        }
    }
}
