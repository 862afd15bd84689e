package org.versatune.pipeline.lm;

import com.typesafe.config.Config;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Shape of the causal transformer: pre-LayerNorm blocks (attention + MLP), learned positions, output projection
 * tied to the token embedding. Our own models have linear layers without biases (as in PaLM/LLaMA) and GELU
 * (ND4J's sigmoid form) or ReLU; GPT-2 checkpoints add a bias to every linear layer and use GELU's tanh form.
 * The Llama family ({@link Llama}) changes the block instead.
 */
public record LmConfig(int vocabSize, int context, int dModel, int layers, int heads, int mlpRatio, String activation,
                       boolean biases, Llama llama) implements Serializable {
    public static final String GELU = "gelu";
    public static final String RELU = "relu";
    /** 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), GPT-2's "gelu_new". */
    public static final String GELU_TANH = "gelu-tanh";
    /** x * sigmoid(x), the gate of the Llama family's SwiGLU MLP. */
    public static final String SILU = "silu";

    /**
     * What the Llama family changes: RMSNorm (gain only, epsilon {@code normEps}) instead of LayerNorm, rotary
     * position embeddings (base {@code ropeTheta}, halves rotated as in the published implementation, frequencies
     * rescaled by {@code ropeScaling} when set) instead of learned positions, a SwiGLU MLP of width {@code hidden}
     * (gate and up projections side by side in one matrix), grouped-query attention ({@code kvHeads} key/value
     * heads, each shared by heads/kvHeads query heads), and an output head of its own unless {@code tiedHead}.
     * Qwen2 adds biases to the query, key and value projections ({@code qkvBias}); Qwen3 normalises each query and
     * key head with an RMSNorm of its own gain before the rotation ({@code qkNorm}) and may set a head size
     * ({@code headDim}, 0 for d-model / heads) that the attention's width follows.
     */
    public record Llama(int kvHeads, int hidden, double ropeTheta, double normEps, boolean tiedHead, int headDim,
                        boolean qkvBias, boolean qkNorm, RopeScaling ropeScaling) implements Serializable {
        public Llama(int kvHeads, int hidden, double ropeTheta, double normEps, boolean tiedHead) {
            this(kvHeads, hidden, ropeTheta, normEps, tiedHead, 0, false, false, null);
        }

        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("kv_heads", kvHeads);
            m.put("hidden", hidden);
            m.put("rope_theta", ropeTheta);
            m.put("norm_eps", normEps);
            m.put("tied_head", tiedHead);
            // written only when set, so that earlier checkpoints read as before
            if (headDim != 0) {
                m.put("head_dim", headDim);
            }
            if (qkvBias) {
                m.put("qkv_bias", true);
            }
            if (qkNorm) {
                m.put("qk_norm", true);
            }
            if (ropeScaling != null) {
                m.put("rope_scaling", ropeScaling.toJson());
            }
            return m;
        }

        static Llama fromJson(Map<String, Object> m) {
            return new Llama(i(m, "kv_heads"), i(m, "hidden"), ((Number) m.get("rope_theta")).doubleValue(),
                    ((Number) m.get("norm_eps")).doubleValue(), Boolean.TRUE.equals(m.get("tied_head")),
                    m.get("head_dim") instanceof Number n ? n.intValue() : 0, Boolean.TRUE.equals(m.get("qkv_bias")),
                    Boolean.TRUE.equals(m.get("qk_norm")),
                    m.get("rope_scaling") instanceof Map<?, ?> r ? RopeScaling.fromJson(cast(r)) : null);
        }
    }

    /**
     * Rescaled rotary frequencies for contexts longer than the model was trained on. {@code linear}: every
     * frequency divided by {@code factor}. {@code llama3} (Llama 3.1/3.2): wavelengths shorter than
     * originalContext / highFreqFactor kept, those longer than originalContext / lowFreqFactor divided by the
     * factor, the ones between interpolated smoothly from the one to the other.
     */
    public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor,
                              int originalContext) implements Serializable {
        public static final String LINEAR = "linear";
        public static final String LLAMA3 = "llama3";

        public RopeScaling {
            if (!LINEAR.equals(type) && !LLAMA3.equals(type)) {
                throw new IllegalArgumentException("unsupported rope scaling type '" + type + "' (supported: linear, llama3)");
            }
        }

        double scale(double invFreq) {
            if (LINEAR.equals(type)) {
                return invFreq / factor;
            }
            double wavelen = 2 * Math.PI / invFreq;
            if (wavelen < originalContext / highFreqFactor) {
                return invFreq;
            }
            if (wavelen > originalContext / lowFreqFactor) {
                return invFreq / factor;
            }
            double smooth = (originalContext / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
            return (1 - smooth) * invFreq / factor + smooth * invFreq;
        }

        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("type", type);
            m.put("factor", factor);
            if (LLAMA3.equals(type)) {
                m.put("low_freq_factor", lowFreqFactor);
                m.put("high_freq_factor", highFreqFactor);
                m.put("original_max_position_embeddings", originalContext);
            }
            return m;
        }

        static RopeScaling fromJson(Map<String, Object> m) {
            return new RopeScaling(String.valueOf(m.get("type")), ((Number) m.get("factor")).doubleValue(),
                    m.get("low_freq_factor") instanceof Number n ? n.doubleValue() : 0,
                    m.get("high_freq_factor") instanceof Number n ? n.doubleValue() : 0,
                    m.get("original_max_position_embeddings") instanceof Number n ? n.intValue() : 0);
        }
    }

    public LmConfig(int vocabSize, int context, int dModel, int layers, int heads, int mlpRatio, String activation,
                    boolean biases) {
        this(vocabSize, context, dModel, layers, heads, mlpRatio, activation, biases, null);
    }

    /** A Llama-family shape. */
    public static LmConfig llama(int vocabSize, int context, int dModel, int layers, int heads, Llama llama) {
        return new LmConfig(vocabSize, context, dModel, layers, heads, 1, SILU, false, llama);
    }

    public LmConfig(int vocabSize, int context, int dModel, int layers, int heads, int mlpRatio) {
        this(vocabSize, context, dModel, layers, heads, mlpRatio, GELU);
    }

    public LmConfig(int vocabSize, int context, int dModel, int layers, int heads, int mlpRatio, String activation) {
        this(vocabSize, context, dModel, layers, heads, mlpRatio, activation, false);
    }

    public LmConfig {
        if (llama == null ? !GELU.equals(activation) && !RELU.equals(activation) && !GELU_TANH.equals(activation)
                : !SILU.equals(activation) || biases) {
            throw new IllegalArgumentException("activation must be gelu, gelu-tanh or relu (silu, without biases, in the "
                    + "Llama family), got " + activation);
        }
        boolean ownHeadDim = llama != null && llama.headDim() != 0;
        if (llama != null && (heads % llama.kvHeads() != 0 || (ownHeadDim ? llama.headDim() : dModel / heads) % 2 != 0
                || llama.hidden() < 1)) {
            throw new IllegalArgumentException("invalid Llama shape (heads a multiple of kv heads, even head size): " + this);
        }
        if (!ownHeadDim && dModel % heads != 0) {
            throw new IllegalArgumentException("d-model " + dModel + " is not divisible by heads " + heads);
        }
        if (vocabSize < 256 || context < 2 || layers < 1 || mlpRatio < 1) {
            throw new IllegalArgumentException("invalid model shape: " + this);
        }
    }

    /** From {@code versatune.lm.model} with the tokenizer's vocabulary size. */
    public static LmConfig from(Config model, int vocabSize) {
        String family = model.hasPath("family") ? model.getString("family") : "gpt2";
        return switch (family) {
            case "gpt2" -> new LmConfig(vocabSize, model.getInt("context"), model.getInt("d-model"), model.getInt("layers"),
                    model.getInt("heads"), model.getInt("mlp-ratio"), model.getString("activation"),
                    model.hasPath("biases") && model.getBoolean("biases"));
            // a base shaped as the models users bring: RMSNorm, rotary positions, SwiGLU, grouped-query attention
            case "llama" -> {
                var l = model.getConfig("llama");
                yield llama(vocabSize, model.getInt("context"), model.getInt("d-model"), model.getInt("layers"),
                        model.getInt("heads"), new Llama(l.getInt("kv-heads"), l.getInt("hidden"), l.getDouble("rope-theta"),
                        l.getDouble("norm-eps"), l.getBoolean("tied-head")));
            }
            default -> throw new IllegalArgumentException("versatune.lm.model.family: unknown '" + family
                    + "' (expected gpt2 or llama)");
        };
    }

    public int headDim() {
        return llama != null && llama.headDim() != 0 ? llama.headDim() : dModel / heads;
    }

    /** Columns of the attention's output (heads x head size), d-model unless the head size is set. */
    public int attnWidth() {
        return heads * headDim();
    }

    public int hidden() {
        return llama != null ? llama.hidden() : mlpRatio * dModel;
    }

    public int kvHeads() {
        return llama != null ? llama.kvHeads() : heads;
    }

    /** Columns of the fused query/key/value projection. */
    public int qkvWidth() {
        return (heads + 2 * kvHeads()) * headDim();
    }

    /** Columns of the MLP's input projection (gate and up side by side in the Llama family). */
    public int mlpWidth() {
        return llama != null ? 2 * hidden() : hidden();
    }

    /** Parameters of one block. */
    long blockParams() {
        long d = dModel;
        long h = hidden();
        long norms = llama != null ? 2 * d : 4 * d;
        long qkNorms = llama != null && llama.qkNorm() ? 2L * headDim() : 0;
        long qkvBias = biases || llama != null && llama.qkvBias() ? qkvWidth() : 0;
        return norms + qkNorms + d * qkvWidth() + qkvBias + (long) attnWidth() * d + d * mlpWidth() + h * d
                + (biases ? d + h + d : 0);
    }

    public long numParams() {
        long positions = llama != null ? 0 : (long) context * dModel;
        long head = llama != null && !llama.tiedHead() ? (long) vocabSize * dModel : 0;
        return (long) vocabSize * dModel + positions + nonEmbeddingParams() + head;
    }

    /** Parameters outside the token and position embeddings (the usual basis of "6N" FLOP estimates). */
    public long nonEmbeddingParams() {
        return layers * blockParams() + (llama != null ? 1L : 2L) * dModel;
    }

    /**
     * Training FLOPs per token as computed (forward + backward = 3x forward): every matrix product of the
     * blocks, the full T x T attention products, and the tied output projection.
     */
    public double trainFlopsPerToken(int seqLen) {
        double d = dModel;
        double matmul = layers * (2 * d * qkvWidth() + 2 * d * attnWidth() + 2 * d * mlpWidth() + 2 * d * hidden());
        double attention = layers * 2.0 * 2.0 * seqLen * attnWidth();
        double head = 2.0 * d * vocabSize;
        return 3 * (matmul + attention + head);
    }

    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("architecture", "causal-transformer");
        m.put("vocab_size", vocabSize);
        m.put("context", context);
        m.put("d_model", dModel);
        m.put("layers", layers);
        m.put("heads", heads);
        m.put("mlp_ratio", mlpRatio);
        m.put("activation", activation);
        if (biases) {
            m.put("biases", true);      // written only when set, so checkpoints without biases read as before
        }
        if (llama != null) {
            m.put("llama", llama.toJson());
        }
        m.put("parameters", numParams());
        return m;
    }

    public static LmConfig fromJson(Map<String, Object> m) {
        if (!"causal-transformer".equals(m.get("architecture"))) {
            throw new IllegalArgumentException("unsupported model architecture " + m.get("architecture"));
        }
        return new LmConfig(i(m, "vocab_size"), i(m, "context"), i(m, "d_model"), i(m, "layers"), i(m, "heads"), i(m, "mlp_ratio"),
                String.valueOf(m.getOrDefault("activation", GELU)), Boolean.TRUE.equals(m.get("biases")),
                m.get("llama") instanceof Map<?, ?> l ? Llama.fromJson(cast(l)) : null);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Map<?, ?> m) {
        return (Map<String, Object>) m;
    }

    private static int i(Map<String, Object> m, String k) {
        Object v = m.get(k);
        if (!(v instanceof Number n)) {
            throw new IllegalArgumentException("model config lacks '" + k + "'");
        }
        return n.intValue();
    }
}
