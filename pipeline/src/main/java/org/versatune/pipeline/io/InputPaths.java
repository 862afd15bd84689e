package org.versatune.pipeline.io;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Expands what a user passes as input (files, directories, globs; any Hadoop file system) into a sorted list
 * of data files. Hidden and bookkeeping files ({@code _*}, {@code .*}) inside directories are skipped.
 */
public final class InputPaths {
    private InputPaths() {
    }

    public static List<String> expand(Configuration conf, List<String> patterns) {
        if (patterns == null || patterns.isEmpty()) {
            throw new IllegalArgumentException("no input given");
        }
        TreeSet<String> files = new TreeSet<>();
        for (String pattern : patterns) {
            files.addAll(expandOne(conf, pattern));
        }
        return new ArrayList<>(files);
    }

    private static List<String> expandOne(Configuration conf, String pattern) {
        try {
            Path p = new Path(pattern);
            FileSystem fs = p.getFileSystem(conf);
            List<String> out = new ArrayList<>();
            if (isGlob(pattern)) {
                FileStatus[] matches = fs.globStatus(p);
                if (matches == null || matches.length == 0) {
                    throw new IllegalArgumentException("input glob '" + pattern + "' matches nothing");
                }
                for (FileStatus st : matches) {
                    addAll(fs, st, out);
                }
                if (out.isEmpty()) {
                    throw new IllegalArgumentException("input glob '" + pattern + "' matches only empty directories");
                }
                return out;
            }
            if (!fs.exists(p)) {
                throw new IllegalArgumentException("input not found: " + pattern);
            }
            FileStatus st = fs.getFileStatus(p);
            addAll(fs, st, out);
            if (out.isEmpty()) {
                throw new IllegalArgumentException("input directory '" + pattern + "' contains no data files");
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list input '" + pattern + "': " + e.getMessage(), e);
        }
    }

    private static void addAll(FileSystem fs, FileStatus st, List<String> out) throws IOException {
        if (st.isFile()) {
            out.add(st.getPath().toString());
            return;
        }
        RemoteIterator<LocatedFileStatus> it = fs.listFiles(st.getPath(), true);
        while (it.hasNext()) {
            LocatedFileStatus f = it.next();
            if (!hidden(st.getPath(), f.getPath())) {
                out.add(f.getPath().toString());
            }
        }
    }

    /** True when any path component below the listed root starts with '_' or '.' (markers, temp dirs, crc files). */
    private static boolean hidden(Path root, Path file) {
        Path p = file;
        while (p != null && !p.equals(root)) {
            String n = p.getName();
            if (n.startsWith("_") && !n.contains("=") || n.startsWith(".")) {
                return true;
            }
            p = p.getParent();
        }
        return false;
    }

    static boolean isGlob(String s) {
        return s.indexOf('*') >= 0 || s.indexOf('?') >= 0 || s.indexOf('[') >= 0 || s.indexOf('{') >= 0;
    }

    /** File name without directories and compression/format suffixes: {@code sft/law.jsonl.gz -> law}. */
    public static String stem(String file) {
        String n = new Path(file).getName();
        int dot = n.indexOf('.');
        return dot < 0 ? n : n.substring(0, dot);
    }
}
