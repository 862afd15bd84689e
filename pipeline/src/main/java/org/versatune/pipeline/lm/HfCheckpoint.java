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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;

/**
 * A checkpoint folder in the Hugging Face layout ({@code config.json}, {@code model.safetensors} or its shards,
 * {@code tokenizer.json}, optionally {@code special_tokens_map.json}) read into, or written from, one of ours.
 * The GPT-2 family: learned positions, LayerNorm with bias, a bias on every linear layer (Conv1D weights are
 * stored [in, out], as our GEMMs read them), GELU in its tanh form, the output head tied to the token
 * embedding. The Llama family: RMSNorm, rotary positions (optionally rescaled: linear, llama3), SwiGLU,
 * grouped-query attention, no biases, a tied or untied head (Linear weights stored [out, in], transposed on the way
 * in and out); Mistral is the same block; Qwen2 adds biases to the q/k/v projections, Qwen3 a per-head RMSNorm
 * of queries and keys and a head size of its own. A sliding attention window becomes the model's context: every
 * sequence we run then fits in the window, where windowed attention equals full attention. Every option of
 * config.json that would change the computation and that we do not implement stops the import with an error
 * naming the field. Biases that are all exactly zero (as in our own exported models)
 * are dropped, so that export then import gives back the same parameters. BF16 and F16 weights are kept in their
 * width ({@link #storedType}), read one tensor at a time; the model widens them as it uses them.
 */
public final class HfCheckpoint {
    /** The state key an imported model carries: where it came from (its pretraining layout is not known). */
    public static final String IMPORTED_FROM = "imported_from";
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

    /** Model types of the Llama family's block. */
    static final Set<String> DECODERS = Set.of("llama", "mistral", "qwen2", "qwen3");

    /** Reads a GPT-2- or Llama-family folder into a checkpoint of ours, special tokens recognised in text. */
    public static LmCheckpoint read(Path dir) {
        return read(dir, false);
    }

    /**
     * Reads a checkpoint folder; {@code splitSpecialTokens} encodes the spelling of a special token inside text as
     * plain text instead of as the token (Hugging Face's split_special_tokens, off by default there and here).
     */
    public static LmCheckpoint read(Path dir, boolean splitSpecialTokens) {
        Map<String, Object> config = readJson(dir.resolve(CONFIG));
        String where = dir.resolve(CONFIG).toString();
        Object type = config.get("model_type");
        LmConfig cfg;
        if ("gpt2".equals(type)) {
            cfg = gpt2Config(config, where);
        } else if (DECODERS.contains(type)) {
            cfg = decoderConfig(config, where, (String) type);
        } else {
            throw new IllegalArgumentException(where + ": unsupported model_type '" + type
                    + "' (supported: gpt2, llama, mistral, qwen2, qwen3)");
        }
        Map<String, Safetensors.Entry> tensors = new TreeMap<>(Safetensors.entries(dir));
        // buffers some writers save beside the weights: GPT-2's causal masks, Llama's rotary frequencies
        tensors.keySet().removeIf(n -> n.endsWith(".attn.bias") || n.endsWith(".attn.masked_bias") || n.endsWith(".rotary_emb.inv_freq"));
        boolean tied = cfg.llama() == null || cfg.llama().tiedHead();
        Safetensors.Entry tiedHead = tied ? tensors.remove("lm_head.weight") : null;
        if (cfg.llama() == null && !tensors.containsKey("wte.weight")) {
            Map<String, Safetensors.Entry> unprefixed = new TreeMap<>();
            tensors.forEach((k, v) -> unprefixed.put(k.startsWith("transformer.") ? k.substring("transformer.".length()) : k, v));
            tensors = unprefixed;
        }
        DataType stored = storedType(tensors.values());
        MemoryCheck.requireImportFits(cfg, stored);
        INDArray params = Nd4j.zeros(stored, cfg.numParams());
        Weights w = new Weights(params, cfg);
        Set<String> unused = new TreeSet<>(tensors.keySet());
        for (Slot slot : slots(w, cfg)) {
            Safetensors.Entry t = tensors.get(slot.name());
            if (t == null) {
                throw new IllegalArgumentException(dir + ": the weights lack tensor '" + slot.name() + "'");
            }
            if (!Arrays.equals(t.shape(), slot.hfShape())) {
                throw new IllegalArgumentException(dir + ": tensor '" + slot.name() + "' has shape " + Arrays.toString(t.shape())
                        + ", config.json implies " + Arrays.toString(slot.hfShape()));
            }
            // one tensor at a time, in its stored width (the same type as the parameters: no rounding)
            INDArray m = t.read().reshape(slot.hfShape());
            slot.view().assign(slot.transpose() ? m.transpose() : m.reshape(slot.view().shape()));
            unused.remove(slot.name());
        }
        if (!unused.isEmpty()) {
            throw new IllegalArgumentException(dir + ": tensors this " + type + " layout does not use: " + unused);
        }
        if (tiedHead != null && !tiedHead.read().castTo(stored).reshape(w.tokEmb.shape()).equals(w.tokEmb)) {
            throw new IllegalArgumentException(dir + ": lm_head.weight differs from the token embedding, but "
                    + "tie_word_embeddings says the head is tied");
        }
        if (cfg.biases() && biasesAllZero(w)) {
            LmConfig without = new LmConfig(cfg.vocabSize(), cfg.context(), cfg.dModel(), cfg.layers(), cfg.heads(), cfg.mlpRatio(),
                    cfg.activation(), false);
            params = withoutBiases(params, cfg, without);
            cfg = without;
        }
        BpeTokenizer tok = readTokenizer(dir, config, cfg.vocabSize(), splitSpecialTokens);
        Map<String, Object> state = new LinkedHashMap<>();
        state.put(IMPORTED_FROM, "huggingface-" + type);
        state.put("stored_dtype", params.dataType().name());
        if (cfg.context() < intField(config, where, cfg.llama() != null ? "max_position_embeddings" : "n_positions")) {
            state.put("context_limited_by", "sliding_window");
        }
        state.put("split_special_tokens", splitSpecialTokens);
        return new LmCheckpoint(cfg, tok, params, null, state);
    }

