package org.versatune.pipeline.lm;

import com.fasterxml.jackson.databind.JsonNode;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.versatune.pipeline.io.Json;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The safetensors format (the Hugging Face checkpoint layout): an 8-byte little-endian header length, a JSON header
 * naming each tensor's dtype, shape and byte range, then the raw little-endian data. Reads F32, F16 and BF16 (one
 * file, or the shards an {@code model.safetensors.index.json} names), either one tensor at a time in its stored width
 * ({@link Entry}) or all widened to fp32; writes F32 or BF16. Every inconsistency
 * (a range outside the file, a size that does not match the shape, overlapping tensors, an unknown dtype) is
 * refused naming the file and the tensor.
 */
public final class Safetensors {
    public static final String INDEX = "model.safetensors.index.json";
    /** Headers beyond this are refused (the format's own readers cap it at 100 MB). */
    static final long MAX_HEADER = 100L << 20;

    private Safetensors() {
    }

    /** A tensor as fp32 values in row-major order. */
    public record Tensor(long[] shape, float[] data) {
        public Tensor {
            if (data.length != count(shape)) {
                throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape) + " needs " + count(shape)
                        + " values, got " + data.length);
            }
        }
    }

    static long count(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /**
     * One tensor of a file, not yet read: its dtype (F32, F16 or BF16), shape and where its bytes lie. Reading it
     * gives an array of the stored width, so 16-bit weights stay 16-bit until they are used.
     */
    public record Entry(Path file, String name, String dtype, long[] shape, long start, long bytes) {
        /** The ND4J type the stored values are kept in, without rounding. */
        public DataType dataType() {
            return switch (dtype) {
                case "F32" -> DataType.FLOAT;
                case "F16" -> DataType.HALF;
                default -> DataType.BFLOAT16;
            };
        }

        /** The values in their stored type, in row-major order. */
        public INDArray read() {
            try (InputStream in = Channels.newInputStream(FileChannel.open(file, StandardOpenOption.READ).position(start))) {
                return NativeBytes.read(new BufferedInputStream(in, NativeBytes.CHUNK), dataType(), shape.length == 0 ? new long[]{1} : shape,
                        file + ": tensor '" + name + "'");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read tensor '" + name + "' of " + file + ": " + e.getMessage(), e);
            }
        }

        /** The values widened to fp32 (exact: every F16 and BF16 value is a float). */
        public Tensor floats() {
            if (count(shape) > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(file + ": tensor '" + name + "' has " + count(shape) + " values, more than one array holds");
            }
            return new Tensor(shape, read().castTo(DataType.FLOAT).reshape(count(shape)).toFloatVector());
        }
    }

    /** Every tensor of a checkpoint folder as fp32: {@code model.safetensors}, or the shards its index names. */
    public static Map<String, Tensor> readFolder(Path dir) {
        return widen(entries(dir));
    }

    /** Every tensor of one file as fp32. */
    public static Map<String, Tensor> read(Path file) {
        return widen(header(file));
    }

    private static Map<String, Tensor> widen(Map<String, Entry> entries) {
        Map<String, Tensor> out = new TreeMap<>();
        entries.forEach((k, v) -> out.put(k, v.floats()));
        return out;
    }

    /** The tensors of a checkpoint folder, unread: {@code model.safetensors}, or the shards its index names. */
    public static Map<String, Entry> entries(Path dir) {
        Path index = dir.resolve(INDEX);
        if (!Files.exists(index)) {
            return header(dir.resolve("model.safetensors"));
        }
        JsonNode map;
        try {
            map = Json.MAPPER.readTree(index.toFile()).get("weight_map");
        } catch (IOException e) {
            throw new IllegalArgumentException(index + " is not valid JSON: " + e.getMessage(), e);
        }
        if (map == null || !map.isObject()) {
            throw new IllegalArgumentException(index + " has no 'weight_map' object");
        }
        Map<String, String> byTensor = new TreeMap<>();
        map.fields().forEachRemaining(e -> byTensor.put(e.getKey(), e.getValue().asText()));
        Map<String, Entry> all = new TreeMap<>();
        for (String shard : new TreeSet<>(byTensor.values())) {
            Map<String, Entry> part = header(dir.resolve(shard));
            for (var e : part.entrySet()) {
                if (!shard.equals(byTensor.get(e.getKey()))) {
                    throw new IllegalArgumentException(dir.resolve(shard) + ": tensor '" + e.getKey() + "' is not listed for this shard in " + index);
                }
                all.put(e.getKey(), e.getValue());
            }
        }
        for (String name : byTensor.keySet()) {
            if (!all.containsKey(name)) {
                throw new IllegalArgumentException(index + " lists tensor '" + name + "' in " + byTensor.get(name) + ", which lacks it");
            }
        }
        return all;
    }

    /** The tensors of one file, unread, after checking every range against the file and the others. */
    public static Map<String, Entry> header(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new IllegalArgumentException(file + ": not a safetensors file (" + size + " bytes)");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.flip().getLong();
            if (headerLen <= 0 || headerLen > MAX_HEADER || 8 + headerLen > size) {
                throw new IllegalArgumentException(file + ": header length " + headerLen + " does not fit the file (" + size + " bytes)");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLen);
            readFully(ch, header, 8);
            JsonNode root;
            try {
                root = Json.MAPPER.readTree(new String(header.array(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new IllegalArgumentException(file + ": the header is not valid JSON: " + e.getMessage(), e);
            }
            long dataStart = 8 + headerLen;
            long dataLen = size - dataStart;
            Map<String, Entry> out = new TreeMap<>();
            List<long[]> ranges = new ArrayList<>();
            List<String> rangeNames = new ArrayList<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) {
                    continue;
                }
                String name = e.getKey();
                JsonNode t = e.getValue();
                String dtype = t.path("dtype").asText("");
                int width = switch (dtype) {
                    case "F32" -> 4;
                    case "F16", "BF16" -> 2;
                    default -> throw new IllegalArgumentException(file + ": tensor '" + name + "' has dtype '" + dtype
                            + "'; F32, F16 and BF16 are read");
                };
                JsonNode shapeNode = t.get("shape");
                JsonNode offsets = t.get("data_offsets");
                if (shapeNode == null || !shapeNode.isArray() || offsets == null || offsets.size() != 2) {
                    throw new IllegalArgumentException(file + ": tensor '" + name + "' lacks 'shape' or 'data_offsets'");
                }
                long[] shape = new long[shapeNode.size()];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = shapeNode.get(i).asLong(-1);
                    if (shape[i] < 0) {
                        throw new IllegalArgumentException(file + ": tensor '" + name + "' has a negative or non-numeric dimension");
                    }
                }
                long begin = offsets.get(0).asLong(-1);
                long end = offsets.get(1).asLong(-1);
                long n = count(shape);
                if (begin < 0 || end < begin || end > dataLen) {
                    throw new IllegalArgumentException(file + ": tensor '" + name + "' spans bytes " + begin + "-" + end
                            + ", outside the " + dataLen + " data bytes");
                }
                if (end - begin != n * width) {
                    throw new IllegalArgumentException(file + ": tensor '" + name + "' of shape " + Arrays.toString(shape) + " and dtype "
                            + dtype + " needs " + n * width + " bytes, its range holds " + (end - begin));
                }
                ranges.add(new long[]{begin, end});
                rangeNames.add(name);
                out.put(name, new Entry(file, name, dtype, shape, dataStart + begin, end - begin));
            }
            Integer[] order = new Integer[ranges.size()];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> Long.compare(ranges.get(a)[0], ranges.get(b)[0]));
            for (int i = 1; i < order.length; i++) {
                long[] prev = ranges.get(order[i - 1]);
                long[] cur = ranges.get(order[i]);
                if (cur[0] < prev[1] && cur[1] > cur[0]) {
                    throw new IllegalArgumentException(file + ": tensor '" + rangeNames.get(order[i]) + "' overlaps tensor '"
                            + rangeNames.get(order[i - 1]) + "'");
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long at = position;
        while (buf.hasRemaining()) {
            int r = ch.read(buf, at);
            if (r < 0) {
                throw new IOException("unexpected end of file at byte " + at);
            }
            at += r;
        }
    }

    /** Writes F32 tensors in name order, with optional string metadata. */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        write(file, tensors, metadata, "F32");
    }

    /** Writes tensors in name order as F32, or as BF16 rounded to nearest even (as torch rounds). */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata, String dtype) {
        int width = switch (dtype) {
            case "F32" -> 4;
            case "BF16" -> 2;
            default -> throw new IllegalArgumentException("writes F32 or BF16, not " + dtype);
        };
        Map<String, Object> header = new LinkedHashMap<>();
        if (metadata != null && !metadata.isEmpty()) {
            header.put("__metadata__", new TreeMap<>(metadata));
        }
        long offset = 0;
        Map<String, Tensor> sorted = new TreeMap<>(tensors);
        for (var e : sorted.entrySet()) {
            long bytes = (long) width * e.getValue().data().length;
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("dtype", dtype);
            t.put("shape", e.getValue().shape());
            t.put("data_offsets", new long[]{offset, offset + bytes});
            header.put(e.getKey(), t);
            offset += bytes;
        }
        byte[] json = Json.line(header).getBytes(StandardCharsets.UTF_8);
        int pad = (8 - json.length % 8) % 8;   // the format aligns the data to 8 bytes with spaces
        byte[] padded = Arrays.copyOf(json, json.length + pad);
        Arrays.fill(padded, json.length, padded.length, (byte) ' ');
        try (OutputStream out = Files.newOutputStream(file)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded.length);
            out.write(len.array());
            out.write(padded);
            for (Tensor t : sorted.values()) {
                ByteBuffer b = ByteBuffer.allocate(width * t.data().length).order(ByteOrder.LITTLE_ENDIAN);
                for (float f : t.data()) {
                    if (width == 4) {
                        b.putFloat(f);
                    } else {
                        b.putShort(toBfloat16(f));
                    }
                }
                out.write(b.array());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** The nearest BF16 (ties to even), a quiet NaN for NaN. */
    static short toBfloat16(float f) {
        if (Float.isNaN(f)) {
            return (short) 0x7fc0;
        }
        int bits = Float.floatToRawIntBits(f);
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }
}
