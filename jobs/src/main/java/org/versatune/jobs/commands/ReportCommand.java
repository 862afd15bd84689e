package org.versatune.jobs.commands;

import org.apache.hadoop.fs.Path;
import org.versatune.jobs.CommonOptions;
import org.versatune.pipeline.experiment.ExperimentReport;
import org.versatune.pipeline.experiment.ExperimentRunner;
import org.versatune.pipeline.io.OutputFiles;
import org.versatune.pipeline.spark.Sessions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Regenerate the HTML report (PNG charts, tables) of an experiment or training run folder from its saved outputs; "
                + "where an experiment folder holds its per-item test scores, the tables and intervals are recomputed from them first.")
public final class ReportCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RUN_OR_EXPERIMENT_DIR")
    String folder;

    @Override
    public Integer call() {
        var conf = Sessions.getOrCreate(common.settings()).sparkContext().hadoopConfiguration();
        // an experiment with its per-item scores: the tables and intervals are recomputed (and the report with them)
        boolean scored = OutputFiles.exists(conf, new Path(folder, ExperimentRunner.SCORES).toString());
        if (scored) {
            ExperimentRunner.retabulate(conf, folder);
        }
        String index = scored ? ExperimentReport.index(folder) : ExperimentReport.write(conf, folder);
        spec.commandLine().getOut().println("report: " + index);
        return 0;
    }
}
