"""VersaTune as a scheduled Airflow DAG: one spark-submit task per stage, in pipeline order.

Each task runs the shaded jar's CLI (org.versatune.jobs.Main) with the stage's subcommand. Outputs live under
a run folder named by the DAG run ({{ run_id }}), so a re-run of a task skips its completed stage and a failed
task fails the DAG (spark-submit ends non-zero). The configuration file ships with each job (--files) and
the jobs read it by its bare name.

Set the Airflow Variables versatune_jar (path to versatune.jar), versatune_conf (a HOCON file),
versatune_data (input root) and versatune_runs (output root, any Hadoop file system).
"""
from datetime import datetime

from airflow import DAG
from airflow.models import Variable
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

JAR = Variable.get("versatune_jar", default_var="/opt/versatune/versatune.jar")
CONF = Variable.get("versatune_conf", default_var="/opt/versatune/cluster.conf")
DATA = Variable.get("versatune_data", default_var="hdfs:///data/versatune")
RUNS = Variable.get("versatune_runs", default_var="hdfs:///runs/versatune")
RUN = RUNS + "/{{ run_id | replace(':', '_') | replace('+', '_') }}"
CONF_NAME = CONF.rsplit("/", 1)[-1]

SPARK_CONF = {
    "spark.executorEnv.OMP_WAIT_POLICY": "PASSIVE",
}


def stage(task_id, *args):
    """A spark-submit task running one VersaTune subcommand (args after the subcommand name)."""
    return SparkSubmitOperator(
        task_id=task_id,
        application=JAR,
        java_class="org.versatune.jobs.Main",
        files=CONF,
        conf=SPARK_CONF,
        name="versatune-" + task_id,
        application_args=list(args) + ["--conf", CONF_NAME],
    )


with DAG(
    dag_id="versatune",
    start_date=datetime(2026, 1, 1),
    schedule=None,
    catchup=False,
    tags=["versatune"],
) as dag:
    ingest = stage("ingest", "ingest", "--input", DATA + "/sft", "--output", RUN + "/ingest")
    classifier = stage("classifier_train", "classifier", "train",
                       "--input", RUN + "/ingest/records", DATA + "/pretrain", "--output", RUN + "/classifier")
    classify = stage("classify", "classify", "--model", RUN + "/classifier",
                     "--input", RUN + "/ingest/records", "--output", RUN + "/classified")
    pretrain = stage("pretrain", "pretrain", "--input", DATA + "/pretrain",
                     "--mix", "law=0.10,medicine=0.10,finance=0.05,science=0.15,code=0.25,general=0.35",
                     "--output", RUN + "/base", "--resume")
    probe = stage("probe", "probe", "--model", RUN + "/base", "--classifier", RUN + "/classifier",
                  "--output", RUN + "/probe")
    compose = stage("compose", "compose", "--pool", RUN + "/classified/classified", "--weights", "versatune",
                    "--distribution", RUN + "/probe/distribution.json", "--output", RUN + "/mixture")
    train = stage("train", "train", "--model", RUN + "/base", "--pool", RUN + "/classified/classified",
                  "--eval", DATA + "/eval", RUN + "/ingest/records", "--weights", "versatune",
                  "--distribution", RUN + "/probe/distribution.json", "--output", RUN + "/train", "--resume")
    evaluate = stage("evaluate", "evaluate", "--model", RUN + "/train/model", "--input", DATA + "/eval",
                     "--output", RUN + "/evaluation.json", "--overwrite")
    report = stage("report", "report", RUN + "/train")

    ingest >> classifier >> classify >> pretrain >> probe >> compose >> train >> evaluate >> report
