package org.versatune.pipeline.lm;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.versatune.pipeline.io.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A checkpoint folder in the Hugging Face layout ({@code config.json}, {@code model.safetensors} or its shards,
 * {@code tokenizer.json}, optionally {@code special_tokens_map.json}) read into, or written from, one of ours.
 * The GPT-2 family: learned positions, LayerNorm with bias, a bias on every linear layer (Conv1D weights are
 * stored [in, out], as our GEMMs read them), GELU in its tanh form, the output head tied to the token
 * embedding. Every option of config.json that would change the computation and that we do not implement stops
 * the import with an error naming the field. Biases that are all exactly zero (as in our own exported models)
 * are dropped, so that export then import gives back the same parameters.
 */
public final class HfCheckpoint {
    static final String CONFIG = "config.json";
    static final String WEIGHTS = "model.safetensors";
    static final String TOKENIZER = "tokenizer.json";
    static final String SPECIAL_TOKENS = "special_tokens_map.json";

    /** HF activation names and ours (quick_gelu is x * sigmoid(1.702 x), ND4J's GELU). */
    private static final Map<String, String> ACTIVATIONS = Map.of(
            "gelu_new", LmConfig.GELU_TANH, "gelu_pytorch_tanh", LmConfig.GELU_TANH,
            "quick_gelu", LmConfig.GELU, "relu", LmConfig.RELU);

    private HfCheckpoint() {
    }

    /** Reads a GPT-2-family folder into a checkpoint of ours (fp32). */
    public static LmCheckpoint read(Path dir) {
        Map<String, Object> config = readJson(dir.resolve(CONFIG));
        String where = dir.resolve(CONFIG).toString();
        Object type = config.get("model_type");
        if (!"gpt2".equals(type)) {
            throw new IllegalArgumentException(where + ": unsupported model_type '" + type + "' (supported: gpt2)");
        }
        int d = intField(config, where, "n_embd");
        Object inner = config.get("n_inner");
        int hidden = inner == null ? 4 * d : intField(config, where, "n_inner");
        if (hidden % d != 0) {
            throw new IllegalArgumentException(where + ": n_inner " + hidden + " is not a multiple of n_embd " + d);
        }
        String act = String.valueOf(config.getOrDefault("activation_function", "gelu_new"));
        if (!ACTIVATIONS.containsKey(act)) {
            throw new IllegalArgumentException(where + ": unsupported activation_function '" + act + "' (supported: "
                    + new TreeSet<>(ACTIVATIONS.keySet()) + ")");
        }
        requireValue(config, where, "layer_norm_epsilon", TransformerLm.LN_EPS, 1e-5);
        requireValue(config, where, "tie_word_embeddings", true, true);
        requireValue(config, where, "scale_attn_weights", true, true);
        requireValue(config, where, "scale_attn_by_inverse_layer_idx", false, false);
        requireValue(config, where, "add_cross_attention", false, false);
        int vocab = intField(config, where, "vocab_size");
        LmConfig withBiases = new LmConfig(vocab, intField(config, where, "n_positions"), d, intField(config, where, "n_layer"),
                intField(config, where, "n_head"), hidden / d, ACTIVATIONS.get(act), true);
        MemoryCheck.requireImportFits(withBiases);

        Map<String, Safetensors.Tensor> tensors = new TreeMap<>(Safetensors.readFolder(dir));
        tensors.keySet().removeIf(n -> n.endsWith(".attn.bias") || n.endsWith(".attn.masked_bias"));  // causal-mask buffers
        Safetensors.Tensor head = tensors.remove("lm_head.weight");
        INDArray params = Nd4j.zeros(DataType.FLOAT, withBiases.numParams());
        Map<String, INDArray> views = gpt2Names(new Weights(params, withBiases), withBiases);
        String prefix = tensors.containsKey("wte.weight") ? "" : "transformer.";
        Set<String> unused = new TreeSet<>(tensors.keySet());
        for (Map.Entry<String, INDArray> e : views.entrySet()) {
            String name = prefix + e.getKey();
            Safetensors.Tensor t = tensors.get(name);
            if (t == null) {
                throw new IllegalArgumentException(dir + ": the weights lack tensor '" + name + "'");
            }
            long[] want = e.getValue().length() == e.getValue().size(1) ? new long[]{e.getValue().size(1)} : e.getValue().shape();
            if (!Arrays.equals(t.shape(), want)) {
                throw new IllegalArgumentException(dir + ": tensor '" + name + "' has shape " + Arrays.toString(t.shape())
                        + ", config.json implies " + Arrays.toString(want));
            }
            e.getValue().assign(Nd4j.createFromArray(t.data()).reshape(e.getValue().shape()));
            unused.remove(name);
        }
        if (!unused.isEmpty()) {
            throw new IllegalArgumentException(dir + ": tensors this GPT-2 layout does not use: " + unused);
        }
        INDArray wte = views.get("wte.weight");
        if (head != null && !Nd4j.createFromArray(head.data()).reshape(wte.shape()).equals(wte)) {
            throw new IllegalArgumentException(dir + ": lm_head.weight differs from the token embedding, but "
                    + "tie_word_embeddings says the head is tied");
        }
        LmConfig cfg = withBiases;
        if (biasesAllZero(new Weights(params, withBiases))) {
            cfg = new LmConfig(vocab, withBiases.context(), d, withBiases.layers(), withBiases.heads(), withBiases.mlpRatio(),
                    withBiases.activation(), false);
            params = withoutBiases(params, withBiases, cfg);
        }
        BpeTokenizer tok = readTokenizer(dir, config, vocab);
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("imported_from", "huggingface-gpt2");
        return new LmCheckpoint(cfg, tok, params, null, state);
    }

