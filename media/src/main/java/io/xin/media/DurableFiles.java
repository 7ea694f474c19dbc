package io.xin.media;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.stream.Stream;

/**
 * The file steps both stores build their crash safety from: a file written and forced, a directory's entries
 * forced, a tree removed. One copy, so a fix to one (a force forgotten, a link followed) reaches both.
 * <p>
 * Stateless; any thread.
 */
public final class DurableFiles
{
    private DurableFiles()
    {
    }

    /**
     * Writes a file whole, creating or truncating it, and forces it to disk before returning.
     *
     * @param file  the file.
     * @param bytes its new content.
     * @throws IOException if it cannot be written.
     */
    public static void writeForced(final Path file, final byte[] bytes) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file,
            StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE))
        {
            final ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining())
            {
                channel.write(buffer);
            }
            channel.force(true);
        }
    }

    /**
     * Makes a directory's entries (creations, renames, deletions) durable.
     *
     * @param dir the directory.
     * @throws IOException if it cannot be opened or forced.
     */
    public static void forceDirectory(final Path dir) throws IOException
    {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ))
        {
            channel.force(true);
        }
    }

    /**
     * Deletes a file, or a directory and everything under it; links are removed, not followed. Missing is fine.
     *
     * @param path the file or directory.
     * @throws IOException if something cannot be deleted.
     */
    public static void deleteTree(final Path path) throws IOException
    {
        if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS))
        {
            try (Stream<Path> children = Files.list(path))
            {
                for (final Path child : children.toList())
                {
                    deleteTree(child);
                }
            }
        }
        Files.deleteIfExists(path);
    }

    /**
     * {@link #deleteTree}, for cleanups after a failure: what cannot be deleted now, a store's next open removes.
     *
     * @param path the file or directory.
     */
    public static void deleteTreeQuietly(final Path path)
    {
        try
        {
            deleteTree(path);
        }
        catch (final IOException ignored)
        {
            // The next open removes what is left.
        }
    }

    /**
     * Closes something on a path that is already failing, where a second failure would hide the first.
     *
     * @param closeable what to close, or null.
     */
    public static void closeQuietly(final AutoCloseable closeable)
    {
        if (closeable != null)
        {
            try
            {
                closeable.close();
            }
            catch (final Exception ignored)
            {
                // Nothing more to do.
            }
        }
    }
}
