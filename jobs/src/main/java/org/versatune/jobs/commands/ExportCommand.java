package org.versatune.jobs.commands;

import org.versatune.pipeline.lm.HfCheckpoint;
import org.versatune.pipeline.lm.LmCheckpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write a model as a Hugging Face folder (config.json, model.safetensors, tokenizer.json, "
                + "special_tokens_map.json; GPT-2 layout, Llama for Llama-family models) that other tools load and "
                + "`versatune import` reads back unchanged.")
public final class ExportCommand extends StageCommand {
    @Option(names = "--model", required = true, paramLabel = "MODEL")
    String model;

    @Option(names = "--output", required = true, paramLabel = "DIR", description = "a local folder, absent or empty")
    Path output;

    @Override
    public Integer call() {
        LmCheckpoint ckpt = LmCheckpoint.load(spark().sparkContext().hadoopConfiguration(), model);
        if (Files.isDirectory(output) && !common.overwrite()) {
            try (Stream<Path> s = Files.list(output)) {
                if (s.findAny().isPresent()) {
                    throw new IllegalArgumentException(output + " is not empty; pass --overwrite to replace its files");
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        HfCheckpoint.write(ckpt, output);
        spec.commandLine().getOut().printf("export: %s (%d parameters) -> %s%n", model, ckpt.config().numParams(), output);
        return 0;
    }
}
