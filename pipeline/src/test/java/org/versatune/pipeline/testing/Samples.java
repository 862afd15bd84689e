package org.versatune.pipeline.testing;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** The bundled sample (samples/ at the top of the checkout) and helpers to write test inputs. */
public final class Samples {
    private Samples() {
    }

    public static File dir() {
        String p = System.getProperty("versatune.samples");
        File f = p != null ? new File(p) : new File("../samples");
        if (!new File(f, "sft").isDirectory()) {
            throw new IllegalStateException("bundled sample not found at " + f.getAbsolutePath());
        }
        return f;
    }

    public static String sft() {
        return new File(dir(), "sft").getPath();
    }

    public static String sft(String domain) {
        return new File(dir(), "sft/" + domain + ".jsonl.gz").getPath();
    }

    public static String pretrain() {
        return new File(dir(), "pretrain").getPath();
    }

    public static String eval() {
        return new File(dir(), "eval").getPath();
    }

    public static Path write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    public static Path writeBytes(Path file, byte[] bytes) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.write(file, bytes);
    }

    public static byte[] gzip(byte[] data) throws IOException {
        var bos = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(bos)) {
            out.write(data);
        }
        return bos.toByteArray();
    }
}
