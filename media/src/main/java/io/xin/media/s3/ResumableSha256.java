package io.xin.media.s3;

import org.bouncycastle.crypto.digests.SHA256Digest;

import java.util.Base64;

/**
 * SHA-256 whose running state can be written down and read back. The JDK's digest cannot export its state, and
 * the bytes of an upload's finished parts live only in the bucket, where an unfinished multipart upload cannot be
 * read: so the state after each part is saved with the upload, and a restarted store goes on hashing from there
 * instead of reading the bytes again. BouncyCastle's digest does the hashing and encodes its own state.
 * <p>
 * Not thread safe: owned by the upload whose bytes it hashes, under that upload's monitor.
 */
final class ResumableSha256
{
    private static final String FORMAT = "sha256bc1";
    /** The digest's encoded state is at least this long: more while part of a block's schedule is pending. */
    private static final int MIN_ENCODED_STATE_BYTES = new SHA256Digest().getEncodedState().length;

    private final SHA256Digest digest;
    /** Bytes hashed so far. */
    private long length;

    ResumableSha256()
    {
        this(new SHA256Digest(), 0);
    }

    private ResumableSha256(final SHA256Digest digest, final long length)
    {
        this.digest = digest;
        this.length = length;
    }

    /**
     * @return the number of bytes hashed so far.
     */
    long length()
    {
        return length;
    }

    /**
     * Hashes more bytes.
     */
    void update(final byte[] bytes, final int offset, final int count)
    {
        digest.update(bytes, offset, count);
        length += count;
    }

    /**
     * @return a copy to hash on from here, leaving this one as it is.
     */
    ResumableSha256 copy()
    {
        return new ResumableSha256(new SHA256Digest(digest), length);
    }

    /**
     * @return the SHA-256 of the bytes hashed so far, 32 bytes; this hash is unchanged and may go on.
     */
    byte[] digest()
    {
        final byte[] out = new byte[32];
        new SHA256Digest(digest).doFinal(out, 0);
        return out;
    }

    /**
     * @return the running state as text: {@code sha256bc1:<length>:<the digest's encoded state, base64>}.
     */
    String export()
    {
        return FORMAT + ":" + length + ":" + Base64.getEncoder().encodeToString(digest.getEncodedState());
    }

    /**
     * @param text what {@link #export()} wrote.
     * @return the hash in that state.
     * @throws IllegalArgumentException if the text is not such a state.
     */
    static ResumableSha256 restore(final String text)
    {
        final String[] fields = text == null ? new String[0] : text.split(":", -1);
        if (fields.length != 3 || !FORMAT.equals(fields[0]))
        {
            throw new IllegalArgumentException("not a saved SHA-256 state: " + text);
        }
        final long length;
        final SHA256Digest digest;
        try
        {
            length = Long.parseLong(fields[1]);
            final byte[] state = Base64.getDecoder().decode(fields[2]);
            if (state.length < MIN_ENCODED_STATE_BYTES || state.length > MIN_ENCODED_STATE_BYTES + 64)
            {
                throw new IllegalArgumentException("a saved SHA-256 state of " + state.length + " bytes");
            }
            digest = new SHA256Digest(state);
        }
        catch (final RuntimeException e)
        {
            throw new IllegalArgumentException("not a saved SHA-256 state: " + text, e);
        }
        if (length < 0)
        {
            throw new IllegalArgumentException("inconsistent saved SHA-256 state: " + text);
        }
        return new ResumableSha256(digest, length);
    }
}
