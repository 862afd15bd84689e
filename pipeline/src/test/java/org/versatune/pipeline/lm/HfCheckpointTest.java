package org.versatune.pipeline.lm;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.versatune.pipeline.io.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Import parity against an independent reference: src/test/reference/hf_reference.py (plain PyTorch GPT-2 and
 * Llama, and a byte-level BPE encoder) made the random checkpoints in src/test/resources/hf-gpt2 and hf-llama and
 * recorded their token ids, every position's logits and greedy continuations; our import must reproduce them.
 */
class HfCheckpointTest {
    static final Path GPT2 = Path.of("src/test/resources/hf-gpt2");
    static final Path LLAMA = Path.of("src/test/resources/hf-llama");
    static final Map<String, LmCheckpoint> IMPORTED = new ConcurrentHashMap<>();

    static LmCheckpoint imported(String fixture) {
        return IMPORTED.computeIfAbsent(fixture, f -> HfCheckpoint.read(Path.of("src/test/resources", f)));
    }

    static JsonNode reference(String fixture) throws IOException {
        return Json.MAPPER.readTree(Path.of("src/test/resources", fixture, "reference.json").toFile());
    }

    static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }

    @Test
    void importsEachFamilysShape() {
        assertThat(imported("hf-gpt2").config()).isEqualTo(new LmConfig(457, 64, 64, 2, 4, 4, LmConfig.GELU_TANH, true));
        BpeTokenizer.Specials sp = imported("hf-gpt2").tokenizer().specials();
        assertThat(List.of(sp.pad(), sp.bos(), sp.eos(), sp.sep())).containsOnly(456);   // <|endoftext|> in every role
        LmConfig llama = imported("hf-llama").config();
        assertThat(llama).isEqualTo(LmConfig.llama(458, 64, 64, 2, 4, new LmConfig.Llama(2, 96, 10000, 1e-5, false)));
        assertThat(imported("hf-llama").tokenizer().specials()).isEqualTo(new BpeTokenizer.Specials(457, 456, 457, 457));
    }

    @ParameterizedTest
    @ValueSource(strings = {"hf-gpt2", "hf-llama"})
    void tokenIdsMatchTheReferenceEncoder(String fixture) throws IOException {
        LmCheckpoint imported = imported(fixture);
        for (JsonNode t : reference(fixture).get("texts")) {
            String text = t.get("text").asText();
            int[] ids = imported.tokenizer().encode(text);
            assertThat(ids).as(text).containsExactly(ints(t.get("ids")));
            assertThat(imported.tokenizer().decode(ids)).isEqualTo(text);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"hf-gpt2", "hf-llama"})
    void logitsAtEveryPositionMatchTheReferenceTo1e4(String fixture) throws IOException {
        LmCheckpoint imported = imported(fixture);
        JsonNode reference = reference(fixture);
        TransformerLm model = imported.model();
        Map<String, Safetensors.Tensor> logits = Safetensors.read(Path.of("src/test/resources", fixture, "reference.safetensors"));
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
        System.out.println("import parity, " + fixture + ": largest |logit difference| " + worst);
        assertThat(worst).as("largest |logit difference|").isLessThan(1e-4);
    }

    @ParameterizedTest
    @ValueSource(strings = {"hf-gpt2", "hf-llama"})
    void greedyGenerationGivesTheReferenceTokens(String fixture) throws IOException {
        LmCheckpoint imported = imported(fixture);
        TransformerLm model = imported.model();
        for (JsonNode p : reference(fixture).get("prompts")) {
            int[] want = ints(p.get("greedy"));
            List<int[]> got = Generator.generate(model, imported.tokenizer().specials(), new int[][]{ints(p.get("ids"))},
                    new Generator.Sampling(32, 0, 1, 0, 1.0), 1);
            assertThat(got.get(0)).as(p.get("text").asText()).containsExactly(want);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"hf-gpt2", "hf-llama"})
    void exportThenImportGivesTheSameModel(String fixture, @TempDir Path dir) {
        LmCheckpoint imported = imported(fixture);
        HfCheckpoint.write(imported, dir.resolve("out"));
        LmCheckpoint back = HfCheckpoint.read(dir.resolve("out"));
        assertThat(back.config()).isEqualTo(imported.config());
        assertThat(back.params().equals(imported.params())).isTrue();
        assertThat(back.tokenizer().specials()).isEqualTo(imported.tokenizer().specials());
    }

    /** Models of ours (no biases; Llama-shaped too) with our tokenizer and its four specials come back bit for bit. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void ourOwnModelsExportAndImportBack(boolean llama, @TempDir Path dir) throws IOException {
        BpeTokenizer tok = BpeTokenizer.train(List.of("the court held that the statute applies", "def f(x):\n\treturn x",
                "naïve café — 東京 ✓", "blood pressure 120/80   and  the heart"), 330);
        LmConfig cfg = llama ? LmConfig.llama(tok.vocabSize(), 32, 16, 2, 4, new LmConfig.Llama(2, 24, 10000, 1e-6, false))
                : new LmConfig(tok.vocabSize(), 32, 16, 2, 2, 2, LmConfig.RELU);
        TransformerLm m = TransformerLm.initialise(cfg, 5, DataType.FLOAT);
        HfCheckpoint.write(new LmCheckpoint(cfg, tok, m.params(), null, Map.of()), dir.resolve("own"));
        LmCheckpoint back = HfCheckpoint.read(dir.resolve("own"));
        assertThat(back.config()).isEqualTo(cfg);
        assertThat(back.params().equals(m.params())).isTrue();
        assertThat(back.tokenizer().specials()).isEqualTo(BpeTokenizer.Specials.OWN);
        for (JsonNode t : reference("hf-gpt2").get("texts")) {
            String text = t.get("text").asText();
            assertThat(back.tokenizer().encode(text)).as(text).containsExactly(tok.encode(text));
        }
    }

    /** The sharded form: model.safetensors.index.json naming two shard files. */
    @Test
    void aShardedCheckpointImportsAsTheSingleFile(@TempDir Path dir) throws IOException {
        Map<String, Safetensors.Tensor> all = Safetensors.read(LLAMA.resolve("model.safetensors"));
        Map<String, Safetensors.Tensor> first = new TreeMap<>();
        Map<String, Safetensors.Tensor> second = new TreeMap<>();
        Map<String, String> index = new TreeMap<>();
        for (var e : all.entrySet()) {
            boolean one = e.getKey().contains("layers.0.") || e.getKey().contains("embed");
            (one ? first : second).put(e.getKey(), e.getValue());
            index.put(e.getKey(), one ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors");
        }
        Safetensors.write(dir.resolve("model-00001-of-00002.safetensors"), first, Map.of("format", "pt"));
        Safetensors.write(dir.resolve("model-00002-of-00002.safetensors"), second, Map.of("format", "pt"));
        Files.writeString(dir.resolve(Safetensors.INDEX), Json.write(Map.of("metadata", Map.of(), "weight_map", index)));
        for (String f : List.of("config.json", "tokenizer.json")) {
            Files.copy(LLAMA.resolve(f), dir.resolve(f));
        }
        LmCheckpoint sharded = HfCheckpoint.read(dir);
        assertThat(sharded.params().equals(imported("hf-llama").params())).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"hf-gpt2", "hf-llama"})
    void anImportedModelSavesAndLoadsAsOneOfOurs(String fixture, @TempDir Path dir) throws IOException {
        LmCheckpoint imported = imported(fixture);
        imported.save(new Configuration(), dir.resolve("m").toString());
        LmCheckpoint loaded = LmCheckpoint.load(new Configuration(), dir.resolve("m").toString());
        assertThat(loaded.config()).isEqualTo(imported.config());
        assertThat(loaded.params().equals(imported.params())).isTrue();
        String text = reference(fixture).get("texts").get(2).get("text").asText();
        assertThat(loaded.tokenizer().encode(text)).containsExactly(imported.tokenizer().encode(text));
    }

    @Test
    void unsupportedOptionsStopNamingTheField(@TempDir Path dir) throws IOException {
        assertThat(rejected(dir, GPT2, "config.json", "\"model_type\": \"gpt2\"", "\"model_type\": \"mistral\"")).contains("model_type");
        assertThat(rejected(dir, GPT2, "config.json", "\"gelu_new\"", "\"gelu\"")).contains("activation_function");
        assertThat(rejected(dir, GPT2, "config.json", "\"layer_norm_epsilon\": 1e-05", "\"layer_norm_epsilon\": 1e-06"))
                .contains("layer_norm_epsilon");
        assertThat(rejected(dir, GPT2, "tokenizer.json", "\"normalizer\": null", "\"normalizer\": {\"type\": \"NFC\"}"))
                .contains("normalizer");
        assertThat(rejected(dir, GPT2, "tokenizer.json", "\"add_prefix_space\": false", "\"add_prefix_space\": true"))
                .contains("add_prefix_space");
        assertThat(rejected(dir, LLAMA, "config.json", "\"rope_scaling\": null", "\"rope_scaling\": {\"type\": \"linear\"}"))
                .contains("rope_scaling");
        assertThat(rejected(dir, LLAMA, "config.json", "\"hidden_act\": \"silu\"", "\"hidden_act\": \"gelu\"")).contains("hidden_act");
        assertThat(rejected(dir, LLAMA, "config.json", "\"attention_bias\": false", "\"attention_bias\": true"))
                .contains("attention_bias");
    }

    /** Copies a fixture with one edit in one file and returns the import's error message. */
    private static String rejected(Path root, Path fixture, String file, String from, String to) throws IOException {
        Path dir = Files.createTempDirectory(root, "bad");
        try (Stream<Path> s = Files.list(fixture)) {
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
