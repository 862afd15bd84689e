package org.versatune.pipeline.ingest;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.spark.sql.Row;
import org.versatune.pipeline.domain.Domains;
import org.versatune.pipeline.io.InputPaths;

import java.io.Serializable;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Validates one record (a JSON line, a Parquet row as JSON, or a raw text document) into an accepted or a
 * rejected {@link IngestRow}. SFT records need {@code id, instruction, output} (strings; {@code input} may be
 * absent, meaning empty); text records need {@code id, text}. {@code domain} and {@code source} are optional.
 */
final class RecordParser implements Serializable {
    // a key given twice ("domain":"law","domain":"medicine") is an error, never silently the last value
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final char BOM = '\uFEFF';

    private final Domains domains;
    private final String defaultDomain;   // from --domain, may be null
    private final long maxRecordBytes;

    RecordParser(Domains domains, String defaultDomain, long maxRecordBytes) {
        this.domains = domains;
        this.defaultDomain = defaultDomain;
        this.maxRecordBytes = maxRecordBytes;
    }

    /**
     * The domain a file's records get when they carry none: --domain, else a Hive-style {@code domain=X} folder
     * (our own Parquet outputs), else the file name if it is a domain.
     */
    String fileDomain(String file) {
        if (defaultDomain != null) {
            return defaultDomain;
        }
        int at = file.lastIndexOf("/domain=");
        if (at >= 0) {
            int end = file.indexOf('/', at + 1);
            String d = URLDecoder.decode(file.substring(at + 8, end < 0 ? file.length() : end),
                    StandardCharsets.UTF_8);
            return "__HIVE_DEFAULT_PARTITION__".equals(d) ? null : d;
        }
        String stem = InputPaths.stem(file);
        return domains.contains(stem) ? stem : null;
    }

    /** A record's text, or the row rejecting it when it is over the size limit or not UTF-8. */
    private record Decoded(String text, Row rejected) {
    }

    private Decoded decode(byte[] raw, String what, String file, Long line) {
        if (raw.length > maxRecordBytes) {
            return new Decoded(null, IngestRow.rejected(RejectReason.RECORD_TOO_LARGE, null,
                    where(file, line) + what + " is " + raw.length + " bytes, over the limit of " + maxRecordBytes
                            + " (versatune.ingest.max-record-bytes)", null, file, line, raw));
        }
        try {
            String text = decodeStrict(raw);
            // a UTF-8 byte-order mark before a file's first record
            return new Decoded(!text.isEmpty() && text.charAt(0) == BOM ? text.substring(1) : text, null);
        } catch (CharacterCodingException e) {
            return new Decoded(null, IngestRow.rejected(RejectReason.INVALID_UTF8, null,
                    where(file, line) + "not valid UTF-8: " + e.getMessage(), null, file, line, raw));
        }
    }

    Row jsonRecord(byte[] raw, String file, Long line) {
        Decoded decoded = decode(raw, "record", file, line);
        if (decoded.rejected() != null) {
            return decoded.rejected();
        }
        String text = decoded.text();
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (StreamReadException e) {
            String msg = e.getOriginalMessage();
            if (msg != null && msg.startsWith("Duplicate field")) {
                String field = msg.replaceAll("^Duplicate field '([^']*)'.*$", "$1");
                return IngestRow.rejected(RejectReason.DUPLICATE_FIELD, field, where(file, line) + "field '" + field
                        + "' is given more than once", null, file, line, raw);
            }
            return IngestRow.rejected(RejectReason.MALFORMED_JSON, null,
                    where(file, line) + "malformed JSON: " + msg, null, file, line, raw);
        } catch (JsonProcessingException e) {
            return IngestRow.rejected(RejectReason.MALFORMED_JSON, null,
                    where(file, line) + "malformed JSON: " + e.getOriginalMessage(), null, file, line, raw);
        }
        if (node == null || !node.isObject()) {
            return IngestRow.rejected(RejectReason.WRONG_TYPE, null,
                    where(file, line) + "expected a JSON object, found " + (node == null ? "nothing" : node.getNodeType()),
                    null, file, line, raw);
        }
        return fromObject(node, raw, file, line);
    }

