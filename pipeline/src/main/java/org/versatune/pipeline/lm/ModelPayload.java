package org.versatune.pipeline.lm;

import com.fasterxml.jackson.core.type.TypeReference;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.versatune.pipeline.io.Json;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A model as it travels to executors (broadcast once per job). On an executor it is decoded once per JVM and
 * cached by key; every task wraps the shared parameters in its own {@link TransformerLm} (activation buffers
 * are per task, the parameters are not copied).
 */
public final class ModelPayload implements Serializable {
    private static final Map<String, Loaded> CACHE = new ConcurrentHashMap<>();

    private final String key;
    private final String modelJson;
    private final String tokenizerJson;
    private final byte[] params;

    /** A decoded model: configuration, tokenizer and parameters (read-only). */
    public record Loaded(LmConfig config, BpeTokenizer tokenizer, INDArray params) {
        public TransformerLm newModel() {
            return new TransformerLm(config, params.dataType(), params);
        }
    }

    private ModelPayload(String key, String modelJson, String tokenizerJson, byte[] params) {
        this.key = key;
        this.modelJson = modelJson;
        this.tokenizerJson = tokenizerJson;
        this.params = params;
    }

    public static ModelPayload of(LmConfig cfg, BpeTokenizer tok, INDArray params) {
        byte[] bytes = ParamIO.toBytes(params.castTo(DataType.FLOAT));
        String key = UUID.nameUUIDFromBytes(bytes).toString() + ":" + bytes.length;
        return new ModelPayload(key, Json.write(cfg.toJson()), Json.write(tok.toJson()), bytes);
    }

    public static ModelPayload of(LmCheckpoint ck) {
        return of(ck.config(), ck.tokenizer(), ck.params());
    }

    /** The decoded model, built at most once per JVM for this payload. */
    public Loaded load() {
        return CACHE.computeIfAbsent(key, k -> decode());
    }

    private Loaded decode() {
        try {
            LmConfig cfg = LmConfig.fromJson(Json.MAPPER.readValue(modelJson, new TypeReference<Map<String, Object>>() { }));
            BpeTokenizer tok = BpeTokenizer.fromJson(Json.MAPPER.readValue(tokenizerJson, new TypeReference<Map<String, Object>>() { }));
            INDArray p = ParamIO.fromBytes(params, DataType.FLOAT, params.length / 4);
            if (CACHE.size() > 4) {
                CACHE.clear(); // models of finished jobs: keep the executor's memory bounded
            }
            return new Loaded(cfg, tok, p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** How many decoded models this JVM holds (tests check that a job decodes once). */
    public static int cachedModels() {
        return CACHE.size();
    }
}
