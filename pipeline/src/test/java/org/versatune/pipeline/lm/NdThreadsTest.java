package org.versatune.pipeline.lm;

import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.testing.SparkExtension;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(SparkExtension.class)
class NdThreadsTest {
    @Test
    void oneSettingDecidesEveryModelTasksThreads(SparkSession spark) {
        int cores = Runtime.getRuntime().availableProcessors();
        try {
            // automatic: the local cores divided among the tasks that run at once
            spark.conf().unset(NdThreads.SPARK_KEY);
            assertThat(NdThreads.perTask(spark, 1)).isEqualTo(cores);
            assertThat(NdThreads.perTask(spark, cores)).isEqualTo(1);
            // the session's setting (versatune.lm.train.threads-per-task, passed on by Sessions) wins everywhere
            spark.conf().set(NdThreads.SPARK_KEY, "3");
            assertThat(NdThreads.perTask(spark, 1)).isEqualTo(3);
            assertThat(NdThreads.perTask(spark, 8)).isEqualTo(3);
            // a stage's own settings, where it passes them, take the same rule
            assertThat(NdThreads.perTask(spark, 5, 1)).isEqualTo(5);
        } finally {
            spark.conf().unset(NdThreads.SPARK_KEY);
        }
        assertThat(Settings.defaults().section("lm").getInt("train.threads-per-task")).isZero();
    }
}
