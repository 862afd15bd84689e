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

    @Option(names = "--overwrite", description = "replace an existing output (otherwise a completed output is skipped and any other is refused)")
    boolean overwrite;

    private Settings settings;

    public Settings settings() {
        if (settings == null) {
            List<String> all = new ArrayList<>(sets);
            if (seed != null) {
                all.add("run.seed=" + seed);
            }
            settings = Settings.load(confFiles, all);
        }
        return settings;
    }

    public boolean overwrite() {
        return overwrite;
    }
}
