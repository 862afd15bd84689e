package org.versatune.pipeline.io;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.versatune.pipeline.config.Settings;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The output folder of one stage, written atomically: everything goes to a hidden temporary sibling
 * ({@code .<name>.tmp}), then stats JSON, the resolved config and last the completion marker are written
 * there, and the folder is renamed into place. A reader therefore sees a complete output or none.
 * A completed output is skipped unless overwrite is asked for; any other existing output is refused.
 */
public final class StageOutput {
    public static final String MARKER = "_VERSATUNE_SUCCESS";
    public static final String STATS = "stats.json";
    public static final String CONFIG = "config.json";
    private static final Logger LOG = LoggerFactory.getLogger(StageOutput.class);

    private final Configuration conf;
    private final Path target;
    private final Path tmp;
    private final String stage;
    private final boolean overwrite;
    private final boolean complete;

    private final Path lock;

    private StageOutput(Configuration conf, Path target, String stage, boolean overwrite, boolean complete) {
        this.conf = conf;
        this.target = target;
        this.tmp = new Path(target.getParent(), "." + target.getName() + ".tmp");
        this.lock = new Path(target.getParent(), "." + target.getName() + ".lock");
        this.stage = stage;
        this.overwrite = overwrite;
        this.complete = complete;
    }

    /** A stage's work: writes its files under {@link #path} and returns the stats committed with them. */
    @FunctionalInterface
    public interface Body {
        Map<String, Object> write(StageOutput out);
    }

    /**
     * The shape of every stage: open the output; when it already holds a completed output of this stage, return its
     * stats marked {@code skipped}; otherwise run {@code body}, then commit what it wrote with its stats, the settings
     * and the marker, or on any failure remove what it wrote (nothing visible, no marker). The Spark job
     * description the body set is cleared either way.
     */
    public static Map<String, Object> run(SparkSession spark, Settings settings, String dir, String stage, boolean overwrite,
                                          Body body) {
        StageOutput out = open(spark.sparkContext().hadoopConfiguration(), dir, stage, overwrite);
        if (out.alreadyComplete()) {
            LOG.info("{} output {} is already complete; skipping (use --overwrite to redo)", stage, dir);
            Map<String, Object> s = new LinkedHashMap<>(out.completedStats());
            s.put("skipped", true);
            return s;
        }
        try {
            Map<String, Object> stats = body.write(out);
            out.commit(stats, settings);
            return stats;
        } catch (Throwable e) { // Spark throws its checked SparkException undeclared
            out.abort();
            throw e;
        } finally {
            spark.sparkContext().setJobDescription(null);
        }
    }

    /**
     * Opens {@code dir} for {@code stage}. Throws {@link OutputExistsException} when the folder exists and is
     * not a completed output of this stage, unless {@code overwrite}.
     */
    public static StageOutput open(Configuration conf, String dir, String stage, boolean overwrite) {
        try {
            Path target = new Path(dir);
            FileSystem fs = target.getFileSystem(conf);
            target = fs.makeQualified(target);
            if (target.getParent() == null) {
                throw new IllegalArgumentException("output cannot be a file system root: " + dir);
            }
            boolean complete = false;
            if (fs.exists(target) && !overwrite) {
                Path marker = new Path(target, MARKER);
                if (fs.exists(marker) && stage.equals(readMarker(fs, marker))) {
                    complete = true;
                } else if (fs.isFile(target) || fs.listStatus(target).length > 0) {
                    throw new OutputExistsException("output '" + dir + "' already exists and is not a completed "
                            + stage + " output; refusing to overwrite it (pass --overwrite to replace it)");
                }
            }
            StageOutput out = new StageOutput(conf, target, stage, overwrite, complete);
            if (!complete) {
                out.prepare(fs);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open output '" + dir + "': " + e.getMessage(), e);
        }
    }

    private static String readMarker(FileSystem fs, Path marker) throws IOException {
        try (var in = fs.open(marker)) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int nl = text.indexOf('\n');
            return (nl < 0 ? text : text.substring(0, nl)).trim();
        }
    }

    private void prepare(FileSystem fs) throws IOException {
        Path parent = target.getParent();
        if (!fs.exists(parent) && !fs.mkdirs(parent)) {
            throw new IOException("cannot create " + parent);
        }
        takeLock(fs);
        if (fs.exists(tmp)) {
            LOG.info("removing leftover temporary output {} from an interrupted run", tmp);
            fs.delete(tmp, true);
        }
        if (!fs.mkdirs(tmp)) {
            throw new IOException("cannot create " + tmp + " (is the output location writable?)");
        }
    }

