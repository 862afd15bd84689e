package org.versatune.pipeline.lm;

import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fails fast, with what to change, when training would not fit ND4J's off-heap limit (JavaCPP's
 * {@code org.bytedeco.javacpp.maxbytes} / {@code maxphysicalbytes}, see conf/spark-defaults.conf.example) instead of
 * allocating until the JVM is killed or hangs in GC.
 */
public final class MemoryCheck {
    private static final Logger LOG = LoggerFactory.getLogger(MemoryCheck.class);

    private MemoryCheck() {
    }

    /** Bytes one training task needs: parameters, gradients and Adam moments, plus activations for a full batch. */
    public static long trainingBytes(LmConfig c, int tokensPerBatch) {
        long n = tokensPerBatch;
        long d = c.dModel();
        long h = c.hidden();
        long t = c.context();
        long heads = c.heads();
        long p = c.numParams();
        long perLayer = 8 * n * d + heads * n * t + 2 * n * h + 2 * n;
        long floats = 4 * p + c.layers() * perLayer + 8 * n * d + n * c.vocabSize() + 2 * n * h + 2 * heads * n * t;
        return floats * 4;
    }

    /** The off-heap limit of this JVM (JavaCPP's maxBytes; 0 there means none, returned as Long.MAX_VALUE). */
    public static long offHeapLimit() {
        long max = Pointer.maxBytes();
        return max > 0 ? max : Long.MAX_VALUE;
    }

    public static void requireTrainingFits(LmConfig c, int tokensPerBatch, int concurrentTasks) {
        long need = trainingBytes(c, tokensPerBatch) * Math.max(1, concurrentTasks);
        long limit = offHeapLimit();
        if (need > limit * 0.9) {
            throw new IllegalStateException(String.format("training needs about %.1f GB of off-heap memory (%s parameters, "
                            + "%d tokens per batch, %d task(s) in this JVM) but the limit is %.1f GB: lower "
                            + "versatune.lm.train.tokens-per-batch or the model size, or raise -Dorg.bytedeco.javacpp.maxbytes "
                            + "(and maxphysicalbytes) for this JVM", need / 1e9, c.numParams(), tokensPerBatch,
                    Math.max(1, concurrentTasks), limit / 1e9));
        }
    }

    /**
     * Off-heap bytes an import needs: the parameters in their stored width, a second copy of them when GPT-2's zero
     * biases are dropped, and the largest tensor twice (as read, and its transpose on the way into place). The heap
     * holds only read buffers and the tokenizer.
     */
    public static long importBytes(LmConfig c, DataType stored) {
        long width = NativeBytes.width(stored);
        long largest = (long) c.vocabSize() * c.dModel();
        return width * (c.numParams() * (c.biases() ? 2 : 1) + 2 * largest);
    }

    public static void requireImportFits(LmConfig c, DataType stored) {
        long bytes = importBytes(c, stored);
        String what = String.format("importing %s parameters kept as %s (%d bytes each) needs about %.1f GB of off-heap memory",
                c.numParams(), stored, NativeBytes.width(stored), bytes / 1e9);
        LOG.info("{}; the limit is {} GB", what, String.format("%.1f", offHeapLimit() / 1e9));
        if (bytes > offHeapLimit() * 0.9) {
            throw new IllegalStateException(String.format("%s; this JVM allows %.1f GB: raise -Dorg.bytedeco.javacpp.maxbytes "
                    + "and maxphysicalbytes (VERSATUNE_JAVA_OPTS)", what, offHeapLimit() / 1e9));
        }
    }

    /**
     * Fine-tuning keeps fp32 master weights whatever width the model is stored in: the driver holds them and their
     * Adam moments (12 bytes per parameter), and every training task in this JVM its own parameters, gradients,
     * moments and activations ({@link #trainingBytes}). Says what that comes to, and refuses before training starts
     * when it does not fit.
     */
    public static String requireFineTuneFits(LmConfig c, DataType stored, int tokensPerBatch, int tasksInThisJvm) {
        String what = fineTune(c, stored, tokensPerBatch, tasksInThisJvm, offHeapLimit());
        LOG.info(what);
        return what;
    }

    static String fineTune(LmConfig c, DataType stored, int tokensPerBatch, int tasksInThisJvm, long limit) {
        long driver = 12L * c.numParams();
        long tasks = trainingBytes(c, tokensPerBatch) * tasksInThisJvm;
        String what = String.format("fine-tuning %s parameters stored as %s keeps fp32 master weights: %.1f GB for the "
                        + "weights and Adam moments, %.1f GB for %d training task(s) in this JVM (%d tokens per batch)",
                c.numParams(), stored, driver / 1e9, tasks / 1e9, tasksInThisJvm, tokensPerBatch);
        if (driver + tasks > limit * 0.9) {
            throw new IllegalStateException(String.format("%s, but the off-heap limit is %.1f GB: lower "
                    + "versatune.lm.train.tokens-per-batch or versatune.lm.train.partitions, or raise "
                    + "-Dorg.bytedeco.javacpp.maxbytes (and maxphysicalbytes) for this JVM", what, limit / 1e9));
        }
        return what;
    }

    /** A clearer error for JavaCPP's allocation failures; other throwables are returned unchanged. */
    public static RuntimeException explain(Throwable e) {
        String m = String.valueOf(e.getMessage());
        if (e instanceof OutOfMemoryError || m.contains("Cannot allocate") || m.contains("Physical bytes used")) {
            return new IllegalStateException("out of memory while training: " + m + " — lower versatune.lm.train.tokens-per-batch "
                    + "or the model size, or raise -Xmx / -Dorg.bytedeco.javacpp.maxbytes / maxphysicalbytes", e);
        }
        return e instanceof RuntimeException r ? r : new IllegalStateException(e);
    }
}
