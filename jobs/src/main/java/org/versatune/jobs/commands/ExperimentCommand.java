package org.versatune.jobs.commands;

import org.versatune.jobs.UntrustedProbeOption;
import org.versatune.pipeline.experiment.ExperimentRunner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Map;

@Command(name = "experiment", mixinStandardHelpOptions = true,
        description = "Run every strategy x seed on the same base model, pool, eval shards and budget (versatune.experiment); results table, summary and report. Completed runs are reused.")
public final class ExperimentCommand extends StageCommand {
    @Mixin
    UntrustedProbeOption trust;

    @Option(names = "--output", required = true, paramLabel = "DIR")
    String output;

    @Override
    public Integer call() {
        Map<String, Object> stats = ExperimentRunner.run(spark(), trust.apply(common.settings()), output, common.overwrite());
        report(String.format("experiment: %s runs -> %s (report: %s/report/index.html)", stats.get("runs"), output, output), stats);
        return 0;
    }
}