    /**
     * One writer per output: a lock file beside it names the process writing it. A run in another process is
     * refused while that process lives; the lock of a process that died on this host (kill -9), or of this process
     * (a stage that failed before it could abort), is taken over.
     */
    private void takeLock(FileSystem fs) throws IOException {
        String me = HOST + " " + ProcessHandle.current().pid() + " " + Instant.now();
        for (int attempt = 0; attempt < 2; attempt++) {
            try (var out = fs.create(lock, false)) {
                out.write((me + "\n").getBytes(StandardCharsets.UTF_8));
                return;
            } catch (FileAlreadyExistsException e) {
                String owner = readMarker(fs, lock);
                String[] f = owner.split(" ");
                long pid = f.length >= 2 && f[1].matches("\\d+") ? Long.parseLong(f[1]) : -1;
                boolean stale = f[0].equals(HOST) && (pid == ProcessHandle.current().pid()
                        || ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true));
                if (!stale) {
                    throw new OutputExistsException("output '" + target + "' is being written by another run (" + owner
                            + "); wait for it to finish or stop it (if no such run exists, remove " + lock + ")");
                }
                LOG.info("taking over the lock of {} from a run that is gone ({})", target, owner);
                fs.delete(lock, false);
            }
        }
        throw new IOException("cannot take the lock " + lock);
    }

    private void releaseLock(FileSystem fs) throws IOException {
        fs.delete(lock, false);
    }

    private static final String HOST = hostName();

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName().replace(' ', '_');
        } catch (UnknownHostException e) {
            return "unknown-host";   // then a lock left by a killed run must be removed by hand (the message says where)
        }
    }

    /** True when the output already holds a completed run of this stage (the caller skips the work). */
    public boolean alreadyComplete() {
        return complete;
    }

    public String target() {
        return target.toString();
    }

    /** The temporary folder itself (files written here appear in the output at commit). */
    public String tmpDir() {
        return tmp.toString();
    }

    /** Where to write a child of the output before commit. */
    public String path(String child) {
        return new Path(tmp, child).toString();
    }

    /** The final location of a child once committed. */
    public String finalPath(String child) {
        return new Path(target, child).toString();
    }

    /** Stats of the completed output (when {@link #alreadyComplete()}). */
    public Map<String, Object> completedStats() {
        return Json.readMap(conf, finalPath(STATS));
    }

    /** Writes stats and config, then the marker, then renames the folder into place. */
    public void commit(Map<String, Object> stats, Settings settings) {
        if (complete) {
            throw new IllegalStateException("output " + target + " is already complete");
        }
        try {
            FileSystem fs = target.getFileSystem(conf);
            Map<String, Object> withStage = new LinkedHashMap<>();
            withStage.put("stage", stage);
            if (settings != null && !settings.root().getString("run.id").isEmpty()) {
                withStage.put("run_id", settings.root().getString("run.id"));
            }
            withStage.putAll(stats);
            Json.write(conf, path(STATS), withStage);
            if (settings != null) {
                Json.writeText(conf, path(CONFIG), settings.renderJson());
            }
            Json.writeText(conf, path(MARKER), stage + "\n");
            Path old = new Path(target.getParent(), "." + target.getName() + ".old");
            if (fs.exists(target)) {
                if (!overwrite) {
                    throw new OutputExistsException("output '" + target + "' appeared while the stage ran; not replacing it");
                }
                fs.delete(old, true);
                if (!fs.rename(target, old)) {
                    throw new IOException("cannot move the previous output aside: " + target);
                }
            }
            if (!fs.rename(tmp, target)) {
                throw new IOException("cannot rename " + tmp + " to " + target);
            }
            fs.delete(old, true);
            releaseLock(fs);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot commit output '" + target + "': " + e.getMessage(), e);
        }
    }

    /** Removes the temporary folder after a failure (best effort). */
    public void abort() {
        try {
            FileSystem fs = tmp.getFileSystem(conf);
            fs.delete(tmp, true);
            releaseLock(fs);
        } catch (IOException e) {
            LOG.warn("could not remove temporary output {} or its lock: {}", tmp, e.getMessage());
        }
    }

    /**
     * True when {@code dir} holds a completed output of {@code stage}. A file system error (a permission problem,
     * an unreachable name node) is reported, never taken for "not done", which would re-run or refuse wrongly.
     */
    public static boolean isComplete(Configuration conf, String dir, String stage) {
        Path marker = new Path(dir, MARKER);
        try {
            FileSystem fs = marker.getFileSystem(conf);
            return fs.exists(marker) && stage.equals(readMarker(fs, marker));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot tell whether " + dir + " is a completed " + stage + " output: " + e.getMessage(), e);
        }
    }

    public static final class OutputExistsException extends IllegalStateException {
        public OutputExistsException(String message) {
            super(message);
        }
    }
}
