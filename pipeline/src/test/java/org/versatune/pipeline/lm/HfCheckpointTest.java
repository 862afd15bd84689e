package org.versatune.pipeline.lm;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Import parity against an independent reference: src/test/reference/hf_reference.py (plain PyTorch GPT-2, Llama,
 * Mistral, Qwen2 and Qwen3, and the tokenizer.json pipeline) made the random checkpoints in src/test/resources/hf-*
 * and recorded their token ids, every position's logits and greedy continuations; our import must reproduce them.
 * The largest logit difference of each family is written to target/hf-parity.json (and, with
 * -Dhf.parity.record=true, to bench/results/hf-parity.json).
 */
class HfCheckpointTest {
    static final Path GPT2 = Path.of("src/test/resources/hf-gpt2");
    static final Path LLAMA = Path.of("src/test/resources/hf-llama");
    static final Map<String, LmCheckpoint> IMPORTED = new ConcurrentHashMap<>();
    static final Map<String, Double> WORST = new ConcurrentHashMap<>();

    @AfterAll
    static void recordParity() throws IOException {
        if (WORST.isEmpty()) {
            return;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("what", "largest |logit difference| over every position of three prompts, ours against "
                + "src/test/reference/hf_reference.py (PyTorch, fp32), per fixture");
        out.put("max_abs_logit_difference", new TreeMap<>(WORST));
        String json = Json.write(out);
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target/hf-parity.json"), json);
        if (Boolean.getBoolean("hf.parity.record")) {
            Files.writeString(Path.of("../bench/results/hf-parity.json"), json + "\n");
        }
    }

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
        LmConfig.Llama llama31 = imported("hf-llama31").config().llama();
        assertThat(llama31.ropeScaling()).isEqualTo(new LmConfig.RopeScaling("llama3", 8, 1, 4, 32));
        assertThat(llama31.tiedHead()).isTrue();
        assertThat(imported("hf-llama2").config().llama().ropeScaling()).isEqualTo(new LmConfig.RopeScaling("linear", 4, 0, 0, 0));
        LmConfig qwen2 = imported("hf-qwen2").config();
        assertThat(qwen2.llama().qkvBias()).isTrue();
        assertThat(qwen2.llama().tiedHead()).isTrue();
        assertThat(qwen2.context()).as("use_sliding_window false: no window, whatever sliding_window says").isEqualTo(64);
        LmConfig qwen3 = imported("hf-qwen3").config();
        assertThat(qwen3.llama().qkNorm()).isTrue();
        assertThat(qwen3.headDim()).isEqualTo(24);
        assertThat(qwen3.attnWidth()).isEqualTo(96);
        assertThat(qwen3.dModel()).isEqualTo(32);
        assertThat(imported("hf-mistral").config().context()).isEqualTo(48);
        assertThat(imported("hf-mistral").state()).containsEntry("context_limited_by", "sliding_window");
    }

