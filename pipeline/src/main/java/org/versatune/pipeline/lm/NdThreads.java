package org.versatune.pipeline.lm;

import org.nd4j.linalg.factory.Nd4j;

/**
 * Threads ND4J (its BLAS and elementwise ops) and the Java row kernels use in this JVM. A training task sets
 * them to the cores it owns: all of them when it runs alone, one when two tasks share two cores (more threads
 * than cores make OpenMP and the JVM fight, measured 3-4x slower on 2 cores).
 */
public final class NdThreads {
    private static volatile int current = -1;

    private NdThreads() {
    }

    public static synchronized void use(int threads) {
        int n = Math.max(1, threads);
        if (n == current) {
            return;
        }
        try {
            Nd4j.factory().blas().setMaxThreads(n);
            Nd4j.getEnvironment().setMaxThreads(n);
            Nd4j.getEnvironment().setMaxMasterThreads(n);
        } catch (UnsupportedOperationException | IllegalStateException e) {
            // device backends (CUDA) do not take CPU thread counts
        }
        RowKernels.setThreads(n);
        current = n;
    }

    /**
     * Threads per task: {@code configured} when positive; else the JVM's cores divided among the tasks that run at
     * once in it ({@code concurrentTasks}).
     */
    public static int forTask(int configured, int concurrentTasks) {
        if (configured > 0) {
            return configured;
        }
        return Math.max(1, Runtime.getRuntime().availableProcessors() / Math.max(1, concurrentTasks));
    }
}
