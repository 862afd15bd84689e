package org.versatune.jobs.commands;

import org.versatune.jobs.UntrustedProbeOption;
import org.versatune.pipeline.experiment.ExperimentRunner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Map;

@Command(name = "experiment", mixinStandardHelpOptions = true,
        description = "Run every strategy x seed on the same base model, pool / validation / test split and budget "
                + "(versatune.experiment); results table, summary with the claims' intervals and verdicts, and report. "
                + "Completed runs are reused. With --rescore, score a finished experiment's runs on another test set instead.")
public final class ExperimentCommand extends StageCommand {
    @Mixin
    UntrustedProbeOption trust;

    @Option(names = "--output", required = true, paramLabel = "DIR")
    String output;

    @Option(names = "--rescore", split = ",", paramLabel = "TEST_PATHS",
            description = "Re-evaluate every finished run (and the base) of the experiment in --output on these test inputs "
                    + "(SFT records for every domain, optionally multiple-choice files) and rebuild the tables and report "
                    + "under <output>/rescore/<name>/")
    List<String> rescore;

    @Option(names = "--rescore-name", defaultValue = "test", paramLabel = "NAME",
            description = "Folder name of this re-scoring under <output>/rescore/ (default: ${DEFAULT-VALUE})")
    String rescoreName;

    @Override
    public Integer call() {
        if (rescore != null && !rescore.isEmpty()) {
            Map<String, Object> stats = ExperimentRunner.rescore(spark(), output, rescore, rescoreName);
            report(String.format("experiment re-scored: %s runs on %s -> %s/rescore/%s (report: %s/rescore/%s/report/index.html)",
                    stats.get("runs"), rescore, output, rescoreName, output, rescoreName), stats);
            return 0;
        }
        Map<String, Object> stats = ExperimentRunner.run(spark(), trust.apply(common.settings()), output, common.overwrite());
        report(String.format("experiment: %s runs -> %s (report: %s/report/index.html)", stats.get("runs"), output, output), stats);
        return 0;
    }
}
