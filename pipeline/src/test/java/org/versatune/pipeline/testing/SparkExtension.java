package org.versatune.pipeline.testing;

import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.versatune.pipeline.spark.Sessions;

/** One local SparkSession for the whole test JVM, closed once by JUnit at the end. */
public final class SparkExtension implements ParameterResolver {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(SparkExtension.class);

    static final class Holder implements ExtensionContext.Store.CloseableResource {
        // tasks may be retried once, as on a cluster: the fault-tolerance tests fail a task's first attempt
        final SparkSession spark = Sessions.local("versatune-tests", 2, 2);

        @Override
        public void close() {
            spark.stop();
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext pc, ExtensionContext ec) {
        return pc.getParameter().getType() == SparkSession.class;
    }

    @Override
    public Object resolveParameter(ParameterContext pc, ExtensionContext ec) {
        return session(ec);
    }

    public static SparkSession session(ExtensionContext ec) {
        return ec.getRoot().getStore(NS).getOrComputeIfAbsent(Holder.class, k -> new Holder(), Holder.class).spark;
    }
}
