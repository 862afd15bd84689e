package org.versatune.pipeline.lm;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;

/** The generation step's row kernels against the ND4J ops they replace. */
class RowKernelsTest {

    @Test
    void swigluIsTheNd4jExpressionInEveryColumnBlock() {
        int rows = 3;
        int h = 2 * RowKernels.SWIGLU_COLUMNS + 77;   // two whole blocks and a partial one
        INDArray u = Nd4j.rand(DataType.FLOAT, rows, 2 * h).subi(0.5).muli(16);
        INDArray got = Nd4j.zeros(DataType.FLOAT, rows, h);
        RowKernels.swiglu(u, got, h);
        INDArray gate = u.get(all(), interval(0, h));
        INDArray want = Transforms.sigmoid(gate, true).muli(gate).muli(u.get(all(), interval(h, 2 * h)));
        INDArray scale = Transforms.abs(want, true).addi(1e-30);
        double rel = Transforms.abs(got.sub(want), false).divi(scale).maxNumber().doubleValue();
        // the same fp32 operations in the same order: equal but for the last bit of exp
        assertThat(rel).isLessThan(1e-6);
        assertThat(got.getFloat(2, h - 1)).isNotZero();
        assertThatThrownBy(() -> RowKernels.swiglu(u, Nd4j.zeros(DataType.FLOAT, rows, h + 1), h)).hasMessageContaining("swiglu needs");
    }
}