    /** The tensor names of the GPT-2 layout (without the "transformer." prefix), each with its view in ours. */
    private static Map<String, INDArray> gpt2Names(Weights w, LmConfig c) {
        Map<String, INDArray> m = new LinkedHashMap<>();
        m.put("wte.weight", w.tokEmb);
        m.put("wpe.weight", w.posEmb);
        for (int l = 0; l < c.layers(); l++) {
            Weights.Block b = w.blocks[l];
            String h = "h." + l + ".";
            m.put(h + "ln_1.weight", b.ln1G);
            m.put(h + "ln_1.bias", b.ln1B);
            m.put(h + "attn.c_attn.weight", b.wqkv);
            m.put(h + "attn.c_attn.bias", b.bqkv);
            m.put(h + "attn.c_proj.weight", b.wo);
            m.put(h + "attn.c_proj.bias", b.bo);
            m.put(h + "ln_2.weight", b.ln2G);
            m.put(h + "ln_2.bias", b.ln2B);
            m.put(h + "mlp.c_fc.weight", b.w1);
            m.put(h + "mlp.c_fc.bias", b.b1);
            m.put(h + "mlp.c_proj.weight", b.w2);
            m.put(h + "mlp.c_proj.bias", b.b2);
        }
        m.put("ln_f.weight", w.lnfG);
        m.put("ln_f.bias", w.lnfB);
        return m;
    }

    private static boolean biasesAllZero(Weights w) {
        for (Weights.Block b : w.blocks) {
            for (INDArray bias : new INDArray[]{b.bqkv, b.bo, b.b1, b.b2}) {
                if (bias.amaxNumber().doubleValue() != 0) {
                    return false;
                }
            }
        }
        return true;
    }

    private static INDArray withoutBiases(INDArray params, LmConfig from, LmConfig to) {
        INDArray out = Nd4j.zeros(params.dataType(), to.numParams());
        copyWithoutBiases(new Weights(params, from), new Weights(out, to));
        return out;
    }

    /**
     * The tokenizer and the roles of its special ids: begin and end from config.json's bos/eos_token_id, padding
     * from pad_token_id (else the end token), the prompt/response separator from special_tokens_map.json's
     * sep_token (else the end token, as GPT-2-style SFT packs prompt and response around it).
     */
    private static BpeTokenizer readTokenizer(Path dir, Map<String, Object> config, int vocab) {
        Path file = dir.resolve(TOKENIZER);
        Map<String, Object> json = readJson(file);
        String where = dir.resolve(CONFIG).toString();
        int eos = intField(config, where, "eos_token_id");
        int bos = config.get("bos_token_id") == null ? eos : intField(config, where, "bos_token_id");
        int pad = config.get("pad_token_id") == null ? eos : intField(config, where, "pad_token_id");
        int sep = eos;
        Path special = dir.resolve(SPECIAL_TOKENS);
        if (Files.exists(special)) {
            Object s = readJson(special).get("sep_token");
            Object content = s instanceof Map<?, ?> m ? m.get("content") : s;
            if (content != null) {
                sep = HfTokenizer.addedTokens(json, file.toString()).entrySet().stream()
                        .filter(e -> e.getValue().equals(content)).map(Map.Entry::getKey).findFirst()
                        .orElseThrow(() -> new IllegalArgumentException(special + ": sep_token '" + content
                                + "' is not a token of " + file));
            }
        }
        return HfTokenizer.read(json, vocab, new BpeTokenizer.Specials(pad, bos, eos, sep), file.toString());
    }

