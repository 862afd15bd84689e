package org.versatune.pipeline.lm;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.versatune.pipeline.io.Json;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A language-model checkpoint folder, loadable by every later stage:
 * {@code model.json} (architecture), {@code tokenizer.json}, {@code params.bin} (raw parameters),
 * optionally {@code optimizer.bin} (Adam moments) and {@code state.json} (step, seeds, training progress).
 * Written to a temporary sibling and renamed into place, so a checkpoint is complete or absent. {@code source} is
 * the folder it was loaded from (executors may read large parameters from there), null for one made in memory.
 */
public record LmCheckpoint(LmConfig config, BpeTokenizer tokenizer, INDArray params, INDArray optimizerState,
                           Map<String, Object> state, String source) {
    public static final String MODEL = "model.json";
    public static final String TOKENIZER = "tokenizer.json";
    public static final String PARAMS = "params.bin";
    public static final String OPTIMIZER = "optimizer.bin";
    public static final String STATE = "state.json";
    static final int FORMAT = 1;

    public LmCheckpoint(LmConfig config, BpeTokenizer tokenizer, INDArray params, INDArray optimizerState, Map<String, Object> state) {
        this(config, tokenizer, params, optimizerState, state, null);
    }

    /**
     * A model of these parameters: a copy of fp32 ones (it may be trained), the 16-bit ones of an imported checkpoint
     * themselves, read-only and widened at use (for scoring and generation).
     */
    public TransformerLm model() {
        return TransformerLm.is16Bit(params.dataType()) ? TransformerLm.reading(config, params)
                : new TransformerLm(config, params.dataType(), params.dup());
    }

    /** This checkpoint with fp32 parameters, as fine-tuning keeps them (16-bit ones widened, exactly). */
    public LmCheckpoint masterWeights() {
        if (!TransformerLm.is16Bit(params.dataType())) {
            return this;
        }
        return new LmCheckpoint(config, tokenizer, params.castTo(DataType.FLOAT), optimizerState, state);
    }

    public long step() {
        Object s = state == null ? null : state.get("step");
        return s instanceof Number n ? n.longValue() : 0L;
    }

    /** True when {@code dir} holds a checkpoint; a file system error is reported, not taken for "none". */
    public static boolean exists(Configuration conf, String dir) {
        Path p = new Path(dir, MODEL);
        try {
            return p.getFileSystem(conf).exists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot check for a checkpoint in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Writes the checkpoint's files into an existing folder (e.g. a stage's temporary output). */
    public void writeInto(Configuration conf, String dir) {
        try {
            Path tmp = new Path(dir);
            FileSystem fs = tmp.getFileSystem(conf);
            fs.mkdirs(tmp);
            Map<String, Object> model = new LinkedHashMap<>(config.toJson());
            model.put("format", FORMAT);
            model.put("dtype", params.dataType().name());
            Json.write(conf, new Path(tmp, MODEL).toString(), model);
            Json.write(conf, new Path(tmp, TOKENIZER).toString(), tokenizer.toJson());
            writeArray(fs, new Path(tmp, PARAMS), params);
            if (optimizerState != null) {
                writeArray(fs, new Path(tmp, OPTIMIZER), optimizerState);
            }
            Json.write(conf, new Path(tmp, STATE).toString(), state == null ? Map.of() : state);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Writes the checkpoint to {@code dir} atomically (replacing an older checkpoint there). */
    public void save(Configuration conf, String dir) {
        try {
            Path target = new Path(dir);
            FileSystem fs = target.getFileSystem(conf);
            Path tmp = new Path(target.getParent(), "." + target.getName() + ".tmp");
            fs.delete(tmp, true);
            writeInto(conf, tmp.toString());
            Path old = new Path(target.getParent(), "." + target.getName() + ".old");
            fs.delete(old, true);
            if (fs.exists(target) && !fs.rename(target, old)) {
                throw new IOException("cannot move the previous checkpoint aside: " + target);
            }
            if (!fs.rename(tmp, target)) {
                throw new IOException("cannot rename " + tmp + " to " + target);
            }
            fs.delete(old, true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void writeArray(FileSystem fs, Path p, INDArray a) throws IOException {
        try (FSDataOutputStream out = fs.create(p, true)) {
            ParamIO.write(a, out);
        }
    }

    /** Loads a checkpoint; a folder that is not one gives an error that says so. */
    public static LmCheckpoint load(Configuration conf, String dir) {
        if (!exists(conf, dir)) {
            throw new IllegalArgumentException("'" + dir + "' is not a model checkpoint (no " + MODEL
                    + "); make one with `versatune pretrain` or pass the folder a training run wrote");
        }
        try {
            Map<String, Object> model = Json.readMap(conf, new Path(dir, MODEL).toString());
            LmConfig cfg = LmConfig.fromJson(model);
            BpeTokenizer tok = BpeTokenizer.fromJson(Json.readMap(conf, new Path(dir, TOKENIZER).toString()));
            if (tok.vocabSize() != cfg.vocabSize()) {
                throw new IllegalArgumentException("'" + dir + "': tokenizer vocabulary " + tok.vocabSize()
                        + " does not match the model's " + cfg.vocabSize());
            }
            FileSystem fs = new Path(dir).getFileSystem(conf);
            INDArray params = readArray(fs, new Path(dir, PARAMS));
            if (params.length() != cfg.numParams()) {
                throw new IllegalArgumentException("'" + dir + "': " + PARAMS + " holds " + params.length()
                        + " values, the model needs " + cfg.numParams());
            }
            Path opt = new Path(dir, OPTIMIZER);
            INDArray state = fs.exists(opt) ? readArray(fs, opt) : null;
            Path st = new Path(dir, STATE);
            Map<String, Object> s = fs.exists(st) ? Json.readMap(conf, st.toString()) : new LinkedHashMap<>();
            return new LmCheckpoint(cfg, tok, params, state, s, dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read checkpoint " + dir + ": " + e.getMessage(), e);
        }
    }

    private static INDArray readArray(FileSystem fs, Path p) throws IOException {
        try (InputStream in = fs.open(p)) {
            return ParamIO.read(in, p.toString());
        }
    }

    /** Raw parameter bytes (for broadcasting a model to executors). */
    public byte[] paramBytes() {
        return ParamIO.toBytes(params);
    }
}
