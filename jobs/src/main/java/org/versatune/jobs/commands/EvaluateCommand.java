package org.versatune.jobs.commands;

import org.versatune.pipeline.eval.EvaluateStage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Map;

@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Per-domain mean NLL, perplexity, score = 100*exp(-NLL) and multiple-choice accuracy of a model.")
public final class EvaluateCommand extends StageCommand {
    @Option(names = "--model", required = true, paramLabel = "MODEL")
    String model;

    @Option(names = "--input", required = true, arity = "1..*", paramLabel = "PATH", description = "SFT records (responses are scored) and/or multiple-choice items")
    List<String> inputs;

    @Option(names = "--output", required = true, paramLabel = "FILE.json")
    String output;

    @Override
    public Integer call() {
        Map<String, Object> m = EvaluateStage.run(spark(), common.settings(), model, inputs, output, common.overwrite());
        spec.commandLine().getOut().printf("evaluate: comprehensive score %s, mean multiple-choice accuracy %s -> %s%n",
                m.get("comprehensive_score"), m.get("mean_mc_accuracy"), output);
        return 0;
    }
}
