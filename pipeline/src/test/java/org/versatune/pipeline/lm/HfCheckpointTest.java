package org.versatune.pipeline.lm;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.versatune.pipeline.io.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Import parity against an independent reference: src/test/reference/gpt2_reference.py (plain PyTorch GPT-2 and
 * byte-level BPE encoder) made the random checkpoint in src/test/resources/hf-gpt2 and recorded its token ids,
 * every position's logits and greedy continuations; our import must reproduce them.
 */
class HfCheckpointTest {
    static final Path FIXTURE = Path.of("src/test/resources/hf-gpt2");
    static LmCheckpoint imported;
    static JsonNode reference;

    @BeforeAll
    static void importTheReferenceCheckpoint() throws IOException {
        imported = HfCheckpoint.read(FIXTURE);
        reference = Json.MAPPER.readTree(FIXTURE.resolve("reference.json").toFile());
    }

    static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }

    @Test
    void importsTheGpt2Shape() {
        LmConfig c = imported.config();
        assertThat(c).isEqualTo(new LmConfig(457, 64, 64, 2, 4, 4, LmConfig.GELU_TANH, true));
        BpeTokenizer.Specials sp = imported.tokenizer().specials();
        assertThat(List.of(sp.pad(), sp.bos(), sp.eos(), sp.sep())).containsOnly(456);   // <|endoftext|> in every role
    }

    @Test
    void tokenIdsMatchTheReferenceEncoder() {
        for (JsonNode t : reference.get("texts")) {
            String text = t.get("text").asText();
            int[] ids = imported.tokenizer().encode(text);
            assertThat(ids).as(text).containsExactly(ints(t.get("ids")));
            assertThat(imported.tokenizer().decode(ids)).isEqualTo(text);
        }
    }

    @Test
    void logitsAtEveryPositionMatchTheReferenceTo1e4() {
        TransformerLm model = imported.model();
        Map<String, Safetensors.Tensor> logits = Safetensors.read(FIXTURE.resolve("reference.safetensors"));
        double worst = 0;
        for (int k = 0; k < reference.get("prompts").size(); k++) {
            JsonNode p = reference.get("prompts").get(k);
            int[] ids = imported.tokenizer().encode(p.get("text").asText());
            assertThat(ids).containsExactly(ints(p.get("ids")));
            Safetensors.Tensor want = logits.get("logits." + k);
            int v = imported.config().vocabSize();
            assertThat(want.shape()).containsExactly(ids.length, v);
            TransformerLm.KvCache cache = model.newCache(1);
            for (int pos = 0; pos < ids.length; pos++) {
                INDArray got = model.step(cache, new int[]{ids[pos]}, pos);
                for (int j = 0; j < v; j++) {
                    worst = Math.max(worst, Math.abs(got.getDouble(0, j) - want.data()[pos * v + j]));
                }
            }
        }
        System.out.println("import parity: largest |logit difference| " + worst);
        assertThat(worst).as("largest |logit difference|").isLessThan(1e-4);
    }

    @Test
    void greedyGenerationGivesTheReferenceTokens() {
        TransformerLm model = imported.model();
        for (JsonNode p : reference.get("prompts")) {
            int[] want = ints(p.get("greedy"));
            List<int[]> got = Generator.generate(model, imported.tokenizer().specials(), new int[][]{ints(p.get("ids"))},
                    new Generator.Sampling(32, 0, 1, 0, 1.0), 1);
            assertThat(got.get(0)).as(p.get("text").asText()).containsExactly(want);
        }
    }

    @Test
    void exportThenImportGivesTheSameModel(@TempDir Path dir) {
        HfCheckpoint.write(imported, dir.resolve("gpt2"));
        LmCheckpoint back = HfCheckpoint.read(dir.resolve("gpt2"));
        assertThat(back.config()).isEqualTo(imported.config());
        assertThat(back.params().equals(imported.params())).isTrue();
        assertThat(back.tokenizer().specials()).isEqualTo(imported.tokenizer().specials());

        // one of our own models: no biases, our tokenizer with its four specials
        BpeTokenizer tok = BpeTokenizer.train(List.of("the court held that the statute applies", "def f(x):\n\treturn x",
                "naïve café — 東京 ✓", "blood pressure 120/80   and  the heart"), 330);
        LmConfig cfg = new LmConfig(tok.vocabSize(), 32, 16, 2, 2, 2, LmConfig.RELU);
        TransformerLm m = TransformerLm.initialise(cfg, 5, DataType.FLOAT);
        LmCheckpoint own = new LmCheckpoint(cfg, tok, m.params(), null, Map.of());
        HfCheckpoint.write(own, dir.resolve("own"));
        LmCheckpoint ownBack = HfCheckpoint.read(dir.resolve("own"));
        assertThat(ownBack.config()).isEqualTo(cfg);
        assertThat(ownBack.params().equals(m.params())).isTrue();
        assertThat(ownBack.tokenizer().specials()).isEqualTo(BpeTokenizer.Specials.OWN);
        for (JsonNode t : reference.get("texts")) {
            String text = t.get("text").asText();
            assertThat(ownBack.tokenizer().encode(text)).as(text).containsExactly(tok.encode(text));
        }
    }

    @Test
    void anImportedModelSavesAndLoadsAsOneOfOurs(@TempDir Path dir) {
        imported.save(new Configuration(), dir.resolve("m").toString());
        LmCheckpoint loaded = LmCheckpoint.load(new Configuration(), dir.resolve("m").toString());
        assertThat(loaded.config()).isEqualTo(imported.config());
        assertThat(loaded.params().equals(imported.params())).isTrue();
        String text = reference.get("texts").get(2).get("text").asText();
        assertThat(loaded.tokenizer().encode(text)).containsExactly(imported.tokenizer().encode(text));
    }

    @Test
    void unsupportedOptionsStopNamingTheField(@TempDir Path dir) throws IOException {
        assertThat(rejected(dir, "config.json", "\"model_type\": \"gpt2\"", "\"model_type\": \"mistral\"")).contains("model_type");
        assertThat(rejected(dir, "config.json", "\"gelu_new\"", "\"gelu\"")).contains("activation_function");
        assertThat(rejected(dir, "config.json", "\"layer_norm_epsilon\": 1e-05", "\"layer_norm_epsilon\": 1e-06"))
                .contains("layer_norm_epsilon");
        assertThat(rejected(dir, "tokenizer.json", "\"normalizer\": null", "\"normalizer\": {\"type\": \"NFC\"}"))
                .contains("normalizer");
        assertThat(rejected(dir, "tokenizer.json", "\"add_prefix_space\": false", "\"add_prefix_space\": true"))
                .contains("add_prefix_space");
    }

    /** Copies the fixture with one edit in one file and returns the import's error message. */
    private static String rejected(Path root, String file, String from, String to) throws IOException {
        Path dir = Files.createTempDirectory(root, "bad");
        try (Stream<Path> s = Files.list(FIXTURE)) {
            for (Path p : s.toList()) {
                Files.copy(p, dir.resolve(p.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        String text = Files.readString(dir.resolve(file));
        assertThat(text).contains(from);
        Files.writeString(dir.resolve(file), text.replaceFirst(Pattern.quote(from), to));
        Throwable[] caught = new Throwable[1];
        assertThatThrownBy(() -> HfCheckpoint.read(dir)).isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> caught[0] = e);
        return caught[0].getMessage();
    }
}
