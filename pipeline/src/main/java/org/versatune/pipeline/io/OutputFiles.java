package org.versatune.pipeline.io;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.UncheckedIOException;

/** Single-file outputs (a JSON report): refused if present unless overwrite; written to a temp name then renamed. */
public final class OutputFiles {
    private OutputFiles() {
    }

    public static boolean exists(Configuration conf, String file) {
        try {
            Path p = new Path(file);
            return p.getFileSystem(conf).exists(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Refuses, before any work, to replace an existing output file unless asked to. */
    public static void requireAbsent(Configuration conf, String file, boolean overwrite) {
        if (!overwrite && exists(conf, file)) {
            throw new StageOutput.OutputExistsException("output file '" + file
                    + "' already exists; refusing to overwrite it (pass --overwrite to replace it)");
        }
    }

    public static void writeJson(Configuration conf, String file, Object value, boolean overwrite) {
        writeText(conf, file, Json.write(value), overwrite);
    }

    public static void writeText(Configuration conf, String file, String text, boolean overwrite) {
        try {
            requireAbsent(conf, file, overwrite);
            Path target = new Path(file);
            FileSystem fs = target.getFileSystem(conf);
            Path parent = target.getParent();
            if (parent != null && !fs.exists(parent) && !fs.mkdirs(parent)) {
                throw new IOException("cannot create " + parent);
            }
            Path tmp = new Path(parent, "." + target.getName() + ".tmp");
            Json.writeText(conf, tmp.toString(), text);
            if (fs.exists(target)) {
                fs.delete(target, false);
            }
            if (!fs.rename(tmp, target)) {
                throw new IOException("cannot rename " + tmp + " to " + target);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write '" + file + "': " + e.getMessage(), e);
        }
    }
}
