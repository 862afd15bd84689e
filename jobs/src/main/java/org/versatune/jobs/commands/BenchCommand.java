package org.versatune.jobs.commands;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.apache.hadoop.conf.Configuration;
import org.versatune.jobs.CommonOptions;
import org.versatune.jobs.bench.ClassifierBenchmark;
import org.versatune.jobs.bench.ComposeBenchmark;
import org.versatune.jobs.bench.LmBenchmark;
import org.versatune.pipeline.io.Json;
import org.versatune.pipeline.lm.LmCheckpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks the project keeps (results in bench/results).",
        subcommands = {BenchCommand.Lm.class, BenchCommand.Classifier.class, BenchCommand.Compose.class})
public final class BenchCommand {
    @Command(name = "lm", mixinStandardHelpOptions = true,
            description = "GEMM peak, training tokens/s, FLOPs per token, MFU and generation speed of the configured model; prints one JSON object last.")
    public static final class Lm implements Callable<Integer> {
        @Mixin
        CommonOptions common;

        @Spec
        CommandSpec spec;

        @Option(names = "--steps", defaultValue = "10", description = "timed training steps; 0 skips training (default: ${DEFAULT-VALUE})")
        int steps;

        @Option(names = "--generate-rows", split = ",", paramLabel = "N", description = "rows generated together, one timing "
                + "each (default: versatune.lm.generate.batch-rows)")
        List<Integer> generateRows = new ArrayList<>();

        @Option(names = "--model", paramLabel = "MODEL", description = "a checkpoint (e.g. one `versatune import` wrote) instead of the configured shape")
        String model;

        @Override
        public Integer call() {
            var out = spec.commandLine().getOut();
            LmCheckpoint ckpt = model == null ? null : LmCheckpoint.load(new Configuration(), model);
            Map<String, Object> r = LmBenchmark.run(common.settings(), steps, ckpt, generateRows, line -> {
                out.println(line);
                out.flush();
            });
            try {
                out.println(Json.MAPPER.writer().without(SerializationFeature.INDENT_OUTPUT)
                        .writeValueAsString(r));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "classifier", mixinStandardHelpOptions = true,
            description = "Our classifier vs fastText on the same split of an SFT pool: macro-F1 and records/s; prints one JSON object last.")
    public static final class Classifier extends StageCommand {
        @Option(names = "--input", required = true, arity = "1..*", paramLabel = "PATH", description = "labelled SFT records")
        List<String> inputs;

        @Option(names = "--text", arity = "1..*", paramLabel = "PATH", description = "raw text per domain: also train the production classifier with prose chunks")
        List<String> text = new ArrayList<>();

        @Option(names = "--work", defaultValue = "bench/work/classifier", paramLabel = "DIR")
        String work;

        @Option(names = "--fasttext", defaultValue = "fasttext", paramLabel = "BINARY")
        String fasttext;

        @Option(names = "--repeat", defaultValue = "5", description = "the test records are classified this many times over for timing")
        int repeat;

        @Override
        public Integer call() throws Exception {
            var out = spec.commandLine().getOut();
            Map<String, Object> r = ClassifierBenchmark.run(spark(), common.settings(), inputs, text,
                    Path.of(work), fasttext, repeat, line -> {
                        out.println(line);
                        out.flush();
                    });
            out.println(Json.MAPPER.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(r));
            out.flush();
            return 0;
        }
    }

    @Command(name = "compose", mixinStandardHelpOptions = true,
            description = "Compose from pools of N records (the input pool replicated with new ids); prints one JSON object last.")
    public static final class Compose extends StageCommand {
        @Option(names = "--input", required = true, arity = "1..*", paramLabel = "PATH")
        List<String> inputs;

        @Option(names = "--records", split = ",", defaultValue = "1000000,10000000", paramLabel = "N,...")
        List<Long> records;

        @Option(names = "--size", defaultValue = "60000", description = "mixture size (default: ${DEFAULT-VALUE}, the paper's per-epoch budget)")
        long size;

        @Option(names = "--work", defaultValue = "bench/work/compose", paramLabel = "DIR")
        String work;

        @Override
        public Integer call() throws Exception {
            var out = spec.commandLine().getOut();
            Map<String, Object> r = ComposeBenchmark.run(spark(), common.settings(), inputs, records, size,
                    new File(work).getAbsolutePath(), line -> {
                        out.println(line);
                        out.flush();
                    });
            out.println(Json.MAPPER.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(r));
            out.flush();
            return 0;
        }
    }
}
