package org.versatune.jobs.commands;

import org.versatune.pipeline.train.ReferenceStage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Map;

@Command(name = "reference", mixinStandardHelpOptions = true,
        description = "Reference losses: fine-tune a copy of the base model on each domain alone and record the best eval loss.")
public final class ReferenceCommand extends StageCommand {
    @Option(names = "--model", required = true, paramLabel = "BASE")
    String model;

    @Option(names = "--pool", required = true, arity = "1..*", paramLabel = "PATH")
    List<String> pool;

    @Option(names = "--eval", required = true, arity = "1..*", paramLabel = "PATH")
    List<String> eval;

    @Option(names = "--output", required = true, paramLabel = "FILE.json")
    String output;

    @Override
    public Integer call() {
        Map<String, Object> r = ReferenceStage.run(spark(), common.settings(), model, pool, eval, output, common.overwrite());
        spec.commandLine().getOut().printf("reference: %s -> %s%n", r.get("domains"), output);
        return 0;
    }
}
