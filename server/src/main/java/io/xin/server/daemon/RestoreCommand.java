package io.xin.server.daemon;

import io.xin.storage.FsyncPolicy;
import io.xin.storage.StorageException;
import io.xin.storage.StoreConfig;
import io.xin.storage.XinStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.Callable;

/**
 * {@code xind restore}: makes a data directory from a backup, checked before a switch uses it. The backup is
 * copied into a staging directory beside the target, opened there as the switch would open it (its write-ahead
 * log replayed, heads repaired), checked (every SST block's checksum, every head against its inbox's last
 * entry), closed, and only then renamed into place. The backup itself is never written.
 * <pre>
 *   exit 0  restored and checked
 *   exit 1  the backup failed its check or could not be copied (the target is left as it was)
 *   exit 2  bad arguments: no backup there, or the target is not empty
 * </pre>
 */
@Command(name = "restore", mixinStandardHelpOptions = true,
    description = {"Restore a backup written by 'backup' into a new data directory, checking it first. " +
        "The switch must not run on the target. Start the switch with data-dir set to the target afterwards.",
        "Refuses a target that exists and is not empty."})
public final class RestoreCommand implements Callable<Integer>
{
    @Option(names = "--from", required = true, description = "The backup's directory.")
    Path from;

    @Option(names = "--data-dir", required = true, description = "The data directory to make; absent or empty.")
    Path dataDir;

    @Override
    public Integer call() throws IOException
    {
        final Path source = from.toAbsolutePath().normalize();
        final Path target = dataDir.toAbsolutePath().normalize();
        if (!Files.isRegularFile(source.resolve("CURRENT")))
        {
            System.err.println("No backup in " + source + " (no RocksDB CURRENT file). Nothing restored.");
            return ServerCommand.EXIT_BAD_CONFIG;
        }
        if (Files.exists(target) && !isEmptyDirectory(target))
        {
            System.err.println("The data directory " + target + " exists and is not empty. Nothing restored.");
            return ServerCommand.EXIT_BAD_CONFIG;
        }
        final Path staging = target.resolveSibling(target.getFileName() + ".restoring");
        if (Files.exists(staging))
        {
            System.err.println(staging + " exists (an earlier restore stopped?): remove it first. Nothing restored.");
            return ServerCommand.EXIT_BAD_CONFIG;
        }

        final long startNs = System.nanoTime();
        final long inboxes;
        final long headsRepaired;
        try
        {
            copyTree(source, staging);
            // No expiry while checking: a compaction of this open must not drop what the switch would keep.
            try (XinStore store = XinStore.open(new StoreConfig().dataDir(staging).fsyncPolicy(FsyncPolicy.BATCH)
                .retentionSeconds(0).dedupeRetentionSeconds(0)))
            {
                headsRepaired = store.headsRepairedAtOpen();
                inboxes = store.verify();
            }
            if (Files.exists(target))
            {
                Files.delete(target);
            }
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        }
        catch (final StorageException | IOException ex)
        {
            System.err.println("Restore from " + source + " failed: " + ex.getMessage() + ". " + target +
                " is unchanged; " + staging + " holds the partial copy.");
            return ServerCommand.EXIT_FAILED;
        }
        System.out.println("Restored " + source + " into " + target + " and checked it: " + inboxes + " inboxes, " +
            headsRepaired + " heads repaired from their entries, in " + (System.nanoTime() - startNs) / 1_000_000 +
            " ms. Give it to the switch's user (chown -R xin:xin " + target + ") before starting the switch on it.");
        return 0;
    }

    private static boolean isEmptyDirectory(final Path dir) throws IOException
    {
        if (!Files.isDirectory(dir))
        {
            return false;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir))
        {
            return !entries.iterator().hasNext();
        }
    }

    private static void copyTree(final Path source, final Path target) throws IOException
    {
        Files.walkFileTree(source, new SimpleFileVisitor<>()
        {
            @Override
            public FileVisitResult preVisitDirectory(final Path dir, final BasicFileAttributes attrs) throws IOException
            {
                Files.createDirectories(target.resolve(source.relativize(dir)));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(final Path file, final BasicFileAttributes attrs) throws IOException
            {
                final Path copy = target.resolve(source.relativize(file));
                Files.copy(file, copy, StandardCopyOption.COPY_ATTRIBUTES);
                // On disk before the store is opened on it: the open writes and syncs only its own files.
                try (FileChannel channel = FileChannel.open(copy, StandardOpenOption.WRITE))
                {
                    channel.force(true);
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
