package org.versatune.jobs;

import org.apache.spark.SparkException;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.versatune.jobs.commands.BenchCommand;
import org.versatune.jobs.commands.ClassifierCommand;
import org.versatune.jobs.commands.ClassifyCommand;
import org.versatune.jobs.commands.ComposeCommand;
import org.versatune.jobs.commands.ProbeCommand;
import org.versatune.jobs.commands.ReferenceCommand;
import org.versatune.jobs.commands.TrainCommand;
import org.versatune.jobs.commands.DemoCommand;
import org.versatune.jobs.commands.EvaluateCommand;
import org.versatune.jobs.commands.ExportCommand;
import org.versatune.jobs.commands.GenerateCommand;
import org.versatune.jobs.commands.ImportCommand;
import org.versatune.jobs.commands.ExperimentCommand;
import org.versatune.jobs.commands.MapCommand;
import org.versatune.jobs.commands.ReportCommand;
import org.versatune.jobs.commands.ScoreCommand;
import org.versatune.jobs.commands.IngestCommand;
import org.versatune.jobs.commands.PretrainCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * The {@code versatune} command line. {@link #run} returns the exit code; only {@link #main} exits. Under
 * spark-submit a failure is rethrown so that Spark (and the scheduler above it) sees the application fail.
 */
@Command(name = "versatune", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Domain-aware SFT data composition and staged training on Spark (VersaTune).",
        subcommands = {IngestCommand.class, ClassifierCommand.class, ClassifyCommand.class, PretrainCommand.class, EvaluateCommand.class, ScoreCommand.class, GenerateCommand.class, ImportCommand.class, ExportCommand.class, ProbeCommand.class, ComposeCommand.class, ReferenceCommand.class, TrainCommand.class, ExperimentCommand.class, ReportCommand.class, MapCommand.class, BenchCommand.class, DemoCommand.class})
public final class Main {
    /** Full traces of failures, for the log file (outside org.versatune, so not on the console). */
    private static final Logger TRACE = LoggerFactory.getLogger("versatune.trace");

    private Main() {
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        int code = run(out, err, args);
        if (code != 0 && underSparkSubmit()) {
            throw new IllegalStateException("versatune " + String.join(" ", args) + " failed with exit code " + code);
        }
        System.exit(code);
    }

    /** Runs one command line; returns 0 on success, 1 on a failure, 2 on a usage error. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = commandLine(out, err);
        return cli.execute(args);
    }

    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            Throwable root = ex;
            TRACE.error("versatune {} failed", commandLine.getCommandName(), ex);
            commandLine.getErr().println("versatune " + commandLine.getCommandName() + ": error: " + message(root));
            if (Boolean.getBoolean("versatune.trace") || root.getMessage() == null) {
                StringWriter sw = new StringWriter();
                root.printStackTrace(new PrintWriter(sw));
                commandLine.getErr().println(sw);
            }
            commandLine.getErr().flush();
            return 1;
        });
        return cli;
    }

    /**
     * A failed Spark task wraps what went wrong (a damaged file, say) in pages of scheduler text: say the innermost
     * cause in one line, where the full trace is, and nothing else.
     */
    private static String message(Throwable t) {
        if (t instanceof SparkException && String.valueOf(t.getMessage()).startsWith("Job aborted due to stage failure")) {
            Throwable c = t;
            while (c.getCause() != null && c.getCause() != c) {
                c = c.getCause();
            }
            String log = System.getProperty("versatune.log.file");
            return firstLine(c.getMessage() != null ? c.getMessage() : c.toString()) + " (a Spark task failed"
                    + (log == null ? "; run with -Dversatune.trace=true for the trace)" : "; the full trace is in " + log + ")");
        }
        StringBuilder sb = new StringBuilder(shorten(t.getMessage()));
        Throwable c = t.getCause();
        while (c != null && c != t) {
            if (c.getMessage() != null && !sb.toString().contains(c.getMessage())) {
                sb.append("\n  caused by: ").append(shorten(c.getMessage()));
            }
            t = c;
            c = c.getCause();
        }
        return sb.toString();
    }

    private static String firstLine(String m) {
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    /** Spark's analysis errors carry the whole query plan; keep the first lines. */
    private static String shorten(String m) {
        if (m == null) {
            return "null";
        }
        int plan = m.indexOf(";\n");
        String s = plan > 0 ? m.substring(0, plan) : m;
        String[] lines = s.split("\n", -1);
        if (lines.length > 4) {
            s = String.join("\n", java.util.Arrays.copyOf(lines, 4)) + "\n  ...";
        }
        return s.length() > 1500 ? s.substring(0, 1500) + " ... (run with -Dversatune.trace=true for the rest)" : s;
    }

    static boolean underSparkSubmit() {
        return System.getenv("SPARK_SUBMIT") != null || System.getProperty("spark.submit.deployMode") != null
                || SparkSession.getActiveSession().isDefined() && System.getProperty("spark.app.submitTime") != null;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[]{"versatune " + (v == null ? "development build" : v)};
        }
    }
}
