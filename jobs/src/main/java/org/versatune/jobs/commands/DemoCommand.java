package org.versatune.jobs.commands;

import org.apache.hadoop.fs.Path;
import org.versatune.pipeline.classify.ClassifierStage;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.eval.EvaluateStage;
import org.versatune.pipeline.experiment.ExperimentReport;
import org.versatune.pipeline.ingest.Ingest;
import org.versatune.pipeline.mixture.ComposeStage;
import org.versatune.pipeline.mixture.MixtureWeights;
import org.versatune.pipeline.pretrain.PretrainStage;
import org.versatune.pipeline.probe.KnowledgeProbe;
import org.versatune.pipeline.spark.Sessions;
import org.versatune.pipeline.train.StagedTraining;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.File;
import java.util.List;
import java.util.Map;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "The whole pipeline on the bundled sample with embedded Spark and conf/tiny.conf's small model: "
                + "ingest, classifier, classify, pretrain, probe, compose, staged training, evaluate, report.")
public final class DemoCommand extends StageCommand {
    @Option(names = "--samples", paramLabel = "DIR", description = "sample data folder (default: the bundled samples/)")
    String samples;

    @Option(names = "--output", paramLabel = "DIR", defaultValue = "runs/demo", description = "run folder (default: ${DEFAULT-VALUE})")
    String output;

    @Override
    public Integer call() {
        String data = samples != null ? samples : defaultSamples();
        var out = spec.commandLine().getOut();
        Settings s = common.settingsWith(List.of(home("conf/tiny.conf")));
        var spark = Sessions.getOrCreate(s);
        boolean ow = common.overwrite();
        String sft = data + "/sft";
        String text = data + "/pretrain";

        Map<String, Object> a = Ingest.run(spark, s, List.of(sft), null, child("ingest-sft"), ow);
        out.printf("1/9 ingest SFT pool: %s accepted, %s rejected%n", a.get("accepted"), a.get("rejected"));
        Map<String, Object> b = Ingest.run(spark, s, List.of(text), null, child("ingest-text"), ow);
        out.printf("2/9 ingest raw text: %s documents, %s rejected%n", b.get("accepted"), b.get("rejected"));
        Map<String, Object> clf = ClassifierStage.train(spark, s,
                List.of(child("ingest-sft") + "/records", child("ingest-text") + "/records"), child("classifier"), ow);
        out.printf("3/9 domain classifier: validation accuracy %.4f, macro-F1 %.4f%n",
                ((Number) clf.get("validation_accuracy")).doubleValue(), ((Number) clf.get("validation_macro_f1")).doubleValue());
        Map<String, Object> cls = ClassifierStage.classify(spark, s, child("classifier"), List.of(text), child("classified-text"), ow);
        out.printf("4/9 classify raw text: %s documents by domain %s%n", cls.get("classified"), cls.get("by_domain"));
        var bp = s.section("train").getConfig("base-pretrain");
        MixtureWeights mix = MixtureWeights.parse(s.domains(), bp.getString("mix"));
        Map<String, Object> pre = PretrainStage.run(spark, s, List.of(text), mix, bp.getLong("tokens"), child("base"), ow, true);
        out.printf("5/9 pretrain base model on %s: %s tokens, held-out loss lowered on every domain: %s%n", mix,
                pre.get("tokens_trained"), pre.get("heldout_loss_lowered_everywhere"));
        Map<String, Object> probe = KnowledgeProbe.run(spark, s, child("base"), child("classifier"), 256, child("probe"), ow);
        out.printf("6/9 probe: %s samples, %s unlabeled; estimate (%s) %s%s -> %s/distribution.json%n", probe.get("samples"),
                probe.get("unlabeled"), probe.get("estimator"), probe.get("trust"), KnowledgeProbe.reasons(probe), child("probe"));
        if (!"trusted".equals(probe.get("trust"))) {
            // a real run stops here (compose refuses); the demo goes on so that every stage can be seen
            out.println("    the demo's tiny base is too small to be read reliably; composing from its estimate anyway "
                    + "(compose.allow-untrusted-probe), as a real run would not");
            s = s.with("compose.allow-untrusted-probe", true);
        }
        String dist = child("probe") + "/" + KnowledgeProbe.DISTRIBUTION;
        Map<String, Object> mixture = ComposeStage.run(spark, s, List.of(child("ingest-sft") + "/records"),
                new ComposeStage.Request("versatune", dist, null, null, null, 400L, null, 0), child("mixture"), ow);
        out.printf("7/9 compose a versatune mixture: %s records, weights %s%n", mixture.get("realised_total"), mixture.get("weights"));
        Map<String, Object> train = StagedTraining.run(spark, s, new StagedTraining.Request(child("base"),
                List.of(child("ingest-sft") + "/records"), List.of(sft, data + "/eval"), "versatune", dist, null, null, null,
                null, null, true), child("train"), ow, true);
        out.printf("8/9 staged training (versatune-dynamic, %s stages): final weights %s%n", train.get("stages"), train.get("final_weights"));
        String eval = child("eval.json");
        Map<String, Object> ev = new File(eval).exists() && !ow ? null
                : EvaluateStage.run(spark, s, child("train") + "/model", List.of(data + "/eval"), eval, true);
        String report = ExperimentReport.write(spark.sparkContext().hadoopConfiguration(), child("train"));
        out.printf("9/9 evaluate on multiple choice: %s; report %s%n", ev == null ? "(done before)" : "mean accuracy " + ev.get("mean_mc_accuracy"), report);
        out.println("demo complete: outputs under " + output);
        out.flush();
        return 0;
    }

    private String child(String name) {
        return new Path(output, name).toString();
    }

    static String home(String rel) {
        String h = System.getProperty("versatune.home");
        File f = h != null ? new File(h, rel) : new File(rel);
        if (!f.isFile()) {
            throw new IllegalArgumentException("not found: " + f + " (run from the repository root or set -Dversatune.home)");
        }
        return f.getPath();
    }

    static String defaultSamples() {
        String home = System.getProperty("versatune.home");
        File dir = home != null ? new File(home, "samples") : new File("samples");
        if (!dir.isDirectory()) {
            throw new IllegalArgumentException("bundled sample not found at " + dir + "; pass --samples DIR");
        }
        return dir.getPath();
    }
}
