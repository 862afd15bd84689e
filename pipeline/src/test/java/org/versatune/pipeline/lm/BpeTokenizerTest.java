package org.versatune.pipeline.lm;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import org.versatune.pipeline.io.Json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BpeTokenizerTest {
    static final List<String> CORPUS = List.of(
            "The court held that the statute applies to the defendant.",
            "def add(a, b):\n    return a + b  # adds numbers",
            "Patients with hypertension should reduce sodium intake.",
            "Die Bürger wählen das Parlament; 市民は議会を選ぶ。 émigré naïve café 🙂",
            "The court held that the statute applies.");

    @Test
    void roundTripsAnyTextIncludingUnicodeAndWhitespace() {
        BpeTokenizer t = BpeTokenizer.train(CORPUS, 300);
        assertThat(t.vocabSize()).isGreaterThan(BpeTokenizer.BASE).isLessThanOrEqualTo(300);
        for (String s : CORPUS) {
            assertThat(t.decode(t.encode(s))).isEqualTo(s);
        }
        String unseen = "  Übermäßig   lange\tZeile\n\n mit 12345 Zahlen und ✓ Symbolen ";
        assertThat(t.decode(t.encode(unseen))).isEqualTo(unseen);
        assertThat(String.join("", BpeTokenizer.words(unseen))).isEqualTo(unseen);
    }

    @Test
    void wordsSplitAsTheTrainingRuleSays() {
        // a space joins the word after it unless another whitespace follows; U+3000 is whitespace, U+00A0 is not
        assertThat(BpeTokenizer.words("a  b\n\n c\u3000\u00a0d 12x!?"))
                .containsExactly("a", " ", " b", "\n\n", " c", "\u3000", "\u00a0", "d", " 12", "x", "!?");
    }

    @Test
    void mergesCompressFrequentWords() {
        BpeTokenizer t = BpeTokenizer.train(CORPUS, 400);
        String s = "The court held that the statute applies.";
        assertThat(t.encode(s).length).isLessThan(s.getBytes(StandardCharsets.UTF_8).length / 2);
    }

    @Test
    void trainingIsDeterministicAndJsonRoundTrips() {
        BpeTokenizer a = BpeTokenizer.train(CORPUS, 350);
        BpeTokenizer b = BpeTokenizer.train(CORPUS, 350);
        assertThat(Json.write(a.toJson())).isEqualTo(Json.write(b.toJson()));
        @SuppressWarnings("unchecked")
        Map<String, Object> json = (Map<String, Object>) (Object) Json.MAPPER.convertValue(a.toJson(), Map.class);
        BpeTokenizer c = BpeTokenizer.fromJson(json);
        for (String s : CORPUS) {
            assertThat(c.encode(s)).isEqualTo(a.encode(s));
        }
    }

    @Test
    void specialTokensDecodeToNothingAndBadVocabIsRejected() {
        BpeTokenizer t = BpeTokenizer.train(CORPUS, 270);
        int[] ids = t.encode("hi");
        int[] framed = new int[ids.length + 2];
        framed[0] = BpeTokenizer.BOS;
        System.arraycopy(ids, 0, framed, 1, ids.length);
        framed[framed.length - 1] = BpeTokenizer.EOS;
        assertThat(t.decode(framed)).isEqualTo("hi");
        assertThatThrownBy(() -> BpeTokenizer.train(CORPUS, 100)).hasMessageContaining("at least 260");
    }
}
