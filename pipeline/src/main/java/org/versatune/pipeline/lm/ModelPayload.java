package org.versatune.pipeline.lm;

import com.fasterxml.jackson.core.type.TypeReference;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.io.Json;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A model as it travels to executors, in one of two forms. Small models carry their parameter bytes (the payload is
 * broadcast once per job). A saved model larger than {@code versatune.lm.broadcast-max-bytes} carries only where its
 * {@code params.bin} lies: each executor streams it from that path (any Hadoop file system), so the parameters never
 * pass through the driver's memory or every executor's heap as a broadcast would. On an executor the model is
 * decoded once per JVM and cached by key; every task wraps the shared parameters (kept in their stored width) in its
 * own {@link TransformerLm} (activation buffers are per task, the parameters are not copied).
 */
public final class ModelPayload implements Serializable {
    private static final Logger LOG = LoggerFactory.getLogger(ModelPayload.class);
    private static final Map<String, Loaded> CACHE = new ConcurrentHashMap<>();

    /** How the parameters travel. */
    public enum Route { BROADCAST, PATH }

    private final String key;
    private final String modelJson;
    private final String tokenizerJson;
    private final String dtype;
    private final long length;
    private final byte[] params;             // BROADCAST: the parameters' little-endian bytes
    private final String paramsPath;         // PATH: the checkpoint's params.bin, its size and time when chosen
    private final long fileBytes;
    private final long fileTime;
    private final Map<String, String> hadoop; // PATH: the driver's Hadoop settings (file system, credentials)

    /** A decoded model: configuration, tokenizer and parameters (read-only, in their stored width). */
    public record Loaded(LmConfig config, BpeTokenizer tokenizer, INDArray params) {
        public TransformerLm newModel() {
            return TransformerLm.reading(config, params);
        }
    }

    private ModelPayload(String key, LmConfig cfg, BpeTokenizer tok, INDArray params, byte[] bytes, FileStatus file,
                         Map<String, String> hadoop) {
        this.key = key;
        this.modelJson = Json.write(cfg.toJson());
        this.tokenizerJson = Json.write(tok.toJson());
        this.dtype = params.dataType().name();
        this.length = params.length();
        this.params = bytes;
        this.paramsPath = file == null ? null : file.getPath().toString();
        this.fileBytes = file == null ? 0 : file.getLen();
        this.fileTime = file == null ? 0 : file.getModificationTime();
        this.hadoop = hadoop;
    }

    /** Parameters carried in the payload (a model in memory, e.g. one being trained). */
    public static ModelPayload of(LmConfig cfg, BpeTokenizer tok, INDArray params) {
        byte[] bytes = ParamIO.toBytes(params);
        String key = UUID.nameUUIDFromBytes(bytes) + ":" + params.dataType() + ":" + bytes.length;
        return new ModelPayload(key, cfg, tok, params, bytes, null, null);
    }

    public static ModelPayload of(LmCheckpoint ck) {
        return of(ck.config(), ck.tokenizer(), ck.params());
    }

    /**
     * A checkpoint as this session's executors get it: read from its saved path when its parameters are larger than
     * {@code versatune.lm.broadcast-max-bytes} and it was loaded from a path, else broadcast. Logs which and why.
     */
    public static ModelPayload of(SparkSession spark, Settings settings, LmCheckpoint ck) {
        long max = settings.section("lm").getBytes("broadcast-max-bytes");
        long bytes = ck.params().length() * NativeBytes.width(ck.params().dataType());
        if (bytes <= max || ck.source() == null) {
            LOG.info("model {}: {} MB of {} parameters broadcast to the executors ({})", ck.source() == null ? "in memory" : ck.source(),
                    String.format("%.1f", bytes / 1e6), ck.params().dataType(), bytes <= max ? "at most versatune.lm.broadcast-max-bytes = " + String.format("%.1f", max / 1e6) + " MB"
                            : "larger than versatune.lm.broadcast-max-bytes, but not read from a saved checkpoint");
            return of(ck);
        }
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        Path file = new Path(ck.source(), LmCheckpoint.PARAMS);
        try {
            FileStatus status = file.getFileSystem(conf).getFileStatus(file);
            Map<String, String> hadoop = new HashMap<>();
            conf.forEach(e -> hadoop.put(e.getKey(), e.getValue()));
            LOG.info("model {}: {} MB of {} parameters read by each executor from {} (larger than "
                    + "versatune.lm.broadcast-max-bytes = {} MB)", ck.source(), String.format("%.1f", bytes / 1e6), ck.params().dataType(), file,
                    String.format("%.1f", max / 1e6));
            String key = status.getPath() + ":" + status.getLen() + ":" + status.getModificationTime();
            return new ModelPayload(key, ck.config(), ck.tokenizer(), ck.params(), null, status, hadoop);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    public Route route() {
        return params != null ? Route.BROADCAST : Route.PATH;
    }

    /** The decoded model, built at most once per JVM for this payload. */
    public Loaded load() {
        return CACHE.computeIfAbsent(key, k -> decode());
    }

    private Loaded decode() {
        try {
            LmConfig cfg = LmConfig.fromJson(Json.MAPPER.readValue(modelJson, new TypeReference<Map<String, Object>>() { }));
            BpeTokenizer tok = BpeTokenizer.fromJson(Json.MAPPER.readValue(tokenizerJson, new TypeReference<Map<String, Object>>() { }));
            INDArray p = params != null ? ParamIO.fromBytes(params, DataType.valueOf(dtype), length) : readFromPath();
            if (CACHE.size() > 4) {
                CACHE.clear(); // models of finished jobs: keep the executor's memory bounded
            }
            return new Loaded(cfg, tok, p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private INDArray readFromPath() throws IOException {
        Configuration conf = new Configuration(false);
        hadoop.forEach(conf::set);
        Path file = new Path(paramsPath);
        FileStatus now = file.getFileSystem(conf).getFileStatus(file);
        if (now.getLen() != fileBytes || now.getModificationTime() != fileTime) {
            throw new IllegalStateException(file + " changed since the job started (" + fileBytes + " bytes, modified at "
                    + fileTime + "; now " + now.getLen() + " bytes, modified at " + now.getModificationTime() + ")");
        }
        try (InputStream in = new BufferedInputStream(file.getFileSystem(conf).open(file), NativeBytes.CHUNK)) {
            INDArray p = ParamIO.read(in, file.toString());
            if (p.length() != length || !p.dataType().name().equals(dtype)) {
                throw new IllegalStateException(file + " holds " + p.length() + " " + p.dataType() + " values, the job expects "
                        + length + " " + dtype);
            }
            return p;
        }
    }

    /** How many decoded models this JVM holds (tests check that a job decodes once). */
    public static int cachedModels() {
        return CACHE.size();
    }
}