    /**
     * The type the parameters are kept in: BF16 or F16 when every tensor has that width (computation widens it at
     * use), else fp32 (a checkpoint that mixes widths is widened whole, as every F16 and BF16 value is a float).
     */
    static DataType storedType(Collection<Safetensors.Entry> tensors) {
        Set<DataType> types = new TreeSet<>();
        tensors.forEach(t -> types.add(t.dataType()));
        return types.size() == 1 && TransformerLm.is16Bit(types.iterator().next()) ? types.iterator().next() : DataType.FLOAT;
    }

    private static LmConfig gpt2Config(Map<String, Object> config, String where) {
        int d = intField(config, where, "n_embd");
        int hidden = config.get("n_inner") == null ? 4 * d : intField(config, where, "n_inner");
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
        return new LmConfig(intField(config, where, "vocab_size"), intField(config, where, "n_positions"), d,
                intField(config, where, "n_layer"), intField(config, where, "n_head"), hidden / d, ACTIVATIONS.get(act), true);
    }

    /** Llama, Mistral, Qwen2 and Qwen3: one block with the options each family switches on. */
    private static LmConfig decoderConfig(Map<String, Object> config, String where, String type) {
        int d = intField(config, where, "hidden_size");
        int heads = intField(config, where, "num_attention_heads");
        int kv = config.get("num_key_value_heads") == null ? heads : intField(config, where, "num_key_value_heads");
        // Qwen3's configuration defaults head_dim to 128; the others to hidden_size / heads
        int headDim = config.get("head_dim") != null ? intField(config, where, "head_dim") : "qwen3".equals(type) ? 128 : 0;
        requireValue(config, where, "hidden_act", "silu", "silu");
        requireValue(config, where, "attention_dropout", 0, 0);
        requireValue(config, where, "partial_rotary_factor", 1, 1);
        requireValue(config, where, "attention_bias", false, false);
        requireValue(config, where, "mlp_bias", false, false);
        Map<String, Object> rope = config.get("rope_parameters") instanceof Map<?, ?> m ? cast(m) : config;
        double eps = number(config, where, "rms_norm_eps", 1e-6);
        double theta = number(rope, where, "rope_theta", 10000.0);
        LmConfig.RopeScaling scaling = ropeScaling(rope == config ? config.get("rope_scaling") : rope, where);
        int context = intField(config, where, "max_position_embeddings");
        Integer window = slidingWindow(config, where, type);
        if (window != null) {
            context = Math.min(context, window);
        }
        boolean tied = Boolean.TRUE.equals(config.getOrDefault("tie_word_embeddings", false));
        boolean qkvBias = "qwen2".equals(type);
        boolean qkNorm = "qwen3".equals(type);
        return LmConfig.llama(intField(config, where, "vocab_size"), context, d, intField(config, where, "num_hidden_layers"),
                heads, new LmConfig.Llama(kv, intField(config, where, "intermediate_size"), theta, eps, tied,
                        headDim * heads == d ? 0 : headDim, qkvBias, qkNorm, scaling));
    }

