package org.versatune.pipeline.lm;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Imported BF16 weights stay 16-bit and give, bit for bit, the batched logits of the same weights widened to fp32 first
 * (generation's chunk products sum in another order: equal to fp32 rounding); they save and load unchanged; fine-tuning widens them to fp32 master weights; the memory guard follows the stored width.
 */
class SixteenBitTest {
    static final Path QWEN2 = Path.of("src/test/resources/hf-qwen2");

    @Test
    void bf16WeightsStay16BitAndGiveTheWidenedModelsLogitsBitForBit(@TempDir Path dir) {
        LmCheckpoint bf16 = HfCheckpoint.read(SixteenBitFixture.bf16Copy(dir.resolve("bf16")));
        LmCheckpoint fp32 = HfCheckpoint.read(QWEN2);
        assertThat(bf16.params().dataType()).isEqualTo(DataType.BFLOAT16);
        assertThat(bf16.state()).containsEntry("stored_dtype", "BFLOAT16");
        assertThat(fp32.params().dataType()).isEqualTo(DataType.FLOAT);
        long bytes16 = bf16.params().length() * bf16.params().dataType().width();
        long bytes32 = fp32.params().length() * fp32.params().dataType().width();
        assertThat(bytes16 * 2).isEqualTo(bytes32);

        // the same weights widened to fp32 before any computation
        INDArray widened = bf16.params().castTo(DataType.FLOAT);
        TransformerLm wide = new TransformerLm(bf16.config(), DataType.FLOAT, widened.dup());
        TransformerLm narrow = bf16.model();
        assertThat(narrow.params().dataType()).isEqualTo(DataType.BFLOAT16);
        assertThat(narrow.dtype()).isEqualTo(DataType.FLOAT);
        int[] ids = bf16.tokenizer().encode("Qwen2 in sixteen bits: 12345 <tool_call> done.", true);
        float[] narrowSteps = stepLogits(narrow, ids);
        float[] wideSteps = stepLogits(wide, ids);
        for (int i = 0; i < wideSteps.length; i++) {
            assertThat(narrowSteps[i]).as("logit %d", i).isCloseTo(wideSteps[i], within(2e-5f * Math.max(1, Math.abs(wideSteps[i]))));
        }
        // batched: every position of three rows at once
        int[] reversed = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            reversed[i] = ids[ids.length - 1 - i];
        }
        Batch batch = Batch.of(new int[][]{ids, reversed, ids}, new int[3], ids.length - 1);
        assertThat(bf16.model().score(batch, new double[3])).isEqualTo(wide.score(batch, new double[3]));
        // rounding to BF16 changed the weights, so the logits differ from the fp32 checkpoint's (a test that could fail)
        assertThat(stepLogits(fp32.model(), ids)).isNotEqualTo(stepLogits(wide, ids));
    }

    static float[] stepLogits(TransformerLm m, int[] ids) {
        TransformerLm.KvCache cache = m.newCache(1);
        float[] all = new float[ids.length * m.config().vocabSize()];
        for (int pos = 0; pos < ids.length; pos++) {
            float[] row = m.step(cache, new int[]{ids[pos]}, pos).dup().reshape(-1).toFloatVector();
            System.arraycopy(row, 0, all, pos * row.length, row.length);
        }
        return all;
    }

    @Test
    void savedAndLoadedBitForBitAndFineTuningWidensToFp32(@TempDir Path dir) {
        LmCheckpoint bf16 = HfCheckpoint.read(SixteenBitFixture.bf16Copy(dir.resolve("bf16")));
        Configuration conf = new Configuration();
        bf16.save(conf, dir.resolve("ours").toString());
        LmCheckpoint back = LmCheckpoint.load(conf, dir.resolve("ours").toString());
        assertThat(back.params().dataType()).isEqualTo(DataType.BFLOAT16);
        assertThat(back.params()).isEqualTo(bf16.params());
        assertThat(dir.resolve("ours/params.bin").toFile().length()).isLessThan(2L * bf16.params().length() + 100);

        assertThatThrownBy(() -> back.model().trainStep(Batch.of(new int[][]{{1, 2, 3}}, new int[1], 2)))
                .hasMessageContaining("BFLOAT16").hasMessageContaining("fp32 master weights");
        LmCheckpoint master = back.masterWeights();
        assertThat(master.params().dataType()).isEqualTo(DataType.FLOAT);
        assertThat(master.params()).isEqualTo(bf16.params().castTo(DataType.FLOAT));
        assertThat(master.source()).isNull();   // its parameters are not the saved ones
        TransformerLm trainable = master.model();
        assertThat(trainable.trainStep(Batch.of(new int[][]{{1, 2, 3, 4}}, new int[1], 3)).tokens()).isEqualTo(3);
    }

    @Test
    void theMemoryGuardFollowsTheStoredWidthAndSaysWhatFineTuningNeeds() {
        LmConfig llama8b = LmConfig.llama(128256, 8192, 4096, 32, 32,
                new LmConfig.Llama(8, 14336, 500000, 1e-5, false, 0, false, false, null));
        assertThat(llama8b.numParams()).isEqualTo(8_030_261_248L);
        // 2 bytes per parameter plus the embedding twice (read, then placed): about 18 GB, not 36
        assertThat(MemoryCheck.importBytes(llama8b, DataType.BFLOAT16) / 1e9).isBetween(17.0, 18.5);
        assertThat(MemoryCheck.importBytes(llama8b, DataType.FLOAT)).isEqualTo(2 * MemoryCheck.importBytes(llama8b, DataType.BFLOAT16));
        assertThatThrownBy(() -> MemoryCheck.fineTune(llama8b, DataType.BFLOAT16, 4096, 1, 24L << 30))
                .hasMessageContaining("stored as BFLOAT16 keeps fp32 master weights").hasMessageContaining("96.4 GB")
                .hasMessageContaining("tokens-per-batch");
        LmConfig tiny = HfCheckpoint.read(QWEN2).config();
        assertThat(MemoryCheck.fineTune(tiny, DataType.BFLOAT16, 256, 2, 24L << 30)).contains("2 training task(s)");
    }
}
