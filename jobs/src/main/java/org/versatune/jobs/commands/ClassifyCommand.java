package org.versatune.jobs.commands;

import org.versatune.pipeline.classify.ClassifierStage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Map;

@Command(name = "classify", mixinStandardHelpOptions = true,
        description = "Label any corpus by domain; writes Parquet partitioned by domain (low-confidence records: 'unlabeled').")
public final class ClassifyCommand extends StageCommand {
    @Option(names = "--model", required = true, paramLabel = "MODEL_DIR")
    String model;

    @Option(names = "--input", required = true, arity = "1..*", paramLabel = "PATH")
    List<String> inputs;

    @Option(names = "--output", required = true, paramLabel = "DIR")
    String output;

    @Override
    public Integer call() {
        Map<String, Object> stats = ClassifierStage.classify(spark(), common.settings(), model, inputs, output, common.overwrite());
        report(String.format("classify: %s records (%s unlabeled) -> %s", stats.get("classified"), stats.get("unlabeled"), output), stats);
        return 0;
    }
}
