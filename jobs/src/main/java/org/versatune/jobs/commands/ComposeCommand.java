package org.versatune.jobs.commands;

import org.versatune.jobs.UntrustedProbeOption;
import org.versatune.pipeline.mixture.ComposeStage;
import org.versatune.pipeline.mixture.MixtureExport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Map;

@Command(name = "compose", mixinStandardHelpOptions = true,
        description = "Compose an SFT mixture with exact per-domain counts (largest remainder) drawn deterministically from a pool.")
public final class ComposeCommand extends StageCommand {
    @Mixin
    UntrustedProbeOption trust;

    @Option(names = "--pool", required = true, arity = "1..*", paramLabel = "PATH", description = "records with a domain (ingest or classify outputs, or raw files)")
    List<String> pool;

    @Option(names = "--weights", required = true, paramLabel = "STRATEGY|FILE.json",
            description = "versatune, uniform, proportional, inverse, custom, specific, uniform-rest, versatune-expand; or a JSON file of weights or a probe's distribution.json")
    String weights;

    @Option(names = "--distribution", paramLabel = "FILE", description = "a probe's distribution.json (versatune, inverse, versatune-expand)")
    String distribution;

    @Option(names = "--custom", paramLabel = "DOMAIN=W,...", description = "weights for strategy custom")
    String custom;

    @Option(names = "--target", paramLabel = "DOMAIN", description = "target domain of the expansion strategies")
    String target;

    @Option(names = "--alpha", description = "target share of uniform-rest and versatune-expand (default: versatune.compose.alpha)")
    Double alpha;

    @Option(names = "--size", paramLabel = "B", description = "examples in the mixture (default: versatune.compose.size)")
    Long size;

    @Option(names = "--shortage", paramLabel = "replace|redistribute")
    String shortage;

    @Option(names = "--stage", defaultValue = "0", description = "stage number (part of each record's draw rank)")
    int stage;

    @Option(names = "--output", required = true, paramLabel = "DIR")
    String output;

    @Option(names = "--export", paramLabel = "FORMAT",
            description = "also write the mixture for another trainer: llama-factory, hf-parquet or jsonl (a finished "
                    + "compose output is exported without composing again)")
    String export;

    @Option(names = "--export-output", paramLabel = "DIR", description = "where the export goes (default: <output>-<format>)")
    String exportOutput;

    @Override
    public Integer call() {
        if (export != null && !MixtureExport.FORMATS.contains(export)) {
            throw new IllegalArgumentException("--export: unknown format '" + export + "'; one of " + MixtureExport.FORMATS);
        }
        Map<String, Object> m = ComposeStage.run(spark(), trust.apply(common.settings()), pool,
                new ComposeStage.Request(weights, distribution, target, alpha, custom, size, shortage, stage), output, common.overwrite());
        report(String.format("compose: %s records (%s) -> %s", m.get("realised_total"), m.get("strategy"), output), m);
        if (export != null) {
            String dir = exportOutput != null ? exportOutput : output.replaceAll("/+$", "") + "-" + export;
            Map<String, Object> e = MixtureExport.run(spark(), common.settings(), output, export, dir, common.overwrite());
            report(String.format("export: %s records as %s -> %s", e.get("records"), export, dir), e);
        }
        return 0;
    }
}
