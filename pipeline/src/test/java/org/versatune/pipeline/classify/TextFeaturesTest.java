package org.versatune.pipeline.classify;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TextFeaturesTest {
    private static Map<Integer, Float> features(TextFeatures tf, String text) {
        TextFeatures.Counts c = new TextFeatures.Counts();
        int n = tf.featurize(text, c);
        Map<Integer, Float> m = new HashMap<>();
        for (int i = 0; i < n; i++) {
            m.put(c.key(i), c.count(i));
        }
        return m;
    }

    @Test
    void deterministicAndCaseInsensitive() {
        TextFeatures tf = new TextFeatures(1 << 16, 3, 4);
        assertThat(features(tf, "The Court held that")).isEqualTo(features(tf, "the court HELD that"));
        assertThat(features(tf, "def f(x): return x")).isNotEqualTo(features(tf, "def f(x) return x"));
    }

    @Test
    void countsRepeatsAndIncludesBigrams() {
        TextFeatures words = new TextFeatures(1 << 20, 0, 0);
        Map<Integer, Float> m = features(words, "tax tax tax");
        // unigram 'tax' x3 and bigram 'tax tax' x2
        assertThat(m.values()).containsExactlyInAnyOrder(3f, 2f);
    }

    @Test
    void reusedCountsTableGrowsAndClears() {
        TextFeatures tf = new TextFeatures(1 << 18, 3, 4);
        TextFeatures.Counts c = new TextFeatures.Counts();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 5000; i++) {
            sb.append("word").append(i).append(' ');
        }
        int big = tf.featurize(sb, c);
        assertThat(big).isGreaterThan(5000);
        assertThat(tf.featurize("tiny", c)).isEqualTo(features(tf, "tiny").size());
    }

    @Test
    void rejectsBadShapes() {
        assertThatThrownBy(() -> new TextFeatures(1000, 0, 0)).hasMessageContaining("power of two");
        assertThatThrownBy(() -> new TextFeatures(1024, 4, 3)).hasMessageContaining("char n-gram");
    }

    @Test
    void chunksCoverTheTextWithinBounds() {
        String text = "lorem ipsum dolor sit amet ".repeat(400);
        var chunks = TextChunks.chunks(text, 7, "doc", 100, 300, 1000);
        assertThat(chunks).allMatch(c -> c.length() <= 300);
        assertThat(chunks.subList(0, chunks.size() - 1)).allMatch(c -> c.length() >= 40);
        assertThat(String.join(" ", chunks).replace(" ", "")).isEqualTo(text.replace(" ", ""));
        assertThat(TextChunks.chunks(text, 7, "doc", 100, 300, 1000)).isEqualTo(chunks);
        assertThat(TextChunks.chunks(text, 7, "doc", 100, 300, 5)).hasSize(5);
    }
}
