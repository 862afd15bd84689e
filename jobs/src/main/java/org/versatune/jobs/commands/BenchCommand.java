package org.versatune.jobs.commands;

import org.versatune.jobs.CommonOptions;
import org.versatune.jobs.bench.LmBenchmark;
import org.versatune.pipeline.io.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks the project keeps (results in bench/results).",
        subcommands = {BenchCommand.Lm.class})
public final class BenchCommand {
    @Command(name = "lm", mixinStandardHelpOptions = true,
            description = "GEMM peak, training tokens/s, FLOPs per token, MFU and generation speed of the configured model; prints one JSON object last.")
    public static final class Lm implements Callable<Integer> {
        @Mixin
        CommonOptions common;

        @Spec
        CommandSpec spec;

        @Option(names = "--steps", defaultValue = "10", description = "timed training steps (default: ${DEFAULT-VALUE})")
        int steps;

        @Override
        public Integer call() {
            var out = spec.commandLine().getOut();
            Map<String, Object> r = LmBenchmark.run(common.settings(), steps, line -> {
                out.println(line);
                out.flush();
            });
            try {
                out.println(Json.MAPPER.writer().without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
                        .writeValueAsString(r));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
            out.flush();
            return 0;
        }
    }
}
