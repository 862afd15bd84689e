package org.versatune.pipeline.parallel;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.versatune.pipeline.lm.LmCheckpoint;

import java.io.IOException;
import java.util.function.Supplier;

/**
 * In-progress checkpoints of a training run, kept in a hidden folder beside its output
 * ({@code .<output>.checkpoints/latest}), written every N steps and when the JVM is asked to stop (SIGTERM).
 * {@code --resume} continues from the latest one; the folder is removed when the output is committed.
 */
public final class Checkpoints implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Checkpoints.class);

    private final Configuration conf;
    private final Path dir;
    private final Object lock = new Object();
    private volatile Supplier<LmCheckpoint> pending;
    private long savedStep = -1;
    private final Thread hook;

    public Checkpoints(Configuration conf, String output) {
        this.conf = conf;
        Path out = new Path(output);
        this.dir = new Path(out.getParent(), "." + out.getName() + ".checkpoints");
        this.hook = new Thread(this::saveOnExit, "versatune-checkpoint-on-exit");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    public String latestPath() {
        return new Path(dir, "latest").toString();
    }

    /** The latest checkpoint, or null when there is none. */
    public LmCheckpoint latest() {
        return LmCheckpoint.exists(conf, latestPath()) ? LmCheckpoint.load(conf, latestPath()) : null;
    }

    /** Registers the newest state (saved on exit if the JVM is stopped before the next periodic save). */
    public void offer(Supplier<LmCheckpoint> state) {
        pending = state;
    }

    public void save(LmCheckpoint ck) {
        synchronized (lock) {
            ck.save(conf, latestPath());
            savedStep = ck.step();
            LOG.info("checkpoint at step {} -> {}", ck.step(), latestPath());
        }
    }

    private void saveOnExit() {
        Supplier<LmCheckpoint> p = pending;
        if (p == null) {
            return;
        }
        try {
            LmCheckpoint ck = p.get();
            synchronized (lock) {
                if (ck.step() > savedStep) {
                    ck.save(conf, latestPath());
                    savedStep = ck.step();
                    System.err.println("versatune: stopped; checkpoint at step " + ck.step() + " saved to " + latestPath()
                            + " (continue with --resume)");
                }
            }
        } catch (RuntimeException e) {
            System.err.println("versatune: could not save a checkpoint on exit: " + e.getMessage());
        }
    }

    /** Removes the in-progress folder (after the final output is committed). */
    public void discard() {
        pending = null;
        try {
            FileSystem fs = dir.getFileSystem(conf);
            fs.delete(dir, true);
        } catch (IOException e) {
            LOG.warn("could not remove {}: {}", dir, e.getMessage());
        }
    }

    @Override
    public void close() {
        pending = null;
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // already shutting down
        }
    }
}