    private Row fromObject(JsonNode node, byte[] raw, String file, Long line) {
        Field id = string(node, "id", true);
        if (id.problem != null) {
            return id.reject(file, line, null, raw);
        }
        if (blank(id.value)) {
            return IngestRow.rejected(RejectReason.EMPTY_TEXT, "id", where(file, line) + "field 'id' is empty",
                    null, file, line, raw);
        }
        Field domain = string(node, "domain", false);
        Field source = string(node, "source", false);
        for (Field f : new Field[]{domain, source}) {
            if (f.problem != null) {
                return f.reject(file, line, id.value, raw);
            }
        }
        String dom = domain.value != null && !blank(domain.value) ? domain.value.strip() : fileDomain(file);
        if (dom != null && !domains.contains(dom)) {
            return IngestRow.rejected(RejectReason.UNKNOWN_DOMAIN, "domain", where(file, line) + "domain '" + dom
                    + "' is not one of the configured domains " + domains.names(), id.value, file, line, raw);
        }
        boolean isText = node.has("text") && !node.has("instruction");
        if (isText) {
            Field text = string(node, "text", true);
            if (text.problem != null) {
                return text.reject(file, line, id.value, raw);
            }
            if (blank(text.value)) {
                return IngestRow.rejected(RejectReason.EMPTY_TEXT, "text", where(file, line) + "field 'text' is empty",
                        id.value, file, line, raw);
            }
            return IngestRow.text(id.value, dom, text.value, source.value, file, line, raw);
        }
        Field instruction = string(node, "instruction", true);
        Field input = string(node, "input", false);
        Field output = string(node, "output", true);
        for (Field f : new Field[]{instruction, input, output}) {
            if (f.problem != null) {
                return f.reject(file, line, id.value, raw);
            }
        }
        for (Field f : new Field[]{instruction, output}) {
            if (blank(f.value)) {
                return IngestRow.rejected(RejectReason.EMPTY_TEXT, f.name, where(file, line) + "field '" + f.name + "' is empty",
                        id.value, file, line, raw);
            }
        }
        return IngestRow.sft(id.value, dom, instruction.value, input.value == null ? "" : input.value, output.value,
                source.value, file, line, raw);
    }

    /** A raw text document (lines already split on blank lines). */
    Row textDocument(byte[] raw, String file, long line) {
        Decoded decoded = decode(raw, "document", file, line);
        if (decoded.rejected() != null) {
            return decoded.rejected();
        }
        String text = decoded.text();
        String dom = fileDomain(file);
        String id = (dom == null ? "text" : dom) + "-txt-" + sha256Hex(text).substring(0, 16);
        return IngestRow.text(id, dom, text, null, file, line, raw);
    }

    static String decodeStrict(byte[] raw) throws CharacterCodingException {
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        return dec.decode(ByteBuffer.wrap(raw)).toString();
    }

    static String sha256Hex(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Empty or only whitespace, Unicode's included (no-break and other space separators, not only ASCII). */
    static boolean blank(String s) {
        return s.codePoints().allMatch(c -> Character.isWhitespace(c) || Character.isSpaceChar(c) || c == BOM);
    }

    static String where(String file, Long line) {
        return file + (line == null ? "" : ":" + line) + ": ";
    }

    private static Field string(JsonNode node, String name, boolean required) {
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) {
            return required ? new Field(name, null, RejectReason.MISSING_FIELD, "missing required field '" + name + "'")
                    : new Field(name, null, null, null);
        }
        if (!v.isTextual()) {
            return new Field(name, null, RejectReason.WRONG_TYPE,
                    "field '" + name + "' must be a string, found " + v.getNodeType().toString().toLowerCase(Locale.ROOT));
        }
        return new Field(name, v.textValue(), null, null);
    }

    private record Field(String name, String value, RejectReason problem, String message) {
        Row reject(String file, Long line, String id, byte[] raw) {
            return IngestRow.rejected(problem, name, where(file, line) + message, id, file, line, raw);
        }
    }
}
