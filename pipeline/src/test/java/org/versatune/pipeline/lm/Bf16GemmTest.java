package org.versatune.pipeline.lm;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;

/**
 * BF16 chunk products against the same product in double precision on the widened weights: shapes with partial
 * chunks and segment tails (n, k not multiples of 4, k over one input chunk), weights at odd offsets in a flat buffer
 * (every alignment of the long reads), both orientations, C overwritten and accumulated; the values do not depend on
 * the thread count.
 */
class Bf16GemmTest {

    @Test
    void matchesTheWidenedProductInEveryShapeAndAlignment() {
        Random rnd = new Random(7);
        // sgemv rows (up to 16) and sgemm rows, one and several input chunks (beta carried across them), a full
        // scratch of 128 rows; matrix-vector chunks of whole rows of W^T over two input chunks, and of W's rows wider
        // than one chunk of 2,048; inputs cut into four ranges (some empty)
        int[][] shapes = {{1, 5, 3}, {3, 1030, 131}, {8, 896, 259}, {64, 130, 1027}, {2, 4, 4}, {5, 517, 7},
                {40, 2100, 300}, {128, 300, 2100}, {4, 4102, 37}, {6, 300, 5003}, {3, 2, 9}, {8, 4864, 896}};
        for (int[] s : shapes) {
            int m = s[0], k = s[1], n = s[2];
            for (boolean tw : new boolean[]{false, true}) {
                for (int offset = 0; offset < 4; offset++) {
                    INDArray w = bf16View(rnd, tw ? n : k, tw ? k : n, offset);
                    INDArray a = Nd4j.rand(DataType.FLOAT, m, k).subi(0.5);
                    INDArray c0 = Nd4j.rand(DataType.FLOAT, m, n);
                    for (double beta : new double[]{0, 1}) {
                        INDArray c = c0.dup();
                        Bf16Gemm.gemm(a, w, tw, c, beta);
                        INDArray wd = w.castTo(DataType.DOUBLE);
                        INDArray want = a.castTo(DataType.DOUBLE).mmul(tw ? wd.transpose() : wd);
                        if (beta != 0) {
                            want.addi(c0.castTo(DataType.DOUBLE));
                        }
                        double scale = a.castTo(DataType.DOUBLE).norm2Number().doubleValue() * wd.norm2Number().doubleValue();
                        double err = c.castTo(DataType.DOUBLE).sub(want).amaxNumber().doubleValue();
                        assertThat(err).as("m=%d k=%d n=%d tw=%s offset=%d beta=%s", m, k, n, tw, offset, beta)
                                .isLessThan(1e-6 * scale + 1e-6);
                    }
                }
            }
        }
    }

    @Test
    void matrixVectorChunksAreLongContiguousRunsAndEvenWork() {
        // the Qwen2.5-0.5B head: whole rows of 896 inputs, as many as 256 KB holds (73), a multiple of 4
        assertThat(Bf16Gemm.rowChunkOut(151_936, 896)).isEqualTo(72);
        // Llama-3.1-8B's head: rows of 4,096 inputs are read in halves of 2,048, 32 rows a chunk
        assertThat(Bf16Gemm.rowChunkOut(128_256, 4096)).isEqualTo(32);
        // never wider than the sgemm chunk for a narrow matrix
        assertThat(Bf16Gemm.rowChunkOut(40, 8)).isEqualTo(Bf16Gemm.chunkOut(40));
        // the fused gate/up product (9,728 outputs): 8 chunks of 1,216 (5 would be enough; 8 keeps 2 or 4 threads even)
        assertThat(Bf16Gemm.wideChunkOut(9728)).isEqualTo(1216);
        // Llama-3.1-8B's fused gate/up (28,672 outputs): 16 chunks of 1,792
        assertThat(Bf16Gemm.wideChunkOut(28_672)).isEqualTo(1792);
        assertThat(Bf16Gemm.chunkIn(1216)).isEqualTo(52);
    }

