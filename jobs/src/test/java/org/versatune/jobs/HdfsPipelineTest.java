package org.versatune.jobs;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.versatune.pipeline.io.StageOutput;
import org.versatune.pipeline.lm.BpeTokenizer;
import org.versatune.pipeline.lm.LmCheckpoint;
import org.versatune.pipeline.lm.LmConfig;
import org.versatune.pipeline.lm.TransformerLm;
import org.versatune.pipeline.testing.Samples;
import org.versatune.pipeline.testing.SparkExtension;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Every input and output on an in-process HDFS: ingest -> classifier -> classify -> compose -> a short train. */
@ExtendWith(SparkExtension.class)
class HdfsPipelineTest {
    static String[] tiny = {"--set", "classifier.num-features=65536", "--set", "classifier.max-iter=20",
            "--set", "lm.train.local-steps=3", "--set", "lm.train.tokens-per-batch=512", "--set", "train.eval-max-records=8",
            "--set", "train.eval-max-mc-items=4"};

    static String run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] all = new String[args.length + tiny.length];
        System.arraycopy(args, 0, all, 0, args.length);
        System.arraycopy(tiny, 0, all, args.length, tiny.length);
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), all);
        assertThat(code).as(err.toString()).isZero();
        return out.toString();
    }

    @Test
    void thePipelineReadsAndWritesHdfs(SparkSession spark, @TempDir java.nio.file.Path dir) throws Exception {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        MiniDFSCluster cluster = new MiniDFSCluster.Builder(new Configuration(), dir.resolve("dfs").toFile()).numDataNodes(1).build();
        try {
            String hdfs = cluster.getURI().toString();
            FileSystem fs = FileSystem.get(cluster.getURI(), conf);
            fs.copyFromLocalFile(new Path(Samples.dir().getAbsolutePath()), new Path(hdfs + "/data"));
            BpeTokenizer tok = BpeTokenizer.train(List.of("the court held", "def f(x): return x", "blood pressure"), 300);
            LmConfig cfg = new LmConfig(tok.vocabSize(), 32, 32, 1, 2, 2, LmConfig.RELU);
            new LmCheckpoint(cfg, tok, TransformerLm.initialise(cfg, 2, DataType.FLOAT).params(), null, Map.of())
                    .save(conf, hdfs + "/models/base");
            Samples.write(dir.resolve("ref.json"), "{\"law\": 3, \"medicine\": 3, \"finance\": 3, \"science\": 3, \"code\": 3, \"general\": 3}");
            fs.copyFromLocalFile(new Path(dir.resolve("ref.json").toString()), new Path(hdfs + "/ref.json"));

            String r = hdfs + "/runs/r1";
            assertThat(run("ingest", "--input", hdfs + "/data/sft", "--output", r + "/ingest")).contains("accepted 1920");
            run("classifier", "train", "--input", r + "/ingest/records", hdfs + "/data/pretrain", "--output", r + "/classifier");
            run("classify", "--model", r + "/classifier", "--input", hdfs + "/data/pretrain/*.txt.gz", "--output", r + "/classified");
            run("compose", "--pool", r + "/ingest/records", "--weights", "uniform", "--size", "120", "--output", r + "/mixture");
            run("train", "--model", hdfs + "/models/base", "--pool", r + "/ingest/records", "--eval", hdfs + "/data/sft",
                    "--weights", "uniform", "--stages", "2", "--stage-size", "60", "--reference", hdfs + "/ref.json", "--output", r + "/train");
            for (String out : List.of("ingest", "classifier", "classified", "mixture")) {
                assertThat(fs.exists(new Path(r + "/" + out + "/" + StageOutput.MARKER))).as(out).isTrue();
            }
            assertThat(fs.exists(new Path(r + "/train/weights-stage-2.json"))).isTrue();
            assertThat(LmCheckpoint.exists(conf, r + "/train/model")).isTrue();
            assertThat(fs.exists(new Path(r + "/train/stage-2/mixture"))).isTrue();
        } finally {
            cluster.shutdown();
        }
    }
}