    /** Mistral's window (48) becomes the context: a longer sequence is refused, not computed without the window. */
    @Test
    void aSlidingWindowBoundsTheSequences() {
        TransformerLm model = imported("hf-mistral").model();
        TransformerLm.KvCache cache = model.newCache(1);
        for (int pos = 0; pos < 48; pos++) {
            model.step(cache, new int[]{5}, pos);
        }
        assertThatThrownBy(() -> model.step(cache, new int[]{5}, 48)).hasMessageContaining("context 48");
        assertThatThrownBy(() -> model.score(Batch.of(new int[][]{new int[50]}, new int[]{0}, 49), new double[1]))
                .hasMessageContaining("exceeds the model context 48");
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

    /**
     * The tokenizer.json pipeline: ids as Hugging Face gives them by default (the template's tokens added, special
     * tokens written in the text recognised), without the template, with special tokens taken as plain text, and
     * decoding (special tokens skipped); on texts with special tokens' spellings, decomposed accents and digits.
     */
    @ParameterizedTest
    @ValueSource(strings = {"hf-llama31", "hf-llama2", "hf-mistral", "hf-qwen2", "hf-qwen3"})
    void tokenIdsMatchTheReferenceTokenizerPipeline(String fixture) throws IOException {
        BpeTokenizer tok = imported(fixture).tokenizer();
        BpeTokenizer plain = HfCheckpoint.read(Path.of("src/test/resources", fixture), true).tokenizer();
        assertThat(tok.splitSpecialTokens()).isFalse();
        assertThat(plain.splitSpecialTokens()).isTrue();
        for (JsonNode t : reference(fixture).get("texts")) {
            String text = t.get("text").asText();
            int[] ids = tok.encode(text, true);
            assertThat(ids).as(text).containsExactly(ints(t.get("ids")));
            assertThat(tok.encode(text)).as(text).containsExactly(ints(t.get("body")));
            assertThat(plain.encode(text, true)).as("plain: " + text).containsExactly(ints(t.get("ids_plain")));
            assertThat(tok.decode(ids)).as(text).isEqualTo(t.get("decoded").asText());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"hf-gpt2", "hf-llama", "hf-llama31", "hf-llama2", "hf-mistral", "hf-qwen2", "hf-qwen3"})
    void logitsAtEveryPositionMatchTheReferenceTo1e4(String fixture) throws IOException {
        LmCheckpoint imported = imported(fixture);
        JsonNode reference = reference(fixture);
        TransformerLm model = imported.model();
        Map<String, Safetensors.Tensor> logits = Safetensors.read(Path.of("src/test/resources", fixture, "reference.safetensors"));
        double worst = 0;
        for (int k = 0; k < reference.get("prompts").size(); k++) {
            JsonNode p = reference.get("prompts").get(k);
            int[] ids = imported.tokenizer().encode(p.get("text").asText(), true);
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
        WORST.put(fixture, worst);
        assertThat(worst).as("largest |logit difference|").isLessThan(1e-4);
    }

    /** From the begin token and the prompt's ids (without the template's tokens, which are the begin token here). */
    @ParameterizedTest
    @ValueSource(strings = {"hf-gpt2", "hf-llama", "hf-llama31", "hf-llama2", "hf-mistral", "hf-qwen2", "hf-qwen3"})
    void greedyGenerationGivesTheReferenceTokens(String fixture) throws IOException {
        LmCheckpoint imported = imported(fixture);
        TransformerLm model = imported.model();
        for (JsonNode p : reference(fixture).get("prompts")) {
            int[] want = ints(p.get("greedy"));
            int[] prompt = ints(p.has("body") ? p.get("body") : p.get("ids"));
            List<int[]> got = Generator.generate(model, imported.tokenizer().specials(), new int[][]{prompt},
                    new Generator.Sampling(32, 0, 1, 0, 1.0), 1);
            assertThat(got.get(0)).as(p.get("text").asText()).containsExactly(want);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"hf-gpt2", "hf-llama", "hf-llama31", "hf-llama2", "hf-qwen2", "hf-qwen3"})
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
    @ValueSource(strings = {"hf-gpt2", "hf-llama", "hf-llama31", "hf-llama2", "hf-mistral", "hf-qwen2", "hf-qwen3"})
    void anImportedModelSavesAndLoadsAsOneOfOurs(String fixture, @TempDir Path dir) throws IOException {
        LmCheckpoint imported = imported(fixture);
        imported.save(new Configuration(), dir.resolve("m").toString());
        LmCheckpoint loaded = LmCheckpoint.load(new Configuration(), dir.resolve("m").toString());
        assertThat(loaded.config()).isEqualTo(imported.config());
        assertThat(loaded.params().equals(imported.params())).isTrue();
        for (JsonNode t : reference(fixture).get("texts")) {
            String text = t.get("text").asText();
            assertThat(loaded.tokenizer().encode(text, true)).as(text).containsExactly(imported.tokenizer().encode(text, true));
        }
    }

    /** The choice to take special tokens as plain text travels with the model. */
    @Test
    void theSpecialTokensChoiceIsSavedWithTheModel(@TempDir Path dir) throws IOException {
        LmCheckpoint plain = HfCheckpoint.read(Path.of("src/test/resources/hf-qwen2"), true);
        assertThat(plain.state()).containsEntry("split_special_tokens", true);
        plain.save(new Configuration(), dir.resolve("m").toString());
        LmCheckpoint loaded = LmCheckpoint.load(new Configuration(), dir.resolve("m").toString());
        assertThat(loaded.tokenizer().splitSpecialTokens()).isTrue();
        String text = "a<|im_start|>b";
        assertThat(loaded.tokenizer().encode(text)).containsExactly(plain.tokenizer().encode(text))
                .doesNotContain(imported("hf-qwen2").tokenizer().encode("<|im_start|>"));
    }

    @Test
    void unsupportedOptionsStopNamingTheField(@TempDir Path dir) throws IOException {
        Path qwen2 = Path.of("src/test/resources/hf-qwen2");
        Path qwen3 = Path.of("src/test/resources/hf-qwen3");
        Path llama2 = Path.of("src/test/resources/hf-llama2");
        assertThat(rejected(dir, GPT2, "config.json", "\"model_type\": \"gpt2\"", "\"model_type\": \"falcon\"")).contains("model_type");
        assertThat(rejected(dir, GPT2, "config.json", "\"gelu_new\"", "\"gelu\"")).contains("activation_function");
        assertThat(rejected(dir, GPT2, "config.json", "\"layer_norm_epsilon\": 1e-05", "\"layer_norm_epsilon\": 1e-06"))
                .contains("layer_norm_epsilon");
        assertThat(rejected(dir, GPT2, "tokenizer.json", "\"normalizer\": null", "\"normalizer\": {\"type\": \"NFKC\"}"))
                .contains("normalizer").contains("NFKC");
        assertThat(rejected(dir, GPT2, "tokenizer.json", "\"add_prefix_space\": false", "\"add_prefix_space\": true"))
                .contains("add_prefix_space");
        assertThat(rejected(dir, LLAMA, "config.json", "\"rope_scaling\": null", "\"rope_scaling\": {\"type\": \"dynamic\", \"factor\": 2}"))
                .contains("rope_scaling.type").contains("dynamic");
        assertThat(rejected(dir, LLAMA, "config.json", "\"rope_scaling\": null", "\"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4}"))
                .contains("rope_scaling.rope_type").contains("yarn");
        assertThat(rejected(dir, llama2, "config.json", "\"factor\": 4.0", "\"scale\": 4.0")).contains("factor");
        assertThat(rejected(dir, LLAMA, "config.json", "\"rope_scaling\": null", "\"sliding_window\": 16, \"rope_scaling\": null"))
                .contains("sliding_window");
        assertThat(rejected(dir, qwen3, "config.json", "\"attention_bias\": false", "\"attention_bias\": true"))
                .contains("attention_bias");
        assertThat(rejected(dir, qwen2, "config.json", "\"attention_dropout\": 0.0", "\"attention_dropout\": 0.1"))
                .contains("attention_dropout");
        assertThat(rejected(dir, qwen2, "tokenizer.json", "\"lstrip\": false", "\"lstrip\": true")).contains("lstrip");
        assertThat(rejected(dir, qwen2, "tokenizer.json", "\"type\": \"NFC\"", "\"type\": \"Lowercase\"")).contains("normalizer");
        assertThat(rejected(dir, llama2, "tokenizer.json", "\"type\": \"TemplateProcessing\"", "\"type\": \"RobertaProcessing\""))
                .contains("post_processor");
        assertThat(rejected(dir, llama2, "tokenizer.json", "\"type\": \"ByteFallback\"", "\"type\": \"CTC\"")).contains("decoder");
        assertThat(rejected(dir, llama2, "tokenizer.json", "\"<0x41>\"", "\"<0x41x>\"")).contains("byte 65");
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
