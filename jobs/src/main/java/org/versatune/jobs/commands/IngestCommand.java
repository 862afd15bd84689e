package org.versatune.jobs.commands;

import org.versatune.pipeline.ingest.Ingest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Map;

@Command(name = "ingest", mixinStandardHelpOptions = true,
        description = "Read SFT JSON Lines, raw text and Parquet into canonical Parquet; unusable records go to rejected/ with a reason.")
public final class IngestCommand extends StageCommand {
    @Option(names = "--input", required = true, arity = "1..*", paramLabel = "PATH", description = "files, directories or globs (.jsonl, .txt, .parquet; .gz read transparently)")
    List<String> inputs;

    @Option(names = "--output", required = true, paramLabel = "DIR", description = "output folder (records/, rejected/, stats.json)")
    String output;

    @Option(names = "--domain", description = "domain for records that carry none (default: the file name when it names a domain)")
    String domain;

    @Override
    public Integer call() {
        Map<String, Object> stats = Ingest.run(spark(), common.settings(), inputs, domain, output, common.overwrite());
        report(String.format("ingest: read %s records: accepted %s, rejected %s -> %s", stats.get("read"),
                stats.get("accepted"), stats.get("rejected"), output), stats);
        return 0;
    }
}
