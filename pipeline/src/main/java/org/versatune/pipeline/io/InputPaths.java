package org.versatune.pipeline.io;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
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
        if ("file".equals(fs.getUri().getScheme())) {
            addLocal(st.getPath(), java.nio.file.Path.of(st.getPath().toUri()), new ArrayDeque<>(), out);
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

    /**
     * A local directory, walked by hand so that a directory symlink pointing back to one of its own ancestors is
     * reported instead of being followed until the path grows too long.
     */
    private static void addLocal(Path root, java.nio.file.Path dir, Deque<java.nio.file.Path> ancestors, List<String> out)
            throws IOException {
        java.nio.file.Path real = dir.toRealPath();
        if (ancestors.contains(real)) {
            throw new IllegalArgumentException("input '" + root + "' contains a directory symlink loop: " + dir
                    + " leads back to " + real);
        }
        ancestors.push(real);
        try (DirectoryStream<java.nio.file.Path> entries = Files.newDirectoryStream(dir)) {
            List<java.nio.file.Path> sorted = new ArrayList<>();
            entries.forEach(sorted::add);
            sorted.sort(null);
            for (java.nio.file.Path e : sorted) {
                String n = e.getFileName().toString();
                if (n.startsWith(".") || n.startsWith("_") && !n.contains("=")) {
                    continue;
                }
                if (Files.isDirectory(e)) {
                    addLocal(root, e, ancestors, out);
                } else if (Files.isRegularFile(e)) {
                    out.add(new Path(e.toUri()).toString());
                }
            }
        }
        ancestors.pop();
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

    /**
     * Refuses an output that lies inside one of the inputs (or holds one): a re-run would read the stage's own
     * earlier output as input (its Parquet, stats and config) and mix it with the real records.
     */
    public static void requireOutputOutsideInputs(Configuration conf, List<String> inputs, String output) {
        try {
            Path out = new Path(output);
            Path q = out.getFileSystem(conf).makeQualified(out);
            for (String in : inputs) {
                String fixed = isGlob(in) ? globRoot(in) : in;
                Path i = new Path(fixed);
                Path qi = i.getFileSystem(conf).makeQualified(i);
                if (within(q, qi) || within(qi, q)) {
                    throw new IllegalArgumentException("output '" + output + "' overlaps input '" + in + "': a re-run would "
                            + "read this stage's own output as input; write the output outside the input folders");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot resolve '" + output + "': " + e.getMessage(), e);
        }
    }

    private static boolean within(Path p, Path dir) {
        for (Path x = p; x != null; x = x.getParent()) {
            if (x.equals(dir)) {
                return true;
            }
        }
        return false;
    }

    /** The folder part of a glob before its first wildcard ({@code data/*.jsonl -> data}). */
    private static String globRoot(String glob) {
        int at = 0;
        while (at < glob.length() && "*?[{".indexOf(glob.charAt(at)) < 0) {
            at++;
        }
        int slash = glob.lastIndexOf('/', at);
        return slash <= 0 ? "." : glob.substring(0, slash);
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
