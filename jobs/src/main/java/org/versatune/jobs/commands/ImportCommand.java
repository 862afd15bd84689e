package org.versatune.jobs.commands;

import org.apache.hadoop.conf.Configuration;
import org.versatune.pipeline.io.Json;
import org.versatune.pipeline.io.OutputFiles;
import org.versatune.pipeline.lm.HfCheckpoint;
import org.versatune.pipeline.lm.LmCheckpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

@Command(name = "import", mixinStandardHelpOptions = true,
        description = "Read a Hugging Face checkpoint folder (config.json, model.safetensors or its shards, tokenizer.json; "
                + "GPT-2, Llama, Mistral, Qwen2 and Qwen3 families) into a model of ours that every other command accepts.")
public final class ImportCommand extends StageCommand {
    @Option(names = "--input", required = true, paramLabel = "DIR", description = "a local Hugging Face checkpoint folder")
    Path input;

    @Option(names = "--output", required = true, paramLabel = "MODEL")
    String output;

    @Override
    public Integer call() {
        Configuration conf = spark().sparkContext().hadoopConfiguration();
        OutputFiles.requireAbsent(conf, output, common.overwrite());
        long t0 = System.nanoTime();
        boolean splitSpecial = common.settings().section("lm").getBoolean("tokenizer.split-special-tokens");
        LmCheckpoint ckpt = HfCheckpoint.read(input, splitSpecial);
        ckpt.save(conf, output);
        Map<String, Object> out = new LinkedHashMap<>(ckpt.config().toJson());
        out.put("stored_dtype", ckpt.params().dataType().name());
        out.put("special_tokens", ckpt.tokenizer().specials());
        out.put("split_special_tokens", ckpt.tokenizer().splitSpecialTokens());
        out.put("seconds", Math.round((System.nanoTime() - t0) / 1e7) / 100.0);
        out.put("output", output);
        spec.commandLine().getOut().println(Json.write(out));
        return 0;
    }
}
