package org.versatune.pipeline.spark;

import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FilterFunction;
import org.apache.spark.sql.Dataset;
import org.versatune.pipeline.util.FaultInjection;

/** Adds an injected-failure point to a Dataset's plan, only when a test arms it (see {@link FaultInjection}). */
public final class TaskFaults {
    private TaskFaults() {
    }

    public static <T> Dataset<T> hook(Dataset<T> ds, String name) {
        if (!FaultInjection.armedAt(name)) {
            return ds;
        }
        return ds.filter((FilterFunction<T>) r -> {
            FaultInjection.task(name, TaskContext.get().attemptNumber());
            return true;
        });
    }
}
