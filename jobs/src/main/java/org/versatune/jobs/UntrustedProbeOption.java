package org.versatune.jobs;

import org.versatune.pipeline.config.Settings;
import picocli.CommandLine.Option;

/** The override for commands that take weights from a probe: use them even when the probe's verdict is "untrusted". */
public final class UntrustedProbeOption {
    @Option(names = "--allow-untrusted-probe", description = "compose from a probe distribution whose own verdict is "
            + "untrusted (same as --set compose.allow-untrusted-probe=true)")
    boolean allow;

    public Settings apply(Settings s) {
        return allow ? s.with("compose.allow-untrusted-probe", true) : s;
    }
}