    /** rope_scaling (or rope_parameters): none, default, linear or llama3; any other type stops the import. */
    private static LmConfig.RopeScaling ropeScaling(Object value, String where) {
        if (value == null) {
            return null;
        }
        if (!(value instanceof Map<?, ?> raw)) {
            throw new IllegalArgumentException(where + ": rope_scaling is not an object (" + value + ")");
        }
        Map<String, Object> m = cast(raw);
        Object type = m.getOrDefault("rope_type", m.get("type"));
        if (type == null || "default".equals(type)) {
            return null;
        }
        String field = m.containsKey("rope_type") ? "rope_scaling.rope_type" : "rope_scaling.type";
        String at = where + " rope_scaling";
        if (LmConfig.RopeScaling.LINEAR.equals(type)) {
            return new LmConfig.RopeScaling(LmConfig.RopeScaling.LINEAR, requiredNumber(m, at, "factor"), 0, 0, 0);
        }
        if (LmConfig.RopeScaling.LLAMA3.equals(type)) {
            return new LmConfig.RopeScaling(LmConfig.RopeScaling.LLAMA3, requiredNumber(m, at, "factor"),
                    requiredNumber(m, at, "low_freq_factor"), requiredNumber(m, at, "high_freq_factor"),
                    intField(m, at, "original_max_position_embeddings"));
        }
        throw new IllegalArgumentException(where + ": unsupported " + field + " '" + type + "' (supported: linear, llama3)");
    }

    /**
     * The sliding attention window in force, or null: Mistral's sliding_window; Qwen2/Qwen3's only with
     * use_sliding_window (false means none, whatever sliding_window says) or with sliding layers in layer_types.
     */
    private static Integer slidingWindow(Map<String, Object> config, String where, String type) {
        boolean on = switch (type) {
            case "mistral" -> config.get("sliding_window") != null;
            case "qwen2", "qwen3" -> Boolean.TRUE.equals(config.get("use_sliding_window"));
            default -> {
                if (config.get("sliding_window") != null) {
                    throw new IllegalArgumentException(where + ": unsupported sliding_window = " + config.get("sliding_window")
                            + " for model_type " + type + " (supported: null)");
                }
                yield false;
            }
        };
        if (config.get("layer_types") instanceof List<?> layers) {
            for (Object l : layers) {
                if ("sliding_attention".equals(l)) {
                    on = true;
                } else if (!"full_attention".equals(l)) {
                    throw new IllegalArgumentException(where + ": unsupported layer_types entry '" + l
                            + "' (supported: full_attention, sliding_attention)");
                }
            }
        }
        return on ? intField(config, where, "sliding_window") : null;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Map<?, ?> m) {
        return (Map<String, Object>) m;
    }

    /**
     * One tensor of the Hugging Face layout and where it lives in ours: {@code view}, or its transpose where the
     * layout stores [out, in] (torch Linear) and ours [in, out]. Gains and biases are 1-D there, [1, n] here.
     */
    private record Slot(String name, INDArray view, boolean transpose) {
        long[] hfShape() {
            if (transpose) {
                return new long[]{view.size(1), view.size(0)};
            }
            return view.size(0) == 1 ? new long[]{view.size(1)} : view.shape();
        }
    }

    private static List<Slot> slots(Weights w, LmConfig c) {
        return c.llama() != null ? llamaSlots(w, c) : gpt2Slots(w, c);
    }

