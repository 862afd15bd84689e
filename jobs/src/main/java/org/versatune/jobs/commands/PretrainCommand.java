package org.versatune.jobs.commands;

import org.versatune.pipeline.mixture.MixtureWeights;
import org.versatune.pipeline.pretrain.PretrainStage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Map;

@Command(name = "pretrain", mixinStandardHelpOptions = true,
        description = "Pretrain a base model on raw domain text (one file per domain) drawn with an exact domain mixture.")
public final class PretrainCommand extends StageCommand {
    @Option(names = "--input", required = true, arity = "1..*", paramLabel = "PATH", description = "raw text per domain (law.txt.gz, ...)")
    List<String> inputs;

    @Option(names = "--mix", required = true, paramLabel = "DOMAIN=SHARE,...", description = "token shares, summing to 1, e.g. law=0.1,medicine=0.1,finance=0.05,science=0.15,code=0.25,general=0.35")
    String mix;

    @Option(names = "--tokens", paramLabel = "N", description = "training tokens (default: versatune.lm.pretrain.tokens)")
    Long tokens;

    @Option(names = "--output", required = true, paramLabel = "MODEL")
    String output;

    @Option(names = "--resume", description = "continue from the latest checkpoint of an interrupted run")
    boolean resume;

    @Override
    public Integer call() {
        var s = common.settings();
        long n = tokens != null ? tokens : s.section("lm").getLong("pretrain.tokens");
        Map<String, Object> stats = PretrainStage.run(spark(), s, inputs, MixtureWeights.parse(s.domains(), mix), n, output,
                common.overwrite(), resume);
        report(String.format("pretrain: %s tokens, held-out loss %s -> %s -> %s", stats.get("tokens_trained"),
                stats.get("heldout_loss_initial"), stats.get("heldout_loss_final"), output), stats);
        return 0;
    }
}
