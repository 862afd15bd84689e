package org.versatune.pipeline.lm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** A BF16 copy of the Qwen2-family fixture, written as the tests need it (no second binary fixture to keep in step). */
public final class SixteenBitFixture {
    public static final Path QWEN2 = Path.of("src/test/resources/hf-qwen2");

    private SixteenBitFixture() {
    }

    /** The fixture's weights rounded to BF16 (nearest even, as torch's .to(bfloat16)), its config and tokenizer. */
    public static Path bf16Copy(Path to) {
        try {
            Files.createDirectories(to);
            for (String f : List.of("config.json", "tokenizer.json")) {
                Files.copy(QWEN2.resolve(f), to.resolve(f));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Safetensors.write(to.resolve("model.safetensors"), Safetensors.readFolder(QWEN2), Map.of("format", "pt"), "BF16");
        return to;
    }
}
