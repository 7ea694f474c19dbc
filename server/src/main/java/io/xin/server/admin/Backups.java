package io.xin.server.admin;

import io.netty.util.concurrent.DefaultThreadFactory;
import io.xin.storage.StorageException;
import io.xin.storage.XinStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Online backups of the switch's store through the admin port: one RocksDB checkpoint at a time, written on a
 * thread of its own ({@code xin-backup}, started for a backup and gone a minute after it) so that the flush a
 * checkpoint waits for never holds up {@code /healthz}, {@code /readyz} or a scrape on the admin event loop.
 */
final class Backups implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(Backups.class);

    /** Why a backup was not taken, and the HTTP status that says so. */
    static final class Refused extends RuntimeException
    {
        private final int status;

        Refused(final int status, final String message)
        {
            super(message, null, false, false);
            this.status = status;
        }

        int status()
        {
            return status;
        }
    }

    private final XinStore store;
    /** At most one thread and no queue: a second backup while one runs is refused. */
    private final ThreadPoolExecutor executor = new ThreadPoolExecutor(
        0, 1, 60, TimeUnit.SECONDS, new SynchronousQueue<>(), new DefaultThreadFactory("xin-backup", true));

    Backups(final XinStore store)
    {
        this.store = store;
    }

    /**
     * Starts a checkpoint into {@code dir}. Any thread.
     *
     * @param dir an absolute path that does not exist yet, in a directory that does.
     * @return completes with a line describing the backup, or fails with {@link Refused} or the storage failure.
     */
    CompletableFuture<String> start(final String dir)
    {
        final Path target;
        try
        {
            target = validate(dir);
        }
        catch (final Refused ex)
        {
            return CompletableFuture.failedFuture(ex);
        }
        try
        {
            return CompletableFuture.supplyAsync(() -> checkpoint(target), executor);
        }
        catch (final RejectedExecutionException ex)
        {
            return CompletableFuture.failedFuture(new Refused(409, "a backup is already running"));
        }
    }

    private static Path validate(final String dir)
    {
        if (null == dir || dir.isEmpty())
        {
            throw new Refused(400, "name the backup's directory: /backup?dir=/absolute/path");
        }
        final Path target = Path.of(dir).normalize();
        if (!target.isAbsolute())
        {
            throw new Refused(400, "the backup's directory must be an absolute path: " + dir);
        }
        if (Files.exists(target))
        {
            throw new Refused(400, "the backup's directory must not exist yet: " + target);
        }
        if (null == target.getParent() || !Files.isDirectory(target.getParent()))
        {
            throw new Refused(400, "the backup's parent directory does not exist: " + target.getParent());
        }
        return target;
    }

    private String checkpoint(final Path target)
    {
        final long startNs = System.nanoTime();
        LOG.info("Backup to {} started", target);
        try
        {
            store.checkpoint(target);
        }
        catch (final StorageException ex)
        {
            LOG.warn("Backup to {} failed", target, ex);
            throw ex;
        }
        final long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
        long files = 0;
        long bytes = 0;
        try (Stream<Path> paths = Files.list(target))
        {
            for (final Path path : (Iterable<Path>)paths::iterator)
            {
                files++;
                bytes += Files.size(path);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        final String done = "backup " + target + ": " + files + " files, " + bytes + " bytes, " + ms + " ms";
        LOG.info("Backup to {} done: {} files, {} bytes in {} ms", target, files, bytes, ms);
        return done;
    }

    @Override
    public void close()
    {
        executor.shutdown();
    }
}
