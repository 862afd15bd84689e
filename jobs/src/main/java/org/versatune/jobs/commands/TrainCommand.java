package org.versatune.jobs.commands;

import org.apache.hadoop.fs.Path;
import org.versatune.jobs.UntrustedProbeOption;
import org.versatune.pipeline.mixture.MixtureWeights;
import org.versatune.pipeline.pretrain.PretrainStage;
import org.versatune.pipeline.train.StagedTraining;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Map;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Staged SFT with dynamic domain re-weighting, data-parallel on Spark. Each stage composes its mixture, trains, evaluates every domain and updates the weights (weights-stage-<k>.json).")
public final class TrainCommand extends StageCommand {
    @Mixin
    UntrustedProbeOption trust;

    @Option(names = "--model", paramLabel = "BASE", description = "base model checkpoint (default: versatune.train.base, or one pretrained from versatune.train.base-pretrain)")
    String base;

    @Option(names = "--pool", arity = "1..*", paramLabel = "PATH", description = "SFT pool (default: versatune.train.pool)")
    List<String> pool;

    @Option(names = "--eval", arity = "1..*", paramLabel = "PATH", description = "held-out SFT records per domain, optionally multiple-choice items (default: versatune.train.eval)")
    List<String> eval;

    @Option(names = "--weights", paramLabel = "STRATEGY|FILE.json", description = "first mixture: a strategy or distribution.json/weights file (default: versatune.train.weights)")
    String weights;

    @Option(names = "--distribution", paramLabel = "FILE", description = "a probe's distribution.json for versatune, inverse, versatune-expand")
    String distribution;

    @Option(names = "--target", paramLabel = "DOMAIN", description = "domain expansion target (specific, uniform-rest, versatune-expand)")
    String target;

    @Option(names = "--alpha", description = "target share for expansion")
    Double alpha;

    @Option(names = "--stages", paramLabel = "K")
    Integer stages;

    @Option(names = "--stage-size", paramLabel = "B")
    Long stageSize;

    @Option(names = "--reference", paramLabel = "FILE.json", description = "reference losses (versatune reference); default: versatune.train.reference-losses or computed")
    String reference;

    @Option(names = "--no-reweight", description = "keep the first weights for every stage")
    boolean noReweight;

    @Option(names = "--output", required = true, paramLabel = "RUN")
    String output;

    @Option(names = "--resume", description = "continue an interrupted run from its last committed stage or checkpoint")
    boolean resume;

    @Override
    public Integer call() {
        var s = trust.apply(common.settings());
        var t = s.section("train");
        var spark = spark();
        String model = base != null ? base : t.getString("base");
        if (model.isEmpty()) {
            var bp = t.getConfig("base-pretrain");
            if (bp.getStringList("input").isEmpty()) {
                throw new IllegalArgumentException("no base model: pass --model BASE, or set versatune.train.base or versatune.train.base-pretrain");
            }
            model = new Path(output, "base").toString();
            Map<String, Object> pre = PretrainStage.run(spark, s, bp.getStringList("input"), MixtureWeights.parse(s.domains(), bp.getString("mix")),
                    bp.getLong("tokens"), model, false, resume);
            spec.commandLine().getOut().printf("base model: %s tokens, held-out loss %s -> %s%n", pre.get("tokens_trained"),
                    pre.get("heldout_loss_initial"), pre.get("heldout_loss_final"));
        }
        String dist = distribution != null ? distribution : t.getString("distribution").isEmpty() ? null : t.getString("distribution");
        StagedTraining.Request req = new StagedTraining.Request(model, pool != null ? pool : t.getStringList("pool"),
                eval != null ? eval : t.getStringList("eval"), weights != null ? weights : t.getString("weights"), dist, target, alpha,
                stages, stageSize, reference, noReweight ? Boolean.FALSE : null);
        if (req.pool().isEmpty() || req.eval().isEmpty()) {
            throw new IllegalArgumentException("no pool or eval inputs: pass --pool and --eval, or set versatune.train.pool/eval");
        }
        Map<String, Object> stats = StagedTraining.run(spark, s, req, output, common.overwrite(), resume);
        report(String.format("train: %s stages (%s), final weights %s -> %s", stats.get("stages"), stats.get("strategy"),
                stats.get("final_weights"), output), stats);
        return 0;
    }
}
