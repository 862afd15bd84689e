package org.versatune.pipeline.util;

import org.slf4j.Logger;

/** Driver-side progress lines for long work: count, rate and ETA, at most every few seconds. */
public final class Progress {
    private final Logger log;
    private final String what;
    private final long total;
    private final long startDone;
    private final long started = System.nanoTime();
    private long lastPrint;

    public Progress(Logger log, String what, long total) {
        this(log, what, 0, total);
    }

    /** For resumed work: {@code startDone} units were done before this run, so the ETA ignores them. */
    public Progress(Logger log, String what, long startDone, long total) {
        this.log = log;
        this.what = what;
        this.startDone = startDone;
        this.total = total;
    }

    /** Reports {@code done} of {@code total} units with an extra message; rate-limited unless {@code force}. */
    public void update(long done, String unit, double unitsPerSecond, String extra, boolean force) {
        long now = System.nanoTime();
        if (!force && now - lastPrint < 5_000_000_000L) {
            return;
        }
        lastPrint = now;
        double elapsed = (now - started) / 1e9;
        double frac = total > 0 ? (double) done / total : 0;
        String eta = done > startDone && done < total ? formatSeconds(eta(elapsed, done)) : "-";
        log.info(String.format("%s: %d/%d %s (%.0f%%), %s, elapsed %s, ETA %s", what, done, total, unit, 100 * frac,
                extra, formatSeconds(elapsed), eta));
    }

    /** Seconds left at the rate of this run so far (units done before a resume do not count). */
    double eta(double elapsedSeconds, long done) {
        return elapsedSeconds * (total - done) / (done - startDone);
    }

    public double elapsedSeconds() {
        return (System.nanoTime() - started) / 1e9;
    }

    public static String formatSeconds(double s) {
        long t = Math.round(s);
        return t >= 3600 ? String.format("%dh%02dm", t / 3600, t % 3600 / 60) : t >= 60 ? String.format("%dm%02ds", t / 60, t % 60) : t + "s";
    }
}
