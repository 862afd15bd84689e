package org.versatune.pipeline.lm;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

public class LmTrainingTest {
    public static final LmConfig SMALL = new LmConfig(300, 16, 32, 2, 4, 2, LmConfig.RELU);

    public static List<SftFormat.Example> examples(int n, long seed) {
        Random r = new Random(seed);
        List<SftFormat.Example> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            // a learnable pattern: counting sequences with a random start
            int len = 5 + r.nextInt(12);
            int start = 4 + r.nextInt(40);
            int[] t = new int[len];
            for (int j = 0; j < len; j++) {
                t[j] = 4 + (start + j) % 250;
            }
            out.add(SftFormat.window(t));
        }
        return out;
    }

    public static Optimizer.Schedule schedule(long total) {
        return new Optimizer.Schedule(3e-3, 0.1, 3, total, 1.0, 0.9, 0.95, 1e-8);
    }

    @Test
    void lossDecreasesOnALearnablePattern() {
        TransformerLm m = TransformerLm.initialise(SMALL, 1, DataType.FLOAT);
        BatchPlan plan = new BatchPlan(examples(200, 2), 256, SMALL.context(), 3);
        Optimizer.Schedule s = schedule(60);
        Optimizer opt = Optimizer.fresh(s, m.params());
        LocalTrainer.Totals first = LocalTrainer.run(m, opt, s, plan, 0, 5, 0, null);
        LocalTrainer.run(m, opt, s, plan, 5, 55, 0, null);
        LocalTrainer.Totals last = LocalTrainer.run(m, opt, s, plan, 55, 60, 0, null);
        assertThat(last.meanLoss()).isLessThan(first.meanLoss() * 0.6);
    }

    /** Resumes happen in other processes with other cores and other load: the thread count must not change a bit. */
    @Test
    void trainingIsBitIdenticalWhateverTheThreadCount() {
        // large enough for several row blocks per LayerNorm and several blocks of the gradient's sum of squares
        LmConfig cfg = new LmConfig(300, 32, 96, 2, 4, 4, LmConfig.RELU);
        assertThat(cfg.numParams()).isGreaterThan(2L * RowKernels.BLOCK_VALUES);
        List<float[]> results = new ArrayList<>();
        try {
            for (int threads : new int[]{1, 2, 3}) {
                NdThreads.use(threads);
                TransformerLm m = TransformerLm.initialise(cfg, 12, DataType.FLOAT);
                Optimizer.Schedule s = new Optimizer.Schedule(3e-3, 0.1, 2, 6, 0.05, 0.9, 0.95, 1e-8); // clipping on every step
                Optimizer opt = Optimizer.fresh(s, m.params());
                LocalTrainer.run(m, opt, s, new BatchPlan(examples(120, 13), 1024, cfg.context(), 14), 0, 6, 0, null);
                results.add(m.params().toFloatVector());
                results.add(opt.state().toFloatVector());
            }
        } finally {
            NdThreads.use(NdThreads.forTask(0, 1));
        }
        for (int i = 2; i < results.size(); i++) {
            assertThat(results.get(i)).as("result %d", i).isEqualTo(results.get(i % 2));
        }
    }

    @Test
    void sumOfSquaresIsExactOnHandComputedValues() {
        float[] v = new float[RowKernels.BLOCK_VALUES + 5];
        v[0] = 3;
        v[RowKernels.BLOCK_VALUES + 4] = 4;
        assertThat(RowKernels.sumOfSquares(Nd4j.createFromArray(v))).isEqualTo(25.0);
        assertThat(RowKernels.sumOfSquares(Nd4j.createFromArray(1.5, -2.0))).isEqualTo(6.25);
    }

    @Test
    void saveAndLoadAreBitIdenticalAndGiveIdenticalOutputs(@TempDir Path dir) throws Exception {
        BpeTokenizer tok = BpeTokenizer.train(BpeTokenizerTest.CORPUS, 300);
        TransformerLm m = TransformerLm.initialise(SMALL, 4, DataType.FLOAT);
        Optimizer opt = Optimizer.fresh(schedule(10), m.params());
        LocalTrainer.run(m, opt, schedule(10), new BatchPlan(examples(40, 5), 128, 16, 6), 0, 3, 0, null);
        LmCheckpoint ck = new LmCheckpoint(SMALL, tok, m.params(), opt.state(), Map.of("step", 3));
        Configuration conf = new Configuration();
        ck.save(conf, dir.resolve("ck").toString());
        LmCheckpoint back = LmCheckpoint.load(conf, dir.resolve("ck").toString());
        assertThat(back.params().toFloatVector()).isEqualTo(m.params().toFloatVector());
        assertThat(back.optimizerState().toFloatVector()).isEqualTo(opt.state().toFloatVector());
        assertThat(back.step()).isEqualTo(3);
        assertThat(back.config()).isEqualTo(SMALL);
        Batch b = new BatchPlan(examples(8, 9), 128, 16, 1).batch(0);
        double[] c1 = new double[b.rows()];
        double[] c2 = new double[b.rows()];
        assertThat(back.model().score(b, c2)).isEqualTo(m.score(b, c1));
        assertThatThrownBy(() -> LmCheckpoint.load(conf, dir.toString())).hasMessageContaining("is not a model checkpoint");
        // a truncated parameter file names the file and what is wrong with it
        Path params = dir.resolve("ck/params.bin");
        Files.deleteIfExists(dir.resolve("ck/.params.bin.crc"));   // the file as damaged on a store without checksums
        byte[] all = Files.readAllBytes(params);
        Files.write(params, Arrays.copyOf(all, all.length / 2));
        assertThatThrownBy(() -> LmCheckpoint.load(conf, dir.resolve("ck").toString()))
                .hasMessageContaining("params.bin is truncated").hasMessageContaining("values");
        Files.write(params, Arrays.copyOf(all, 6));
        assertThatThrownBy(() -> LmCheckpoint.load(conf, dir.resolve("ck").toString()))
                .hasMessageContaining("params.bin is truncated or damaged");
    }

    @Test
    void resumingFromACheckpointEqualsAnUninterruptedRun(@TempDir Path dir) {
        List<SftFormat.Example> ex = examples(60, 7);
        Optimizer.Schedule s = schedule(20);
        TransformerLm straight = TransformerLm.initialise(SMALL, 8, DataType.FLOAT);
        Optimizer o1 = Optimizer.fresh(s, straight.params());
        LocalTrainer.run(straight, o1, s, new BatchPlan(ex, 128, 16, 11), 0, 20, 0, null);

        TransformerLm first = TransformerLm.initialise(SMALL, 8, DataType.FLOAT);
        Optimizer o2 = Optimizer.fresh(s, first.params());
        LocalTrainer.run(first, o2, s, new BatchPlan(ex, 128, 16, 11), 0, 9, 0, null);
        Configuration conf = new Configuration();
        BpeTokenizer tok = BpeTokenizer.train(BpeTokenizerTest.CORPUS, 300);
        new LmCheckpoint(SMALL, tok, first.params(), o2.state(), Map.of("step", 9)).save(conf, dir.resolve("ck").toString());
        LmCheckpoint ck = LmCheckpoint.load(conf, dir.resolve("ck").toString());
        TransformerLm resumed = ck.model();
        Optimizer o3 = new Optimizer(s, ck.optimizerState());
        LocalTrainer.run(resumed, o3, s, new BatchPlan(ex, 128, 16, 11), ck.step(), 20, 0, null);
        assertThat(resumed.params().toFloatVector()).isEqualTo(straight.params().toFloatVector());
    }

    @Test
    void responseOnlyMaskIgnoresTheInstruction() {
        SftFormat.Example a = SftFormat.pair(BpeTokenizer.Specials.OWN, new int[]{10, 11, 12}, new int[]{20, 21}, 16);
        SftFormat.Example b = SftFormat.pair(BpeTokenizer.Specials.OWN, new int[]{13, 14, 15, 16, 17}, new int[]{20, 21}, 16);
        assertThat(a.targetCount()).isEqualTo(3).isEqualTo(b.targetCount()); // two response tokens + end
        assertThat(a.tokens()).containsExactly(BpeTokenizer.BOS, 10, 11, 12, BpeTokenizer.SEP, 20, 21, BpeTokenizer.EOS);
        TransformerLm m = TransformerLm.initialise(SMALL, 2, DataType.FLOAT);
        double[] counts = new double[2];
        m.score(Batch.of(new int[][]{a.tokens(), b.tokens()}, new int[]{a.lossFrom(), b.lossFrom()}, 16), counts);
        assertThat(counts).containsExactly(3.0, 3.0);
        // a long prompt keeps at most half the context; the response is cut to fit
        SftFormat.Example longOne = SftFormat.pair(BpeTokenizer.Specials.OWN, new int[40], new int[40], 16);
        assertThat(longOne.tokens().length).isEqualTo(17);
        assertThat(longOne.targetCount()).isEqualTo(16 - longOne.lossFrom());
    }

    @Test
    void generationIsDeterministicForASeedAndRespectsSettings() {
        TransformerLm m = TransformerLm.initialise(SMALL, 3, DataType.FLOAT);
        Generator.Sampling s = new Generator.Sampling(10, 1.0, 1.0, 0, 1.1);
        int[][] prompts = new int[6][];
        List<int[]> a = Generator.generate(m, BpeTokenizer.Specials.OWN, prompts, s, 42);
        List<int[]> b = Generator.generate(m, BpeTokenizer.Specials.OWN, prompts, s, 42);
        List<int[]> c = Generator.generate(m, BpeTokenizer.Specials.OWN, prompts, s, 43);
        for (int i = 0; i < 6; i++) {
            assertThat(a.get(i)).isEqualTo(b.get(i));
            assertThat(a.get(i).length).isLessThanOrEqualTo(10);
        }
        assertThat(a.stream().map(Arrays::toString).toList()).isNotEqualTo(c.stream().map(Arrays::toString).toList());
        // a row's text does not depend on the other rows in the batch
        List<int[]> single = Generator.generate(m, BpeTokenizer.Specials.OWN, new int[1][], s, 42);
        assertThat(single.get(0)).isEqualTo(a.get(0));
        // greedy decoding with a prompt continues the prompt
        List<int[]> greedy = Generator.generate(m, BpeTokenizer.Specials.OWN, new int[][]{{10, 11}}, new Generator.Sampling(5, 0, 1.0, 0, 1.0), 1);
        assertThat(greedy.get(0).length).isBetween(0, 5);
        // the start a packed layout opens with (the end token) instead of the begin token: the begin token is the
        // default, and another start changes what is written
        var sp = BpeTokenizer.Specials.OWN;
        assertThat(Generator.generate(m, new int[]{sp.bos()}, sp, prompts, s, 42).stream().map(Arrays::toString).toList())
                .isEqualTo(a.stream().map(Arrays::toString).toList());
        assertThat(Generator.generate(m, new int[]{sp.eos()}, sp, prompts, s, 42).stream().map(Arrays::toString).toList())
                .isNotEqualTo(a.stream().map(Arrays::toString).toList());
    }

    @Test
    void focusSamplingSwitchesTemperatureAfterTheOpeningTokens() {
        Generator.Sampling paper = new Generator.Sampling(10, 1.0, 1.0, 0, 1.1);
        assertThat(paper.temperatureAt(0)).isEqualTo(1.0);
        assertThat(paper.temperatureAt(9)).isEqualTo(1.0);
        Generator.Sampling focus = new Generator.Sampling(10, 1.0, 1.0, 0, 1.1, 4, 0.0);
        assertThat(focus.temperatureAt(3)).isEqualTo(1.0);
        assertThat(focus.temperatureAt(4)).isEqualTo(0.0);
        TransformerLm m = TransformerLm.initialise(SMALL, 3, DataType.FLOAT);
        List<int[]> a = Generator.generate(m, BpeTokenizer.Specials.OWN, new int[4][], focus, 9);
        List<int[]> b = Generator.generate(m, BpeTokenizer.Specials.OWN, new int[4][], focus, 9);
        for (int i = 0; i < 4; i++) {
            assertThat(a.get(i)).isEqualTo(b.get(i));
        }
    }

    @Test
    void topKOneIsGreedy() {
        double[] logits = {0, 0, 0, 0, 1.0, 3.0, 2.0};
        boolean[] seen = new boolean[7];
        int pick = Generator.sample(logits.clone(), seen, BpeTokenizer.Specials.OWN, new Generator.Sampling(5, 1.0, 1.0, 1, 1.0), new Random(1));
        assertThat(pick).isEqualTo(5);
        // a repetition penalty on the best token moves the choice (greedy)
        seen[5] = true;
        int penalised = Generator.sample(logits.clone(), seen, BpeTokenizer.Specials.OWN, new Generator.Sampling(5, 0, 1.0, 0, 2.0), new Random(1));
        assertThat(penalised).isEqualTo(6);
    }

    @Test
    void nonFiniteLossStopsWithAClearError() {
        TransformerLm m = TransformerLm.initialise(SMALL, 1, DataType.FLOAT);
        m.params().putScalar(0, Float.NaN);
        for (long i = 0; i < m.params().length(); i += 7) {
            m.params().putScalar(i, Float.NaN);
        }
        Optimizer.Schedule s = schedule(5);
        assertThatThrownBy(() -> LocalTrainer.run(m, Optimizer.fresh(s, m.params()), s,
                new BatchPlan(examples(10, 1), 128, 16, 1), 0, 1, 0, null))
                .isInstanceOf(Optimizer.NonFiniteException.class).hasMessageContaining("at step 0");
    }

    @Test
    void batchPlanCoversEveryExampleOncePerEpochWithinTheTokenBudget() {
        List<SftFormat.Example> ex = examples(100, 3);
        BatchPlan plan = new BatchPlan(ex, 128, 16, 5);
        int seen = 0;
        for (int[] batch : plan.epoch(0)) {
            int maxLen = 0;
            for (int i : batch) {
                maxLen = Math.max(maxLen, BatchPlan.padded(ex.get(i).tokens().length, 16));
            }
            assertThat((long) maxLen * batch.length).isLessThanOrEqualTo(128);
            seen += batch.length;
        }
        assertThat(seen).isEqualTo(100);
        assertThat(plan.epoch(1).get(0)).isNotEqualTo(plan.epoch(0).get(0));
    }
}
