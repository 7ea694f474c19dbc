package io.xin.media;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Random;

/** Bytes for the media tests: repeatable random content, and its blob id. */
public final class TestBytes
{
    private TestBytes()
    {
    }

    /** @return {@code length} bytes, the same for the same seed. */
    public static byte[] bytes(final int length, final long seed)
    {
        final byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    /** @return the blob id of these bytes: their SHA-256, lowercase hex. */
    public static String sha256(final byte[] data)
    {
        try
        {
            return MediaIds.blobId(MessageDigest.getInstance("SHA-256").digest(data));
        }
        catch (final NoSuchAlgorithmException e)
        {
            throw new AssertionError(e);
        }
    }
}
