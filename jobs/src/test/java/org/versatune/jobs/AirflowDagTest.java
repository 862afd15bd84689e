package org.versatune.jobs;

import com.fasterxml.jackson.core.type.TypeReference;
import org.junit.jupiter.api.Test;
import org.versatune.pipeline.io.Json;
import picocli.CommandLine;

import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The example Airflow DAG, read with Python's ast, matches the real CLI task by task. */
class AirflowDagTest {
    @Test
    void everyTaskIsAValidSparkSubmitOfTheCliInPipelineOrder() throws Exception {
        File home = new File(System.getProperty("versatune.home", ".."));
        Process p = new ProcessBuilder("python3", new File(home, "jobs/airflow/dag_tasks.py").getPath(),
                new File(home, "jobs/airflow/versatune_dag.py").getPath()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        List<Map<String, Object>> tasks = Json.MAPPER.readValue(out, new TypeReference<>() { });
        assertThat(tasks).extracting(t -> t.get("task_id")).containsExactly("ingest", "classifier_train", "classify",
                "pretrain", "probe", "compose", "train", "evaluate", "report");
        for (Map<String, Object> t : tasks) {
            assertThat(t.get("operator")).isEqualTo("SparkSubmitOperator");
            assertThat(t.get("java_class")).isEqualTo(Main.class.getName());
            @SuppressWarnings("unchecked")
            List<String> args = (List<String>) t.get("args");
            CommandLine cli = Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
            // parsing validates the subcommand, every option name, arities and required options
            CommandLine.ParseResult r = cli.parseArgs(args.toArray(new String[0]));
            CommandLine.ParseResult leaf = r;
            while (leaf.hasSubcommand()) {
                leaf = leaf.subcommand();
            }
            assertThat(leaf.commandSpec().name()).as("task %s", t.get("task_id")).isNotEqualTo("versatune");
            assertThat(leaf.hasMatchedOption("--conf")).as("task %s ships its config", t.get("task_id")).isTrue();
        }
    }
}
