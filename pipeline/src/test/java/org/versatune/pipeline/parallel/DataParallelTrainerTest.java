package org.versatune.pipeline.parallel;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.versatune.pipeline.lm.BatchPlan;
import org.versatune.pipeline.lm.LmConfig;
import org.versatune.pipeline.lm.LmTrainingTest;
import org.versatune.pipeline.lm.LocalTrainer;
import org.versatune.pipeline.lm.Optimizer;
import org.versatune.pipeline.lm.SftFormat;
import org.versatune.pipeline.lm.TransformerLm;
import org.versatune.pipeline.testing.SparkExtension;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(SparkExtension.class)
class DataParallelTrainerTest {
    static final LmConfig CFG = LmTrainingTest.SMALL;

    @Test
    void onePartitionEqualsPlainSingleProcessTraining(SparkSession spark) {
        List<SftFormat.Example> ex = LmTrainingTest.examples(80, 21);
        Optimizer.Schedule s = LmTrainingTest.schedule(12);
        DataParallelTrainer.Options o = new DataParallelTrainer.Options(5, 128, 99, "unit", 0, 1);

        TransformerLm plain = TransformerLm.initialise(CFG, 5, DataType.FLOAT);
        Optimizer opt = Optimizer.fresh(s, plain.params());
        LocalTrainer.run(plain, opt, s, new BatchPlan(ex, 128, CFG.context(), DataParallelTrainer.planSeed(99, "unit", 0)),
                0, 12, 0, null);

        TransformerLm init = TransformerLm.initialise(CFG, 5, DataType.FLOAT);
        JavaRDD<SftFormat.Example> data = JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(ex, 1);
        List<Long> rounds = new ArrayList<>();
        DataParallelTrainer.State end = DataParallelTrainer.train(spark, data, CFG,
                new DataParallelTrainer.State(init.params(), Optimizer.fresh(s, init.params()).state(), 0), s, 12, o,
                (st, r) -> rounds.add(st.step()));
        assertThat(rounds).containsExactly(5L, 10L, 12L);
        assertThat(end.params().toFloatVector()).isEqualTo(plain.params().toFloatVector());
        assertThat(end.optimizer().toFloatVector()).isEqualTo(opt.state().toFloatVector());
    }

    @Test
    void twoPartitionsAverageTheirParametersAndMomentsEachRound(SparkSession spark) {
        List<SftFormat.Example> ex = LmTrainingTest.examples(80, 22);
        Optimizer.Schedule s = LmTrainingTest.schedule(4);
        DataParallelTrainer.Options o = new DataParallelTrainer.Options(4, 128, 7, "avg", 0, 1);
        JavaRDD<SftFormat.Example> data = JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(ex, 2).cache();
        List<List<SftFormat.Example>> shards = data.glom().collect();

        TransformerLm init = TransformerLm.initialise(CFG, 6, DataType.FLOAT);
        INDArray p0 = init.params().dup();
        INDArray m0 = Optimizer.fresh(s, init.params()).state();
        DataParallelTrainer.State end = DataParallelTrainer.train(spark, data, CFG,
                new DataParallelTrainer.State(p0.dup(), m0.dup(), 0), s, 4, o, null);

        // by hand: each shard trains 4 steps from the same start, then the mean
        double[] sumP = new double[(int) p0.length()];
        double[] sumM = new double[(int) m0.length()];
        for (int p = 0; p < 2; p++) {
            TransformerLm m = new TransformerLm(CFG, DataType.FLOAT, p0.dup());
            Optimizer opt = new Optimizer(s, m0.dup());
            LocalTrainer.run(m, opt, s, new BatchPlan(shards.get(p), 128, CFG.context(), DataParallelTrainer.planSeed(7, "avg", p)),
                    0, 4, 0, null);
            float[] a = m.params().toFloatVector();
            float[] b = opt.state().toFloatVector();
            for (int i = 0; i < a.length; i++) {
                sumP[i] += a[i];
            }
            for (int i = 0; i < b.length; i++) {
                sumM[i] += b[i];
            }
        }
        float[] expected = new float[sumP.length];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = (float) (sumP[i] / 2);
        }
        assertThat(end.params().toFloatVector()).isEqualTo(expected);
        assertThat(end.optimizer().getFloat(3)).isEqualTo((float) (sumM[3] / 2));
        assertThat(end.params().toFloatVector()).isNotEqualTo(p0.toFloatVector());
        assertThat(Nd4j.createFromArray(expected).equalsWithEps(end.params(), 0)).isTrue();
    }
}
