package org.versatune.pipeline.io;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/** JSON on any Hadoop file system, with Spark's Jackson. Maps keep insertion order (domains in configured order). */
public final class Json {
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    private Json() {
    }

    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One line of JSON (JSON Lines), without the trailing newline. */
    public static String line(Object value) {
        try {
            return MAPPER.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void write(Configuration conf, String path, Object value) {
        writeText(conf, path, write(value));
    }

    public static void writeText(Configuration conf, String path, String text) {
        try {
            Path p = new Path(path);
            FileSystem fs = p.getFileSystem(conf);
            try (FSDataOutputStream out = fs.create(p, true)) {
                out.write(text.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + path + ": " + e.getMessage(), e);
        }
    }

    public static String readText(Configuration conf, String path) {
        try {
            Path p = new Path(path);
            FileSystem fs = p.getFileSystem(conf);
            // results committed to git are kept gzip-compressed
            try (InputStream in = path.endsWith(".gz") ? new GZIPInputStream(fs.open(p)) : fs.open(p)) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        } catch (FileNotFoundException e) {
            throw new IllegalArgumentException("file not found: " + path, e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    public static Map<String, Object> readMap(Configuration conf, String path) {
        String text = readText(conf, path);
        try {
            return MAPPER.readValue(text, new TypeReference<>() { });
        } catch (IOException e) {
            throw new IllegalArgumentException("'" + path + "' is not valid JSON: " + e.getMessage(), e);
        }
    }

    public static <T> T read(Configuration conf, String path, Class<T> type) {
        String text = readText(conf, path);
        try {
            return MAPPER.readValue(text, type);
        } catch (IOException e) {
            throw new IllegalArgumentException("'" + path + "' is not a valid " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }
}
