package io.xin.client.media;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The bytes an upload sends, exactly as they become the blob (the ciphertext of an encrypted attachment): their
 * size, their SHA-256 (which names the blob) and random access to them, so an upload resumes at any offset. The
 * bytes must not change while they upload; if they do, the media server refuses the upload at its end (460).
 */
public interface MediaSource
{
    /**
     * @return the number of bytes, at least 1.
     */
    long size();

    /**
     * @return the SHA-256 of the bytes, 32 bytes; a copy.
     */
    byte[] sha256();

    /**
     * Reads {@code length} bytes starting at {@code position}.
     *
     * @param position where to start, {@code 0 <= position}, {@code position + length <= size()}.
     * @param into     where to put them, from index 0.
     * @param length   how many.
     * @throws IOException if they could not be read.
     */
    void read(long position, byte[] into, int length) throws IOException;

    /**
     * @return the SHA-256 as the blob key: 64 lowercase hex digits.
     */
    default String blobKey()
    {
        return HexFormat.of().formatHex(sha256());
    }

    /**
     * @param bytes the bytes; kept, not copied: do not change them while they upload.
     * @return a source over them, hashed now.
     */
    static MediaSource of(final byte[] bytes)
    {
        Objects.requireNonNull(bytes, "bytes");
        if (bytes.length == 0)
        {
            throw new IllegalArgumentException("media must not be empty");
        }
        final byte[] sha256 = sha256Digest().digest(bytes);
        return new MediaSource()
        {
            @Override
            public long size()
            {
                return bytes.length;
            }

            @Override
            public byte[] sha256()
            {
                return sha256.clone();
            }

            @Override
            public void read(final long position, final byte[] into, final int length)
            {
                System.arraycopy(bytes, Math.toIntExact(position), into, 0, length);
            }
        };
    }

    /**
     * @param file a regular file; it must not change while it uploads.
     * @return a source over it, hashed now (one read of the whole file).
     * @throws IOException if it could not be read.
     */
    static MediaSource of(final Path file) throws IOException
    {
        final MessageDigest digest = sha256Digest();
        long size = 0;
        try (InputStream in = Files.newInputStream(file))
        {
            final byte[] buffer = new byte[64 * 1024];
            int read;
            while ((read = in.read(buffer)) >= 0)
            {
                digest.update(buffer, 0, read);
                size += read;
            }
        }
        if (size == 0)
        {
            throw new IllegalArgumentException("media must not be empty: " + file);
        }
        final long fileSize = size;
        final byte[] sha256 = digest.digest();
        return new MediaSource()
        {
            @Override
            public long size()
            {
                return fileSize;
            }

            @Override
            public byte[] sha256()
            {
                return sha256.clone();
            }

            @Override
            public void read(final long position, final byte[] into, final int length) throws IOException
            {
                // A channel per read: an upload reads a chunk at a time, and nothing stays open between chunks.
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
                {
                    final ByteBuffer buffer = ByteBuffer.wrap(into, 0, length);
                    long at = position;
                    while (buffer.hasRemaining())
                    {
                        final int read = channel.read(buffer, at);
                        if (read < 0)
                        {
                            throw new EOFException(file + " ended at " + at + ", expected " + fileSize + " bytes");
                        }
                        at += read;
                    }
                }
            }
        };
    }

    /**
     * @return a fresh SHA-256 digest.
     */
    static MessageDigest sha256Digest()
    {
        try
        {
            return MessageDigest.getInstance("SHA-256");
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException("every JDK has SHA-256", ex);
        }
    }
}
