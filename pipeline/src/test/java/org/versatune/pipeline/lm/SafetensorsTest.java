package org.versatune.pipeline.lm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The safetensors layout read and written byte for byte as the format describes it. */
class SafetensorsTest {

    /** A file from a hand-written header and little-endian 16-bit words. */
    static Path file(Path dir, String name, String header, short... words) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
        out.write(h);
        ByteBuffer b = ByteBuffer.allocate(2 * words.length).order(ByteOrder.LITTLE_ENDIAN);
        for (short w : words) {
            b.putShort(w);
        }
        out.write(b.array());
        return Files.write(dir.resolve(name), out.toByteArray());
    }

    @Test
    void f32RoundTripWithMetadata(@TempDir Path dir) throws Exception {
        Map<String, Safetensors.Tensor> t = Map.of(
                "wte.weight", new Safetensors.Tensor(new long[]{2, 3}, new float[]{1, -2, 3.5f, Float.MIN_VALUE, -0f, 1e30f}),
                "ln.bias", new Safetensors.Tensor(new long[]{3}, new float[]{0.1f, 0.2f, 0.3f}));
        Path f = dir.resolve("model.safetensors");
        Safetensors.write(f, t, Map.of("format", "pt"));
        // 8-byte length, then a header padded with spaces to a multiple of 8
        byte[] bytes = Files.readAllBytes(f);
        long len = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat(len % 8).isZero();
        assertThat(new String(bytes, 8, (int) len, StandardCharsets.UTF_8)).startsWith("{\"__metadata__\":{\"format\":\"pt\"}");
        assertThat(bytes.length).isEqualTo(8 + len + 4 * 9);
        Map<String, Safetensors.Tensor> back = Safetensors.readFolder(dir);
        assertThat(back).containsOnlyKeys("wte.weight", "ln.bias");
        assertThat(back.get("wte.weight").shape()).containsExactly(2, 3);
        assertThat(back.get("wte.weight").data()).containsExactly(1, -2, 3.5f, Float.MIN_VALUE, -0f, 1e30f);
        assertThat(back.get("ln.bias").data()).containsExactly(0.1f, 0.2f, 0.3f);
    }

    @Test
    void halfAndBfloatWidenExactly(@TempDir Path dir) throws Exception {
        String header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[5],\"data_offsets\":[0,10]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[10,16]}}";
        // F16: 1.0, -2.5, 65504 (largest), 2^-24 (smallest subnormal), +inf; BF16: 1.0, -2.5, 3.140625
        file(dir, "model.safetensors", header, (short) 0x3C00, (short) 0xC100, (short) 0x7BFF, (short) 0x0001, (short) 0x7C00,
                (short) 0x3F80, (short) 0xC020, (short) 0x4049);
        Map<String, Safetensors.Tensor> t = Safetensors.readFolder(dir);
        assertThat(t.get("h").data()).containsExactly(1f, -2.5f, 65504f, 0x1p-24f, Float.POSITIVE_INFINITY);
        assertThat(t.get("b").data()).containsExactly(1f, -2.5f, 3.140625f);
    }

    @Test
    void shardsNamedByTheIndex(@TempDir Path dir) throws Exception {
        Safetensors.write(dir.resolve("model-00001-of-00002.safetensors"), Map.of("a", new Safetensors.Tensor(new long[]{1}, new float[]{7})), null);
        Safetensors.write(dir.resolve("model-00002-of-00002.safetensors"), Map.of("b", new Safetensors.Tensor(new long[]{2}, new float[]{8, 9})), null);
        Files.writeString(dir.resolve(Safetensors.INDEX), "{\"metadata\":{},\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\","
                + "\"b\":\"model-00002-of-00002.safetensors\"}}");
        Map<String, Safetensors.Tensor> t = Safetensors.readFolder(dir);
        assertThat(t.get("a").data()).containsExactly(7f);
        assertThat(t.get("b").data()).containsExactly(8f, 9f);
        Files.writeString(dir.resolve(Safetensors.INDEX), "{\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\","
                + "\"c\":\"model-00002-of-00002.safetensors\"}}");
        assertThatThrownBy(() -> Safetensors.readFolder(dir)).hasMessageContaining("'b'");
    }

    @Test
    void inconsistentFilesAreRefusedNamingTheTensor(@TempDir Path dir) throws Exception {
        Path outside = file(dir, "outside.safetensors", "{\"w\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,8]}}", (short) 1);
        assertThatThrownBy(() -> Safetensors.read(outside)).hasMessageContaining("'w'").hasMessageContaining("outside");
        Path size = file(dir, "size.safetensors", "{\"w\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,4]}}", (short) 1, (short) 2);
        assertThatThrownBy(() -> Safetensors.read(size)).hasMessageContaining("'w'").hasMessageContaining("needs 6 bytes");
        Path overlap = file(dir, "overlap.safetensors", "{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[2,6]}}", (short) 1, (short) 2, (short) 3);
        assertThatThrownBy(() -> Safetensors.read(overlap)).hasMessageContaining("overlaps");
        Path dtype = file(dir, "dtype.safetensors", "{\"w\":{\"dtype\":\"I8\",\"shape\":[2],\"data_offsets\":[0,2]}}", (short) 1);
        assertThatThrownBy(() -> Safetensors.read(dtype)).hasMessageContaining("'w'").hasMessageContaining("I8");
        Path tiny = Files.write(dir.resolve("tiny.safetensors"), new byte[]{1, 2});
        assertThatThrownBy(() -> Safetensors.read(tiny)).hasMessageContaining("not a safetensors file");
    }
}
