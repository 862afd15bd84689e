package org.versatune.jobs.commands;

import org.versatune.pipeline.probe.KnowledgeProbe;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Map;

@Command(name = "probe", mixinStandardHelpOptions = true,
        description = "Detect a base model's knowledge distribution: it writes N texts from its start token, the classifier "
                + "labels them; distribution.json holds every estimator's shares with 95%% intervals, the default one as "
                + "'corrected', and a trust verdict.")
public final class ProbeCommand extends StageCommand {
    @Option(names = "--model", paramLabel = "MODEL",
            description = "the base model (not needed when both --samples-input and --calibration-samples are given)")
    String model;

    @Option(names = "--classifier", required = true, paramLabel = "CLF")
    String classifier;

    @Option(names = "--samples", paramLabel = "N", description = "texts to generate (default: versatune.probe.samples)")
    Integer samples;

    @Option(names = "--calibration", arity = "1..*", paramLabel = "PATHS",
            description = "raw text per domain (files named after their domain) the base did not see: the model continues "
                    + "openings of it so the shares are corrected for how recognisable its own text is per domain (default: "
                    + "versatune.probe.calibration.input, else the documents the base held out at pretraining; documents it "
                    + "trained on are always left out)")
    List<String> calibration;

    @Option(names = "--data-root", paramLabel = "DIR",
            description = "the folder that holds the base's pretraining text folder, for a model that moved or whose data did "
                    + "(a model records its held-out documents relative to the data root it was pretrained from; default: "
                    + "versatune.probe.data-root, else the recorded root)")
    String dataRoot;

    @Option(names = "--samples-input", arity = "1..*", paramLabel = "PATHS",
            description = "texts the model wrote elsewhere (JSON Lines or Parquet: text, optional id) instead of generating them")
    List<String> samplesInput;

    @Option(names = "--calibration-samples", arity = "1..*", paramLabel = "PATHS",
            description = "calibration continuations made elsewhere (JSON Lines or Parquet: text, domain of the prompt, optional "
                    + "id), as the probe writes them to calibration-samples.jsonl")
    List<String> calibrationSamples;

    @Option(names = "--output", required = true, paramLabel = "DIR")
    String output;

    @Override
    public Integer call() {
        var settings = calibration == null ? common.settings() : common.settings().with("probe.calibration.input", calibration);
        if (dataRoot != null) {
            settings = settings.with("probe.data-root", dataRoot);
        }
        Map<String, Object> stats = KnowledgeProbe.run(spark(), settings, model, classifier, samples,
                new KnowledgeProbe.External(samplesInput, calibrationSamples), output, common.overwrite());
        report(String.format("probe: %s samples, %s unlabeled; estimate (%s) %s%s -> %s/%s", stats.get("samples"),
                stats.get("unlabeled"), stats.get("estimator"), stats.get("trust"), KnowledgeProbe.reasons(stats), output,
                KnowledgeProbe.DISTRIBUTION), stats);
        return 0;
    }
}