    /** GPT-2 (without the "transformer." prefix): Conv1D weights are stored [in, out], as ours. */
    private static List<Slot> gpt2Slots(Weights w, LmConfig c) {
        List<Slot> m = new ArrayList<>();
        m.add(new Slot("wte.weight", w.tokEmb, false));
        m.add(new Slot("wpe.weight", w.posEmb, false));
        for (int l = 0; l < c.layers(); l++) {
            Weights.Block b = w.blocks[l];
            String h = "h." + l + ".";
            m.add(new Slot(h + "ln_1.weight", b.ln1G, false));
            m.add(new Slot(h + "ln_1.bias", b.ln1B, false));
            m.add(new Slot(h + "attn.c_attn.weight", b.wqkv, false));
            m.add(new Slot(h + "attn.c_attn.bias", b.bqkv, false));
            m.add(new Slot(h + "attn.c_proj.weight", b.wo, false));
            m.add(new Slot(h + "attn.c_proj.bias", b.bo, false));
            m.add(new Slot(h + "ln_2.weight", b.ln2G, false));
            m.add(new Slot(h + "ln_2.bias", b.ln2B, false));
            m.add(new Slot(h + "mlp.c_fc.weight", b.w1, false));
            m.add(new Slot(h + "mlp.c_fc.bias", b.b1, false));
            m.add(new Slot(h + "mlp.c_proj.weight", b.w2, false));
            m.add(new Slot(h + "mlp.c_proj.bias", b.b2, false));
        }
        m.add(new Slot("ln_f.weight", w.lnfG, false));
        m.add(new Slot("ln_f.bias", w.lnfB, false));
        return m;
    }

