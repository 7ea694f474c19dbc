package io.xin.media;

import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Removes what no one can use any more: uploads past their expiry, and blobs whose last reference (or creation,
 * if never referenced) is older than the message retention plus a grace. A message expires at the retention, so
 * such a blob has no live message referencing it; the grace (the upload lifetime) covers a blob uploaded for a
 * message that has not been sent yet.
 * <p>
 * The owner runs {@link #runOnce()} periodically, on a thread of its own (it does blocking file work) and logs
 * what it throws; it starts no thread itself. Time comes from the injected clock.
 * <p>
 * A blob referenced again between the listing and its deletion is kept: each deletion is
 * {@link MediaStore#deleteIfUnreferencedSince}, which checks the last reference again as it removes the blob.
 */
public final class MediaCollector
{
    /** Blob ids asked for at a time, so one run never holds a long list. */
    static final int DEFAULT_BATCH = 1_000;

    private final MediaStore store;
    private final Clock clock;
    private final Duration retention;
    private final Duration grace;
    private final int batch;

    /**
     * @param store     the store to clean.
     * @param clock     the time expiries and ages are measured against.
     * @param retention how long a message lives: a blob last referenced longer ago is referenced by none.
     * @param grace     added to the retention before a blob is removed; the upload lifetime, so a blob stored for
     *                  a message that is still to be sent is kept.
     * @throws IllegalArgumentException if an argument is missing, the retention is not positive or the grace
     *                                  negative.
     */
    public MediaCollector(final MediaStore store, final Clock clock, final Duration retention, final Duration grace)
    {
        this(store, clock, retention, grace, DEFAULT_BATCH);
    }

    MediaCollector(final MediaStore store, final Clock clock, final Duration retention, final Duration grace,
        final int batch)
    {
        if (store == null || clock == null || retention == null || grace == null)
        {
            throw new IllegalArgumentException("store, clock, retention and grace are required");
        }
        if (retention.isZero() || retention.isNegative())
        {
            throw new IllegalArgumentException("retention must be positive: " + retention);
        }
        if (grace.isNegative())
        {
            throw new IllegalArgumentException("grace must not be negative: " + grace);
        }
        if (batch < 1)
        {
            throw new IllegalArgumentException("batch must be at least 1: " + batch);
        }
        this.store = store;
        this.clock = clock;
        this.retention = retention;
        this.grace = grace;
        this.batch = batch;
    }

    /**
     * Removes the expired uploads, then the blobs past the retention plus the grace. A failure to remove one
     * does not stop the others: the run goes on and throws the first failure at its end, the later ones
     * suppressed by it.
     *
     * @return how many uploads and blobs it removed.
     * @throws MediaException the first failure to remove something, after the rest of the run.
     */
    public int runOnce()
    {
        final Instant now = clock.instant();
        int removed = 0;
        MediaException failure = null;
        for (final String uploadId : store.expiredUploads(now))
        {
            try
            {
                if (store.deleteUpload(uploadId))
                {
                    removed++;
                }
            }
            catch (final MediaException e)
            {
                failure = add(failure, e);
            }
        }
        final Instant cutoff = cutoff(now);
        while (cutoff != null)
        {
            final List<String> blobIds = store.unreferencedSince(cutoff, batch);
            int deleted = 0;
            for (final String blobId : blobIds)
            {
                try
                {
                    if (store.deleteIfUnreferencedSince(blobId, cutoff))
                    {
                        deleted++;
                    }
                }
                catch (final MediaException e)
                {
                    failure = add(failure, e);
                }
            }
            removed += deleted;
            // A short page is the last; a page of which nothing went would come back the same.
            if (blobIds.size() < batch || deleted == 0)
            {
                break;
            }
        }
        if (failure != null)
        {
            throw failure;
        }
        return removed;
    }

    /** @return the time before which a blob's last reference makes it removable, or null if before all time. */
    private Instant cutoff(final Instant now)
    {
        try
        {
            return now.minus(retention).minus(grace);
        }
        catch (final DateTimeException | ArithmeticException e)
        {
            return null;
        }
    }

    private static MediaException add(final MediaException first, final MediaException next)
    {
        if (first == null)
        {
            return next;
        }
        if (next != first)
        {
            first.addSuppressed(next);
        }
        return first;
    }
}
