package org.versatune.jobs;

import org.versatune.pipeline.config.Settings;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/** Options every command takes: configuration files, overrides, run id, overwrite. */
public final class CommonOptions {
    @Option(names = "--conf", paramLabel = "FILE", description = "HOCON config file (repeatable; later files win)")
    List<String> confFiles = new ArrayList<>();

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "override one setting, e.g. --set run.seed=7 (repeatable)")
    List<String> sets = new ArrayList<>();

    @Option(names = "--seed", description = "shorthand for --set run.seed=N")
    Long seed;

    @Option(names = "--run-id", paramLabel = "ID", description = "name of this run (e.g. the scheduler's run id); recorded in stats and the Spark application name")
    String runId;

    @Option(names = "--overwrite", description = "replace an existing output (otherwise a completed output is skipped and any other is refused)")
    boolean overwrite;

    private Settings settings;

    public Settings settings() {
        if (settings == null) {
            List<String> all = new ArrayList<>(sets);
            if (seed != null) {
                all.add("run.seed=" + seed);
            }
            if (runId != null) {
                all.add("run.id=\"" + runId.replace("\"", "") + "\"");
            }
            settings = Settings.load(confFiles, all);
        }
        return settings;
    }

    public boolean overwrite() {
        return overwrite;
    }

    /** Settings with {@code first} config files applied before the user's own --conf files and --set overrides. */
    public Settings settingsWith(List<String> first) {
        List<String> files = new ArrayList<>(first);
        files.addAll(confFiles);
        List<String> all = new ArrayList<>(sets);
        if (seed != null) {
            all.add("run.seed=" + seed);
        }
        if (runId != null) {
            all.add("run.id=\"" + runId.replace("\"", "") + "\"");
        }
        return Settings.load(files, all);
    }
}
