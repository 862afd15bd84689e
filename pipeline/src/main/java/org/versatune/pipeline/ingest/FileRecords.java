package org.versatune.pipeline.ingest;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Row;
import org.versatune.pipeline.io.HadoopConf;
import org.versatune.pipeline.util.FaultInjection;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/** Streams the records of one JSON Lines or raw text file (optionally gzip) as {@link IngestRow}s. */
final class FileRecords implements Serializable {
    enum Format { JSONL, TEXT, PARQUET }

    private final HadoopConf conf;
    private final RecordParser parser;

    FileRecords(HadoopConf conf, RecordParser parser) {
        this.conf = conf;
        this.parser = parser;
    }

    static Format format(String file) {
        String n = new Path(file).getName().toLowerCase(Locale.ROOT);
        if (n.endsWith(".gz")) {
            n = n.substring(0, n.length() - 3);
        }
        if (n.endsWith(".jsonl") || n.endsWith(".json") || n.endsWith(".ndjson")) {
            return Format.JSONL;
        }
        if (n.endsWith(".txt") || n.endsWith(".text")) {
            return Format.TEXT;
        }
        if (n.endsWith(".parquet")) {
            return Format.PARQUET;
        }
        throw new IllegalArgumentException("unsupported input file '" + file
                + "': expected .jsonl/.json (SFT or {id,text} records), .txt (documents separated by blank lines) "
                + "or .parquet, optionally gzip-compressed (.gz)");
    }

    Iterator<Row> read(String file) {
        TaskContext tc = TaskContext.get();
        FaultInjection.task("ingest", tc == null ? 0 : tc.attemptNumber());
        InputStream in;
        try {
            Path p = new Path(file);
            FileSystem fs = p.getFileSystem(conf.get());
            InputStream raw = fs.open(p);
            in = file.toLowerCase(Locale.ROOT).endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw;
        } catch (EOFException e) {
            // gzip header cut off: an empty or truncated .gz
            return List.of(IngestRow.rejected(RejectReason.TRUNCATED_GZIP, null,
                    file + ": truncated gzip stream (header incomplete)", null, file, null, null)).iterator();
        } catch (ZipException e) {
            return List.of(IngestRow.rejected(RejectReason.UNREADABLE_FILE, null,
                    file + ": cannot read as gzip: " + e.getMessage(), null, file, null, null)).iterator();
        } catch (IOException e) {
            return List.of(IngestRow.rejected(RejectReason.UNREADABLE_FILE, null,
                    file + ": cannot open: " + e.getMessage(), null, file, null, null)).iterator();
        }
        ByteLineReader lines = new ByteLineReader(in);
        return format(file) == Format.JSONL ? new JsonLines(file, in, lines) : new TextDocuments(file, in, lines);
    }

    /** Base for streaming iterators that turn a read failure into one rejected row, then stop. */
    private abstract class Records implements Iterator<Row> {
        final String file;
        final InputStream in;
        final ByteLineReader lines;
        private Row next;
        private boolean done;

        Records(String file, InputStream in, ByteLineReader lines) {
            this.file = file;
            this.in = in;
            this.lines = lines;
        }

        abstract Row advance() throws IOException;

        /** Bytes already consumed for the record being read when the stream broke. */
        abstract byte[] pending();

        abstract long pendingLine();

        @Override
        public boolean hasNext() {
            if (next == null && !done) {
                try {
                    next = advance();
                } catch (IOException e) {
                    byte[] tail = concat(pending(), lines.unfinished());
                    boolean truncated = e instanceof EOFException || String.valueOf(e.getMessage()).contains("Unexpected end");
                    next = IngestRow.rejected(truncated ? RejectReason.TRUNCATED_GZIP : RejectReason.UNREADABLE_FILE, null,
                            file + ":" + pendingLine() + ": " + (truncated ? "compressed stream ends early (truncated file); "
                                    + "records before this line were read, the unfinished tail is kept here" : "read error: " + e.getMessage()),
                            null, file, pendingLine(), tail.length == 0 ? null : tail);
                    done = true;
                }
                if (next == null) {
                    done = true;
                    closeQuietly();
                }
            }
            return next != null;
        }

        @Override
        public Row next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            Row r = next;
            next = null;
            if (done) {
                closeQuietly();
            }
            return r;
        }

        private void closeQuietly() {
            try {
                in.close();
            } catch (IOException ignored) {
                // nothing left to read
            }
        }
    }

    private final class JsonLines extends Records {
        JsonLines(String file, InputStream in, ByteLineReader lines) {
            super(file, in, lines);
        }

        @Override
        Row advance() throws IOException {
            byte[] line;
            while ((line = lines.next()) != null) {
                if (!isBlank(line)) {
                    return parser.jsonRecord(line, file, lines.lineNumber());
                }
            }
            return null;
        }

        @Override
        byte[] pending() {
            return new byte[0];
        }

        @Override
        long pendingLine() {
            return lines.lineNumber() + 1;
        }
    }

    private final class TextDocuments extends Records {
        private final ByteArrayOutputStream doc = new ByteArrayOutputStream();
        private long docStart = -1;

        TextDocuments(String file, InputStream in, ByteLineReader lines) {
            super(file, in, lines);
        }

        @Override
        Row advance() throws IOException {
            byte[] line;
            while ((line = lines.next()) != null) {
                if (isBlank(line)) {
                    if (docStart > 0) {
                        return flush();
                    }
                    continue;
                }
                if (docStart < 0) {
                    docStart = lines.lineNumber();
                } else {
                    doc.write('\n');
                }
                doc.write(line);
            }
            return docStart > 0 ? flush() : null;
        }

        private Row flush() {
            Row r = parser.textDocument(doc.toByteArray(), file, docStart);
            doc.reset();
            docStart = -1;
            return r;
        }

        @Override
        byte[] pending() {
            byte[] b = doc.toByteArray();
            return b.length == 0 ? b : concat(b, new byte[]{'\n'});
        }

        @Override
        long pendingLine() {
            return docStart > 0 ? docStart : lines.lineNumber() + 1;
        }
    }

    static boolean isBlank(byte[] line) {
        for (byte b : line) {
            if (b != ' ' && b != '\t' && b != '\r' && b != '\f') {
                return false;
            }
        }
        return true;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static List<String> ofFormat(List<String> files, Format f) {
        List<String> out = new ArrayList<>();
        for (String file : files) {
            if (format(file) == f) {
                out.add(file);
            }
        }
        return out;
    }
}