    /** Writes a checkpoint as a GPT-2 folder (F32 safetensors; zero biases where ours has none). */
    public static void write(LmCheckpoint ckpt, Path dir) {
        LmConfig c = ckpt.config();
        LmConfig gpt2 = new LmConfig(c.vocabSize(), c.context(), c.dModel(), c.layers(), c.heads(), c.mlpRatio(), c.activation(), true);
        INDArray params = Nd4j.zeros(DataType.FLOAT, gpt2.numParams());
        Weights w = new Weights(params, gpt2);
        INDArray own = ckpt.params().reshape(ckpt.params().length()).castTo(DataType.FLOAT);
        if (c.biases()) {
            params.assign(own);
        } else {
            copyWithoutBiases(new Weights(own, c), w);
        }
        Map<String, Safetensors.Tensor> tensors = new TreeMap<>();
        for (Map.Entry<String, INDArray> e : gpt2Names(w, gpt2).entrySet()) {
            INDArray v = e.getValue();
            long[] shape = v.length() == v.size(1) && v.size(0) == 1 ? new long[]{v.size(1)} : v.shape();
            tensors.put(e.getKey(), new Safetensors.Tensor(shape, v.dup().data().asFloat()));
        }
        try {
            Files.createDirectories(dir);
            Safetensors.write(dir.resolve(WEIGHTS), tensors, Map.of("format", "pt"));
            BpeTokenizer tok = ckpt.tokenizer();
            BpeTokenizer.Specials sp = tok.specials();
            Map<String, Object> config = new LinkedHashMap<>();
            config.put("model_type", "gpt2");
            config.put("architectures", new String[]{"GPT2LMHeadModel"});
            config.put("vocab_size", c.vocabSize());
            config.put("n_positions", c.context());
            config.put("n_ctx", c.context());
            config.put("n_embd", c.dModel());
            config.put("n_layer", c.layers());
            config.put("n_head", c.heads());
            config.put("n_inner", c.hidden());
            config.put("activation_function", ACTIVATIONS.entrySet().stream().filter(e -> e.getValue().equals(c.activation()))
                    .map(Map.Entry::getKey).sorted().findFirst().orElseThrow());
            config.put("layer_norm_epsilon", TransformerLm.LN_EPS);
            config.put("tie_word_embeddings", true);
            config.put("bos_token_id", sp.bos());
            config.put("eos_token_id", sp.eos());
            config.put("pad_token_id", sp.pad());
            config.put("torch_dtype", "float32");
            Files.writeString(dir.resolve(CONFIG), Json.write(config), StandardCharsets.UTF_8);
            Files.writeString(dir.resolve(TOKENIZER), Json.write(HfTokenizer.write(tok)), StandardCharsets.UTF_8);
            Map<String, Object> special = new LinkedHashMap<>();
            special.put("bos_token", HfTokenizer.specialText(tok, sp.bos()));
            special.put("eos_token", HfTokenizer.specialText(tok, sp.eos()));
            special.put("pad_token", HfTokenizer.specialText(tok, sp.pad()));
            if (sp.sep() != sp.eos()) {
                special.put("sep_token", HfTokenizer.specialText(tok, sp.sep()));
            }
            Files.writeString(dir.resolve(SPECIAL_TOKENS), Json.write(special), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void copyWithoutBiases(Weights src, Weights dst) {
        dst.tokEmb.assign(src.tokEmb);
        dst.posEmb.assign(src.posEmb);
        for (int l = 0; l < src.blocks.length; l++) {
            Weights.Block s = src.blocks[l];
            Weights.Block t = dst.blocks[l];
            t.ln1G.assign(s.ln1G);
            t.ln1B.assign(s.ln1B);
            t.wqkv.assign(s.wqkv);
            t.wo.assign(s.wo);
            t.ln2G.assign(s.ln2G);
            t.ln2B.assign(s.ln2B);
            t.w1.assign(s.w1);
            t.w2.assign(s.w2);
        }
        dst.lnfG.assign(src.lnfG);
        dst.lnfB.assign(src.lnfB);
    }

    private static Map<String, Object> readJson(Path file) {
        if (!Files.exists(file)) {
            throw new IllegalArgumentException(file + " is missing (a Hugging Face checkpoint folder has config.json, "
                    + "model.safetensors and tokenizer.json)");
        }
        try {
            @SuppressWarnings("unchecked")
            Map<String, Object> m = Json.MAPPER.readValue(file.toFile(), Map.class);
            return m;
        } catch (IOException e) {
            throw new IllegalArgumentException(file + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    private static int intField(Map<String, Object> m, String where, String field) {
        if (!(m.get(field) instanceof Number n) || n.doubleValue() != n.intValue()) {
            throw new IllegalArgumentException(where + ": field '" + field + "' is missing or not an integer (" + m.get(field) + ")");
        }
        return n.intValue();
    }

    /** A field that must be absent (taken as its default) or equal to what we implement. */
    private static void requireValue(Map<String, Object> m, String where, String field, Object supported, Object dflt) {
        Object v = m.getOrDefault(field, dflt);
        boolean ok = v instanceof Number n && supported instanceof Number s ? n.doubleValue() == s.doubleValue() : supported.equals(v);
        if (!ok) {
            throw new IllegalArgumentException(where + ": unsupported " + field + " = " + v + " (supported: " + supported + ")");
        }
    }
}
