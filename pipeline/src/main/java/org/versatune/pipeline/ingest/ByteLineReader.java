package org.versatune.pipeline.ingest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Splits a byte stream into lines without decoding, so invalid UTF-8 can be reported per line and the raw
 * bytes kept. Handles {@code \n} and {@code \r\n}.
 */
final class ByteLineReader {
    private final InputStream in;
    private final byte[] buf = new byte[1 << 16];
    private int pos;
    private int len;
    private long lineNumber;
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

    ByteLineReader(InputStream in) {
        this.in = in;
    }

    /** 1-based number of the line last returned. */
    long lineNumber() {
        return lineNumber;
    }

    /** Bytes of a line being read when the stream failed (the unfinished tail of a truncated file). */
    byte[] unfinished() {
        return partial.toByteArray();
    }

    /** The next line without its terminator, or null at the end of the stream. */
    byte[] next() throws IOException {
        partial.reset();
        while (true) {
            if (pos == len) {
                len = in.read(buf, 0, buf.length);
                pos = 0;
                if (len <= 0) {
                    len = 0;
                    if (partial.size() == 0) {
                        return null;
                    }
                    lineNumber++;
                    return strip(partial.toByteArray());
                }
            }
            int start = pos;
            while (pos < len && buf[pos] != '\n') {
                pos++;
            }
            partial.write(buf, start, pos - start);
            if (pos < len) {
                pos++; // consume '\n'
                lineNumber++;
                byte[] line = strip(partial.toByteArray());
                partial.reset();
                return line;
            }
        }
    }

    private static byte[] strip(byte[] line) {
        if (line.length > 0 && line[line.length - 1] == '\r') {
            return Arrays.copyOf(line, line.length - 1);
        }
        return line;
    }
}
