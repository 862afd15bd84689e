package org.versatune.pipeline.spark;

import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.slf4j.Logger;
import org.versatune.pipeline.util.Progress;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Progress of Spark work that reports nothing itself while it runs (an MLlib L-BFGS fit runs one Spark job per loss
 * and gradient evaluation): a progress line as its jobs finish, counted against an expected number, with an ETA.
 * Registered for the duration of a try-with-resources block.
 */
public final class JobProgress extends SparkListener implements AutoCloseable {
    private final SparkContext sc;
    private final Progress progress;
    private final long expected;
    private final String unit;
    private final AtomicLong done = new AtomicLong();

    private JobProgress(SparkContext sc, Progress progress, long expected, String unit) {
        this.sc = sc;
        this.progress = progress;
        this.expected = expected;
        this.unit = unit;
    }

    /** Counts the jobs that finish from now on against {@code expected}, each one {@code unit}. */
    public static JobProgress start(SparkContext sc, Logger log, String what, long expected, String unit) {
        JobProgress p = new JobProgress(sc, new Progress(log, what, expected), expected, unit);
        sc.addSparkListener(p);
        return p;
    }

    @Override
    public void onJobEnd(SparkListenerJobEnd end) {
        long n = done.incrementAndGet();
        double rate = n / Math.max(1e-9, progress.elapsedSeconds());
        // past the expected count the ETA is unknown: the count goes on, the percentage stays at 100
        progress.update(Math.min(n, expected), unit, rate, n > expected ? n + " " + unit + " so far" : "", false);
    }

    public long jobs() {
        return done.get();
    }

    @Override
    public void close() {
        sc.removeSparkListener(this);
    }
}