    /**
     * The Llama family: Linear weights are stored [out, in]; q, k, v sit side by side in our fused projection (their
     * Qwen2 biases too), gate and up too.
     */
    private static List<Slot> llamaSlots(Weights w, LmConfig c) {
        int q = c.heads() * c.headDim();
        int kv = c.kvHeads() * c.headDim();
        int h = c.hidden();
        List<Slot> m = new ArrayList<>();
        m.add(new Slot("model.embed_tokens.weight", w.tokEmb, false));
        for (int l = 0; l < c.layers(); l++) {
            Weights.Block b = w.blocks[l];
            String p = "model.layers." + l + ".";
            m.add(new Slot(p + "input_layernorm.weight", b.ln1G, false));
            m.add(new Slot(p + "self_attn.q_proj.weight", b.wqkv.get(all(), interval(0, q)), true));
            m.add(new Slot(p + "self_attn.k_proj.weight", b.wqkv.get(all(), interval(q, q + kv)), true));
            m.add(new Slot(p + "self_attn.v_proj.weight", b.wqkv.get(all(), interval(q + kv, q + 2 * kv)), true));
            if (b.bqkv != null) {
                m.add(new Slot(p + "self_attn.q_proj.bias", b.bqkv.get(all(), interval(0, q)), false));
                m.add(new Slot(p + "self_attn.k_proj.bias", b.bqkv.get(all(), interval(q, q + kv)), false));
                m.add(new Slot(p + "self_attn.v_proj.bias", b.bqkv.get(all(), interval(q + kv, q + 2 * kv)), false));
            }
            if (b.qNorm != null) {
                m.add(new Slot(p + "self_attn.q_norm.weight", b.qNorm, false));
                m.add(new Slot(p + "self_attn.k_norm.weight", b.kNorm, false));
            }
            m.add(new Slot(p + "self_attn.o_proj.weight", b.wo, true));
            m.add(new Slot(p + "post_attention_layernorm.weight", b.ln2G, false));
            m.add(new Slot(p + "mlp.gate_proj.weight", b.w1.get(all(), interval(0, h)), true));
            m.add(new Slot(p + "mlp.up_proj.weight", b.w1.get(all(), interval(h, 2 * h)), true));
            m.add(new Slot(p + "mlp.down_proj.weight", b.w2, true));
        }
        m.add(new Slot("model.norm.weight", w.lnfG, false));
        if (w.head != null) {
            m.add(new Slot("lm_head.weight", w.head, false));
        }
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
    private static BpeTokenizer readTokenizer(Path dir, Map<String, Object> config, int vocab, boolean splitSpecialTokens) {
        Path file = dir.resolve(TOKENIZER);
        Map<String, Object> json = readJson(file);
        String where = dir.resolve(CONFIG).toString();
        int eos = tokenId(config, where, "eos_token_id");
        int bos = config.get("bos_token_id") == null ? eos : tokenId(config, where, "bos_token_id");
        int pad = config.get("pad_token_id") == null ? eos : tokenId(config, where, "pad_token_id");
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
        return HfTokenizer.read(json, vocab, new BpeTokenizer.Specials(pad, bos, eos, sep), file.toString(), splitSpecialTokens);
    }

    /**
     * Writes a checkpoint as a GPT-2 folder (zero biases where ours has none) or, for the Llama family, a folder of
     * the family its options need: qwen3 with per-head query/key norms, qwen2 with q/k/v biases, else llama.
     */
    public static void write(LmCheckpoint ckpt, Path dir) {
        LmConfig c = ckpt.config();
        INDArray own = ckpt.params().reshape(ckpt.params().length()).castTo(DataType.FLOAT);
        LmConfig layout = c;
        INDArray params = own;
        if (c.llama() == null && !c.biases()) {
            layout = new LmConfig(c.vocabSize(), c.context(), c.dModel(), c.layers(), c.heads(), c.mlpRatio(), c.activation(), true);
            params = Nd4j.zeros(DataType.FLOAT, layout.numParams());
            copyWithoutBiases(new Weights(own, c), new Weights(params, layout));
        }
        Map<String, Safetensors.Tensor> tensors = new TreeMap<>();
        for (Slot slot : slots(new Weights(params, layout), layout)) {
            INDArray m = slot.transpose() ? slot.view().transpose() : slot.view();
            tensors.put(slot.name(), new Safetensors.Tensor(slot.hfShape(), m.dup('c').data().asFloat()));
        }
        try {
            Files.createDirectories(dir);
            Safetensors.write(dir.resolve(WEIGHTS), tensors, Map.of("format", "pt"));
            BpeTokenizer tok = ckpt.tokenizer();
            BpeTokenizer.Specials sp = tok.specials();
            Map<String, Object> config = c.llama() != null ? llamaJson(c) : gpt2Json(c);
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

    private static Map<String, Object> gpt2Json(LmConfig c) {
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
        return config;
    }

    private static Map<String, Object> llamaJson(LmConfig c) {
        LmConfig.Llama l = c.llama();
        if (l.qkNorm() && l.qkvBias()) {
            throw new IllegalArgumentException("no Hugging Face family has both per-head query/key norms and q/k/v-only biases");
        }
        String type = l.qkNorm() ? "qwen3" : l.qkvBias() ? "qwen2" : "llama";
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("model_type", type);
        config.put("architectures", new String[]{switch (type) {
            case "qwen3" -> "Qwen3ForCausalLM";
            case "qwen2" -> "Qwen2ForCausalLM";
            default -> "LlamaForCausalLM";
        }});
        config.put("vocab_size", c.vocabSize());
        config.put("hidden_size", c.dModel());
        config.put("intermediate_size", c.hidden());
        config.put("num_hidden_layers", c.layers());
        config.put("num_attention_heads", c.heads());
        config.put("num_key_value_heads", c.kvHeads());
        config.put("head_dim", c.headDim());
        config.put("max_position_embeddings", c.context());
        config.put("rms_norm_eps", l.normEps());
        config.put("rope_theta", l.ropeTheta());
        Map<String, Object> scaling = null;
        if (l.ropeScaling() != null) {
            scaling = new LinkedHashMap<>(l.ropeScaling().toJson());
            scaling.put("rope_type", scaling.remove("type"));
        }
        config.put("rope_scaling", scaling);
        config.put("hidden_act", "silu");
        if (!"qwen2".equals(type)) {
            config.put("attention_bias", false);
        }
        if ("llama".equals(type)) {
            config.put("mlp_bias", false);
        } else {
            config.put("use_sliding_window", false);
        }
        config.put("tie_word_embeddings", l.tiedHead());
        return config;
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

    /** A token id; of a list (chat models list several end tokens) the first, which generation then stops at. */
    private static int tokenId(Map<String, Object> m, String where, String field) {
        Object v = m.get(field);
        if (v instanceof List<?> l && !l.isEmpty() && l.get(0) instanceof Number n) {
            return n.intValue();
        }
        return intField(m, where, field);
    }

    private static double number(Map<String, Object> m, String where, String field, double dflt) {
        Object v = m.getOrDefault(field, dflt);
        if (!(v instanceof Number n)) {
            throw new IllegalArgumentException(where + ": field '" + field + "' is not a number (" + v + ")");
        }
        return n.doubleValue();
    }

    private static double requiredNumber(Map<String, Object> m, String where, String field) {
        if (!(m.get(field) instanceof Number n)) {
            throw new IllegalArgumentException(where + ": field '" + field + "' is missing or not a number (" + m.get(field) + ")");
        }
        return n.doubleValue();
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
