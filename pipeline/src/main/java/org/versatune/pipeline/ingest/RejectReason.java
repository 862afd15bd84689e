package org.versatune.pipeline.ingest;

import java.util.Locale;

/** Why a record could not be used. The names are the stats keys and the {@code reason} column. */
public enum RejectReason {
    MALFORMED_JSON, DUPLICATE_FIELD, MISSING_FIELD, WRONG_TYPE, EMPTY_TEXT, UNKNOWN_DOMAIN, INVALID_UTF8, DUPLICATE_ID,
    RECORD_TOO_LARGE, TRUNCATED_GZIP, UNREADABLE_FILE;

    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }
}
