package org.versatune.jobs.commands;

import org.versatune.pipeline.io.Json;
import org.versatune.pipeline.lm.Generator;
import org.versatune.pipeline.lm.LmCheckpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Continue a prompt with a model and print the generated token ids and text as JSON (sampling as "
                + "versatune.lm.generate, or --greedy).")
public final class GenerateCommand extends StageCommand {
    @Option(names = "--model", required = true, paramLabel = "MODEL")
    String model;

    @Option(names = "--prompt", defaultValue = "", paramLabel = "TEXT", description = "the prompt (default: none, the start token alone)")
    String prompt;

    @Option(names = "--max-tokens", paramLabel = "N", description = "tokens to generate (default: versatune.lm.generate.max-tokens)")
    Integer maxTokens;

    @Option(names = "--greedy", description = "always the most likely token, no repetition penalty")
    boolean greedy;

    @Override
    public Integer call() {
        var settings = common.settings();
        LmCheckpoint m = LmCheckpoint.load(spark().sparkContext().hadoopConfiguration(), model);
        Generator.Sampling s = Generator.Sampling.from(settings.section("lm").getConfig("generate"));
        int n = maxTokens != null ? maxTokens : s.maxTokens();
        s = greedy ? new Generator.Sampling(n, 0, 1, 0, 1.0) : new Generator.Sampling(n, s.temperature(), s.topP(), s.topK(),
                s.repetitionPenalty(), s.focusAfter(), s.focusTemperature());
        int[] ids = Generator.generate(m.model(), m.tokenizer().specials(), new int[][]{m.tokenizer().encode(prompt)}, s, settings.seed()).get(0);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("prompt", prompt);
        out.put("prompt_tokens", m.tokenizer().encode(prompt));
        out.put("tokens", ids);
        out.put("text", m.tokenizer().decode(ids));
        out.put("greedy", greedy);
        spec.commandLine().getOut().print(Json.write(out));
        return 0;
    }
}
