package org.versatune.jobs.commands;

import org.apache.spark.sql.SparkSession;
import org.versatune.jobs.CommonOptions;
import org.versatune.pipeline.io.Json;
import org.versatune.pipeline.spark.Sessions;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.Map;
import java.util.concurrent.Callable;

/** Base of commands that run a Spark stage: settings, session, and a printed summary. */
public abstract class StageCommand implements Callable<Integer> {
    @Mixin
    protected CommonOptions common;

    @Spec
    protected CommandSpec spec;

    protected SparkSession spark() {
        return Sessions.getOrCreate(common.settings());
    }

    protected void report(String summary, Map<String, Object> stats) {
        var out = spec.commandLine().getOut();
        if (Boolean.TRUE.equals(stats.get("skipped"))) {
            out.println(summary + " (already complete: skipped; pass --overwrite to recompute)");
        } else {
            out.println(summary);
        }
        out.print(Json.write(stats));
        out.flush();
    }
}
