package org.versatune.pipeline.lm;

import org.bytedeco.javacpp.Pointer;

/**
 * Fails fast, with what to change, when training would not fit ND4J's off-heap limit (JavaCPP's
 * {@code org.bytedeco.javacpp.maxbytes} / {@code maxphysicalbytes}, see conf/spark-defaults.conf.example) instead of
 * allocating until the JVM is killed or hangs in GC.
 */
public final class MemoryCheck {
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
     * Importing holds the checkpoint's fp32 values twice on the heap (the decoded tensors and their read buffers)
     * and twice off-heap (the parameter vector and, when zero biases are dropped, its copy).
     */
    public static void requireImportFits(LmConfig c) {
        long bytes = 8L * c.numParams();
        long heap = Runtime.getRuntime().maxMemory();
        if (bytes > heap * 0.9 || bytes > offHeapLimit() * 0.9) {
            throw new IllegalStateException(String.format("importing %s parameters needs about %.1f GB of heap and of off-heap "
                            + "memory; this JVM has %.1f GB of heap and %.1f GB off-heap: raise -Xmx and "
                            + "-Dorg.bytedeco.javacpp.maxbytes (VERSATUNE_JAVA_OPTS)", c.numParams(), bytes / 1e9, heap / 1e9,
                    offHeapLimit() / 1e9));
        }
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
