package org.versatune.pipeline.lm;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The one-text score (the cached step path) agrees with the batched scorer training uses. */
class TextScorerTest {

    @Test
    void meanNllMatchesTheBatchedForwardPassAndTopLogitsAreSorted() {
        BpeTokenizer tok = BpeTokenizer.train(List.of("the court held that the statute applies", "def f(x): return x",
                "blood pressure and the heart", "interest rates and the market"), 320);
        LmConfig cfg = new LmConfig(tok.vocabSize(), 48, 32, 1, 2, 2, LmConfig.RELU);
        TransformerLm model = TransformerLm.initialise(cfg, 11, DataType.FLOAT);
        String text = "the court held that blood pressure and interest rates apply";
        TextScorer.Scored s = TextScorer.score(model, tok, text);
        assertThat(s.tokens()).containsExactly(tok.encode(text));
        assertThat(s.truncated()).isFalse();
        Scorer.Score batch = Scorer.score(model, List.of(SftFormat.window(s.tokens())), 4096)[0];
        assertThat(s.meanNll()).isCloseTo(batch.nll() / batch.tokens(), within(1e-4));
        assertThat(s.topIds()).hasSize(5).doesNotHaveDuplicates();
        for (int i = 1; i < 5; i++) {
            assertThat(s.topLogits()[i]).isLessThanOrEqualTo(s.topLogits()[i - 1]);
        }
        // longer than the context: cut to it, and said so
        TextScorer.Scored cut = TextScorer.score(model, tok, (text + " ").repeat(20));
        assertThat(cut.tokens()).hasSize(48);
        assertThat(cut.truncated()).isTrue();
        assertThat(TextScorer.logSoftmax(new double[]{0, 0}, 1)).isCloseTo(-Math.log(2), within(1e-15));
    }
}
