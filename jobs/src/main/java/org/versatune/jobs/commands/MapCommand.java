package org.versatune.jobs.commands;

import org.versatune.jobs.CommonOptions;
import org.versatune.pipeline.experiment.PremiseMap;
import org.versatune.pipeline.experiment.PremiseMapReport;
import org.versatune.pipeline.spark.Sessions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "map", mixinStandardHelpOptions = true,
        description = "Place finished experiments on the premise map (bench/premise-map.md): each claim's score difference and "
                + "interval against the SFT budget (SFT tokens over the base's pretraining tokens) or the base's size, with a "
                + "weighted least-squares line per claim; writes map.json, a figure per axis and index.html, and prints a "
                + "Markdown table.")
public final class MapCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Option(names = "--axis", required = true, paramLabel = "AXIS=DIR,DIR,...",
            description = "an axis ('budget' or 'size') and its experiment result folders in order (repeatable)")
    List<String> axes;

    @Option(names = "--output", required = true, paramLabel = "DIR")
    String output;

    @Override
    public Integer call() {
        Map<String, List<String>> byAxis = new LinkedHashMap<>();
        for (String a : axes) {
            int eq = a.indexOf('=');
            if (eq <= 0 || eq == a.length() - 1) {
                throw new IllegalArgumentException("--axis takes AXIS=DIR,DIR,..., not '" + a + "'");
            }
            if (byAxis.put(a.substring(0, eq), List.of(a.substring(eq + 1).split(",", -1))) != null) {
                throw new IllegalArgumentException("--axis " + a.substring(0, eq) + " given twice");
            }
        }
        var conf = Sessions.getOrCreate(common.settings()).sparkContext().hadoopConfiguration();
        PremiseMap map = PremiseMap.read(conf, byAxis);
        String index = PremiseMapReport.write(conf, map, output, common.overwrite());
        spec.commandLine().getOut().print(PremiseMapReport.markdown(map));
        spec.commandLine().getOut().println("map: " + index);
        return 0;
    }
}
