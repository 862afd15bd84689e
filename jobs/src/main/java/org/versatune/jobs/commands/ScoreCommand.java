package org.versatune.jobs.commands;

import org.apache.hadoop.conf.Configuration;
import org.versatune.pipeline.io.OutputFiles;
import org.versatune.pipeline.lm.LmCheckpoint;
import org.versatune.pipeline.lm.TextScorer;
import org.versatune.pipeline.probe.ExternalSamples;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@Command(name = "score", mixinStandardHelpOptions = true,
        description = "What a model makes of each text, for checking it against any other implementation: token ids, mean "
                + "next-token NLL in nats over positions 1..n-1, and the last position's five largest logits.")
public final class ScoreCommand extends StageCommand {
    @Option(names = "--model", required = true, paramLabel = "MODEL")
    String model;

    @Option(names = "--input", required = true, arity = "1..*", paramLabel = "TEXTS",
            description = "JSON Lines (or Parquet) with a 'text' field and an optional 'id'")
    List<String> inputs;

    @Option(names = "--output", required = true, paramLabel = "FILE.json")
    String output;

    @Override
    public Integer call() {
        var spark = spark();
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        OutputFiles.requireAbsent(conf, output, common.overwrite());
        LmCheckpoint m = LmCheckpoint.load(conf, model);
        var lm = m.model();
        List<Map<String, Object>> rows = new ArrayList<>();
        for (ExternalSamples.Sample s : ExternalSamples.read(spark, inputs, false, common.settings().domains())) {
            TextScorer.Scored r = TextScorer.score(lm, m.tokenizer(), s.text());
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("id", s.id());
            row.put("tokens", r.tokens());
            row.put("split_special_tokens", m.tokenizer().splitSpecialTokens());
            row.put("truncated", r.truncated());
            row.put("mean_nll", Double.isNaN(r.meanNll()) ? null : r.meanNll());
            row.put("top5_ids", r.topIds());
            row.put("top5_logits", r.topLogits());
            rows.add(row);
        }
        OutputFiles.writeJson(conf, output, rows, common.overwrite());
        spec.commandLine().getOut().printf("score: %d texts -> %s%n", rows.size(), output);
        return 0;
    }
}