    @Test
    void readsAndWritesViewsThroughTheirLeadingDimensions() {
        Random rnd = new Random(5);
        INDArray w = bf16View(rnd, 300, 90, 1);
        INDArray bigA = Nd4j.rand(DataType.FLOAT, 20, 310);
        INDArray bigC = Nd4j.rand(DataType.FLOAT, 20, 100);
        INDArray a = bigA.get(interval(2, 12), interval(5, 305));        // [10, 300], rows 310 apart
        INDArray c = bigC.get(interval(3, 13), interval(7, 97));         // [10, 90], rows 100 apart
        INDArray before = bigC.dup();
        Bf16Gemm.gemm(a, w, false, c, 1);
        INDArray want = a.castTo(DataType.DOUBLE).mmul(w.castTo(DataType.DOUBLE)).addi(before.get(interval(3, 13), interval(7, 97)).castTo(DataType.DOUBLE));
        assertThat(c.castTo(DataType.DOUBLE).sub(want).amaxNumber().doubleValue()).isLessThan(1e-4);
        // nothing outside the view changed
        INDArray outside = bigC.dup();
        outside.get(interval(3, 13), interval(7, 97)).assign(0);
        INDArray outsideBefore = before.dup();
        outsideBefore.get(interval(3, 13), interval(7, 97)).assign(0);
        assertThat(outside).isEqualTo(outsideBefore);
    }

    @Test
    void valuesDoNotDependOnTheThreads() {
        Random rnd = new Random(11);
        INDArray w = bf16View(rnd, 700, 1100, 3);
        INDArray a = Nd4j.rand(DataType.FLOAT, 8, 700);
        INDArray h = Nd4j.rand(DataType.FLOAT, 8, 1100);
        int before = RowKernels.threads();
        try {
            RowKernels.setThreads(1);
            INDArray one = Nd4j.create(DataType.FLOAT, 8, 1100);
            INDArray oneT = Nd4j.create(DataType.FLOAT, 8, 700);
            Bf16Gemm.gemm(a, w, false, one, 0);
            Bf16Gemm.gemm(h, w, true, oneT, 0);
            RowKernels.setThreads(2);
            INDArray two = Nd4j.create(DataType.FLOAT, 8, 1100);
            INDArray twoT = Nd4j.create(DataType.FLOAT, 8, 700);
            Bf16Gemm.gemm(a, w, false, two, 0);
            Bf16Gemm.gemm(h, w, true, twoT, 0);
            assertThat(two.reshape(-1).toFloatVector()).isEqualTo(one.reshape(-1).toFloatVector());
            assertThat(twoT.reshape(-1).toFloatVector()).isEqualTo(oneT.reshape(-1).toFloatVector());
        } finally {
            RowKernels.setThreads(before);
        }
    }

    @Test
    void refusesMoreRowsThanItsScratchHolds() {
        INDArray w = Nd4j.rand(DataType.FLOAT, 16, 16).castTo(DataType.BFLOAT16);
        assertThatThrownBy(() -> Bf16Gemm.gemm(Nd4j.rand(DataType.FLOAT, 200, 16), w, false, Nd4j.create(DataType.FLOAT, 200, 16), 0))
                .hasMessageContaining("200 rows");
    }

    @Test
    void thePermutationIsOneToOne() {
        for (int len : new int[]{1, 4, 7, 128, 130, 512}) {
            boolean[] seen = new boolean[len];
            for (int x = 0; x < len; x++) {
                int p = Bf16Gemm.permuted(x, len);
                assertThat(seen[p]).isFalse();
                seen[p] = true;
            }
        }
        assertThat(Bf16Gemm.permuted(2, 8)).isEqualTo(4);   // 0,1,4,5 | 2,3,6,7
        assertThat(Bf16Gemm.permuted(5, 8)).isEqualTo(3);
    }

    /** A [rows, cols] BF16 view starting {@code offset} values into a flat buffer, filled with random values. */
    private static INDArray bf16View(Random rnd, int rows, int cols, int offset) {
        float[] v = new float[offset + rows * cols + 5];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        INDArray flat = Nd4j.createFromArray(v).castTo(DataType.BFLOAT16);
        return flat.get(interval(offset, offset + rows * cols)).reshape('c', rows, cols);
    }
}
