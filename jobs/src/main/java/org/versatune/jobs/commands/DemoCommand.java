package org.versatune.jobs.commands;

import org.apache.hadoop.fs.Path;
import org.versatune.pipeline.classify.ClassifierStage;
import org.versatune.pipeline.ingest.Ingest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.File;
import java.util.List;
import java.util.Map;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the pipeline end to end on the bundled sample (embedded Spark).")
public final class DemoCommand extends StageCommand {
    @Option(names = "--samples", paramLabel = "DIR", description = "sample data folder (default: the bundled samples/)")
    String samples;

    @Option(names = "--output", paramLabel = "DIR", defaultValue = "runs/demo", description = "run folder (default: ${DEFAULT-VALUE})")
    String output;

    @Override
    public Integer call() {
        String data = samples != null ? samples : defaultSamples();
        var out = spec.commandLine().getOut();
        var s = common.settings();
        var spark = spark();
        boolean ow = common.overwrite();

        Map<String, Object> sft = Ingest.run(spark, s, List.of(data + "/sft"), null, child("ingest-sft"), ow);
        out.printf("1/4 ingest SFT pool: %s accepted, %s rejected%n", sft.get("accepted"), sft.get("rejected"));
        Map<String, Object> text = Ingest.run(spark, s, List.of(data + "/pretrain"), null, child("ingest-pretrain"), ow);
        out.printf("2/4 ingest raw text: %s documents, %s rejected%n", text.get("accepted"), text.get("rejected"));
        Map<String, Object> clf = ClassifierStage.train(spark, s,
                List.of(child("ingest-sft") + "/records", child("ingest-pretrain") + "/records"), child("classifier"), ow);
        out.printf("3/4 classifier: validation accuracy %.4f, macro-F1 %.4f%n",
                ((Number) clf.get("validation_accuracy")).doubleValue(), ((Number) clf.get("validation_macro_f1")).doubleValue());
        Map<String, Object> cls = ClassifierStage.classify(spark, s, child("classifier"),
                List.of(data + "/pretrain"), child("classified-pretrain"), ow);
        out.printf("4/4 classify raw text: %s documents by domain %s%n", cls.get("classified"), cls.get("by_domain"));
        out.println("demo complete: outputs under " + output);
        out.flush();
        return 0;
    }

    private String child(String name) {
        return new Path(output, name).toString();
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
