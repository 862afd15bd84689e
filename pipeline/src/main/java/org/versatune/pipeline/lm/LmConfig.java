package org.versatune.pipeline.lm;

import com.typesafe.config.Config;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Shape of the causal transformer: pre-LayerNorm blocks (attention + MLP), learned positions, output projection
 * tied to the token embedding. Our own models have linear layers without biases (as in PaLM/LLaMA) and GELU
 * (ND4J's sigmoid form) or ReLU; GPT-2 checkpoints add a bias to every linear layer and use GELU's tanh form.
 */
public record LmConfig(int vocabSize, int context, int dModel, int layers, int heads, int mlpRatio, String activation,
                       boolean biases) implements Serializable {
    public static final String GELU = "gelu";
    public static final String RELU = "relu";
    /** 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), GPT-2's "gelu_new". */
    public static final String GELU_TANH = "gelu-tanh";

    public LmConfig(int vocabSize, int context, int dModel, int layers, int heads, int mlpRatio) {
        this(vocabSize, context, dModel, layers, heads, mlpRatio, GELU);
    }

    public LmConfig(int vocabSize, int context, int dModel, int layers, int heads, int mlpRatio, String activation) {
        this(vocabSize, context, dModel, layers, heads, mlpRatio, activation, false);
    }

    public LmConfig {
        if (!GELU.equals(activation) && !RELU.equals(activation) && !GELU_TANH.equals(activation)) {
            throw new IllegalArgumentException("activation must be gelu, gelu-tanh or relu, got " + activation);
        }
        if (dModel % heads != 0) {
            throw new IllegalArgumentException("d-model " + dModel + " is not divisible by heads " + heads);
        }
        if (vocabSize < 256 || context < 2 || layers < 1 || mlpRatio < 1) {
            throw new IllegalArgumentException("invalid model shape: " + this);
        }
    }

    /** From {@code versatune.lm.model} with the tokenizer's vocabulary size. */
    public static LmConfig from(Config model, int vocabSize) {
        return new LmConfig(vocabSize, model.getInt("context"), model.getInt("d-model"), model.getInt("layers"),
                model.getInt("heads"), model.getInt("mlp-ratio"), model.getString("activation"),
                model.hasPath("biases") && model.getBoolean("biases"));
    }

    public int headDim() {
        return dModel / heads;
    }

    public int hidden() {
        return mlpRatio * dModel;
    }

    /** Parameters of one block. */
    long blockParams() {
        long d = dModel;
        long h = hidden();
        return 4 * d + d * 3 * d + d * d + d * h + h * d + (biases ? 3 * d + d + h + d : 0);
    }

    public long numParams() {
        return (long) vocabSize * dModel + (long) context * dModel + layers * blockParams() + 2L * dModel;
    }

    /** Parameters outside the token and position embeddings (the usual basis of "6N" FLOP estimates). */
    public long nonEmbeddingParams() {
        return layers * blockParams() + 2L * dModel;
    }

    /**
     * Training FLOPs per token as computed (forward + backward = 3x forward): every matrix product of the
     * blocks, the full T x T attention products, and the tied output projection.
     */
    public double trainFlopsPerToken(int seqLen) {
        double d = dModel;
        double matmul = layers * (2 * d * 3 * d + 2 * d * d + 2 * 2 * d * hidden());
        double attention = layers * 2.0 * 2.0 * seqLen * d;
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
        m.put("parameters", numParams());
        return m;
    }

    public static LmConfig fromJson(Map<String, Object> m) {
        if (!"causal-transformer".equals(m.get("architecture"))) {
            throw new IllegalArgumentException("unsupported model architecture " + m.get("architecture"));
        }
        return new LmConfig(i(m, "vocab_size"), i(m, "context"), i(m, "d_model"), i(m, "layers"), i(m, "heads"), i(m, "mlp_ratio"),
                String.valueOf(m.getOrDefault("activation", GELU)), Boolean.TRUE.equals(m.get("biases")));
    }

    private static int i(Map<String, Object> m, String k) {
        Object v = m.get(k);
        if (!(v instanceof Number n)) {
            throw new IllegalArgumentException("model config lacks '" + k + "'");
        }
        return n.intValue();
    }
}
