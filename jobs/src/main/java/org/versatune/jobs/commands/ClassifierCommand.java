package org.versatune.jobs.commands;

import org.versatune.pipeline.classify.ClassifierStage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Map;

@Command(name = "classifier", mixinStandardHelpOptions = true, description = "Train or evaluate the domain classifier.",
        subcommands = {ClassifierCommand.Train.class, ClassifierCommand.Evaluate.class})
public final class ClassifierCommand {
    @Command(name = "train", mixinStandardHelpOptions = true,
            description = "Train on labelled records (the domain field, or one file per domain), holding out a seeded validation split.")
    public static final class Train extends StageCommand {
        @Option(names = "--input", required = true, arity = "1..*", paramLabel = "PATH")
        List<String> inputs;

        @Option(names = "--output", required = true, paramLabel = "MODEL_DIR")
        String output;

        @Override
        public Integer call() {
            Map<String, Object> stats = ClassifierStage.train(spark(), common.settings(), inputs, output, common.overwrite());
            report(String.format("classifier train: validation accuracy %s, macro-F1 %s -> %s",
                    stats.get("validation_accuracy"), stats.get("validation_macro_f1"), output), stats);
            return 0;
        }
    }

    @Command(name = "evaluate", mixinStandardHelpOptions = true,
            description = "Accuracy, macro-F1, per-domain precision/recall/F1 and confusion on labelled records.")
    public static final class Evaluate extends StageCommand {
        @Option(names = "--model", required = true, paramLabel = "MODEL_DIR")
        String model;

        @Option(names = "--input", required = true, arity = "1..*", paramLabel = "PATH")
        List<String> inputs;

        @Option(names = "--output", required = true, paramLabel = "FILE.json")
        String output;

        @Override
        public Integer call() {
            Map<String, Object> m = ClassifierStage.evaluate(spark(), common.settings(), model, inputs, output, common.overwrite());
            spec.commandLine().getOut().printf("classifier evaluate: accuracy %s, macro-F1 %s -> %s%n",
                    m.get("accuracy"), m.get("macro_f1"), output);
            return 0;
        }
    }
}
